#include "ingest/ingest_ring.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <random>

#include "common/unique_fd.h"

namespace sluice::ingest {
namespace {

constexpr char kMagic[8] = {'S', 'L', 'U', 'I', 'C', 'E', 'R', 'G'};
constexpr uint32_t kVersion = 2;
constexpr size_t kPage = 4096;
constexpr size_t kLogOffset = kPage;
constexpr size_t kBlocksOffset = kLogOffset + IngestRing::kSettledLog * sizeof(uint64_t);

struct RingFileHeader {
  char magic[8];
  uint32_t version;
  uint32_t block_count;
  uint64_t block_bytes;
  uint64_t next_seq;  // used through std::atomic_ref
  uint64_t settled_count;
  uint32_t landings;
  uint32_t landing_slots;
  uint64_t slot_bytes;
  uint64_t reserved;
};
static_assert(sizeof(RingFileHeader) == 64);

size_t PageRound(size_t bytes) { return (bytes + kPage - 1) / kPage * kPage; }

size_t Stride(size_t block_bytes) { return PageRound(sizeof(RingBlockHeader) + block_bytes); }

static_assert(sizeof(LandingHeader) <= kPage);

size_t LandingStride(size_t slot_bytes) { return kPage + PageRound(kLandingSlots * slot_bytes); }

size_t LandingsOffset(size_t block_bytes, uint32_t blocks) {
  return kBlocksOffset + blocks * Stride(block_bytes);
}

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

// Reads up to `length` bytes at `offset`; fewer where the file ends.
std::string ReadAt(int fd, uint64_t offset, size_t length) {
  std::string out(length, '\0');
  size_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd, out.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return out;
}

struct OldDatagram {
  std::string payload;
  int64_t received_at_us;
  bool truncated;
};

// Reads the ring a previous run left at `fd`: the datagrams still to be stored, in order.
std::vector<OldDatagram> ReadOldRing(int fd, const std::function<bool(uint64_t)>& stored,
                                     IngestRing::Recovery& recovery) {
  std::vector<OldDatagram> replay;
  std::string head = ReadAt(fd, 0, sizeof(RingFileHeader));
  RingFileHeader header{};
  if (head.size() < sizeof header) {
    recovery.unreadable = "shorter than a ring's header";
    return replay;
  }
  std::memcpy(&header, head.data(), sizeof header);
  if (std::memcmp(header.magic, kMagic, sizeof kMagic) != 0 || header.version != kVersion ||
      header.block_bytes == 0 || header.block_bytes > (uint64_t{1} << 30)) {
    recovery.unreadable = "not an ingest ring of this version";
    return replay;
  }
  std::unordered_set<uint64_t> settled;
  std::string log = ReadAt(fd, kLogOffset, IngestRing::kSettledLog * sizeof(uint64_t));
  for (size_t i = 0; i + sizeof(uint64_t) <= log.size(); i += sizeof(uint64_t)) {
    uint64_t id;
    std::memcpy(&id, log.data() + i, sizeof id);
    if (id != 0) settled.insert(id);
  }
  const size_t stride = Stride(header.block_bytes);
  std::map<uint64_t, uint32_t> live;           // fill sequence → block
  std::map<uint32_t, RingBlockHeader> blocks;  // every block whose header reads back
  for (uint32_t i = 0; i < header.block_count; ++i) {
    std::string block_head = ReadAt(fd, kBlocksOffset + i * stride, sizeof(RingBlockHeader));
    if (block_head.size() < sizeof(RingBlockHeader)) break;  // the file ends here
    RingBlockHeader block{};
    std::memcpy(&block, block_head.data(), sizeof block);
    blocks.emplace(i, block);
    if (block.seq != 0) live.emplace(block.seq, i);
  }
  recovery.blocks = live.size();
  for (const auto& [seq, index] : live) {
    const RingBlockHeader& block = blocks.at(index);
    std::string data =
        ReadAt(fd, kBlocksOffset + index * stride + sizeof(RingBlockHeader), header.block_bytes);
    size_t offset = 0;
    uint64_t whole = 0;
    // A record is the block's once counted; one written but not yet counted is taken from its
    // receiver's landing zone below.
    while (whole < block.count && offset + sizeof(DatagramRecordHeader) <= data.size()) {
      DatagramRecordHeader record;
      std::memcpy(&record, data.data() + offset, sizeof record);
      const char* payload = data.data() + offset + sizeof record;
      if (record.block_seq != static_cast<uint32_t>(seq) ||
          record.size > data.size() - offset - sizeof record ||
          DatagramRecordCrc(record, payload) != record.crc) {
        break;
      }
      ++whole;
      if (record.batch_id == kRecordSettled) {
        ++recovery.settled;
      } else if (record.batch_id != 0 &&
                 (settled.contains(record.batch_id) || (stored && stored(record.batch_id)))) {
        ++recovery.already_stored;
      } else {
        replay.push_back(OldDatagram{std::string(payload, record.size), record.received_at_us,
                                     record.flags != 0});
      }
      offset += DatagramBlock::RecordSize(record.size);
    }
    recovery.torn += block.count - whole;  // counted as written, did not read back whole
  }
  // What each receiver's last recvmmsg() returned and had not yet copied into a block.
  const uint64_t landings_at = LandingsOffset(header.block_bytes, header.block_count);
  for (uint32_t r = 0; r < header.landings && header.landing_slots == kLandingSlots; ++r) {
    const uint64_t at = landings_at + r * LandingStride(header.slot_bytes);
    std::string head_bytes = ReadAt(fd, at, sizeof(LandingHeader));
    if (head_bytes.size() < sizeof(LandingHeader)) break;
    LandingHeader landing;
    std::memcpy(&landing, head_bytes.data(), sizeof landing);
    if (landing.count == 0 || landing.count > kLandingSlots) continue;
    for (uint32_t i = landing.copied; i < landing.count; ++i) {
      if (i == landing.copied) {  // its append may have happened: the block's count says
        auto block = blocks.find(landing.block);
        if (block != blocks.end() && block->second.seq == landing.block_seq &&
            block->second.count > landing.block_count) {
          continue;
        }
      }
      const size_t size = std::min<size_t>(landing.lengths[i], header.slot_bytes);
      std::string payload = ReadAt(fd, at + kPage + i * header.slot_bytes, size);
      if (payload.size() < size) {
        ++recovery.torn;
        continue;
      }
      replay.push_back(
          OldDatagram{std::move(payload), landing.received_at_us, landing.flags[i] != 0});
    }
  }
  recovery.replayed = replay.size();
  return replay;
}

uint64_t RandomSeqBase() {
  std::random_device device;
  // Sequences from different runs never meet: a record stamped by an earlier run in a reused
  // block does not pass for one of this run.
  return (((uint64_t{device()} << 32) | device()) & ((uint64_t{1} << 62) - 1)) | 1;
}

}  // namespace

Result<std::unique_ptr<IngestRing>> IngestRing::Open(const std::string& path, const Shape& shape,
                                                     const std::function<bool(uint64_t)>& stored,
                                                     Recovery* recovery) {
  const size_t block_bytes = shape.block_bytes;
  const uint32_t block_count = shape.blocks;
  Recovery found;
  const std::string dir = path.substr(0, path.find_last_of('/') + 1);
  struct statfs fs {};
  if (::statfs(dir.empty() ? "." : dir.c_str(), &fs) != 0) {
    return Fail(ErrorCode::kInvalidArgument, Errno("ingest.ring: cannot stat", dir));
  }
  if (fs.f_type != TMPFS_MAGIC && fs.f_type != RAMFS_MAGIC) {
    return Fail(ErrorCode::kInvalidArgument,
                "ingest.ring " + path +
                    " is not on tmpfs: the ring is memory that outlives the process, and on a "
                    "disk every datagram received would be written to the disk (use /run/sluice)");
  }
  if (block_count < 2 || block_bytes < 4096) {
    return Fail(ErrorCode::kInvalidArgument, "ingest.ring: at least two blocks of 4 KiB");
  }
  std::vector<OldDatagram> replay;
  if (UniqueFd old(::open(path.c_str(), O_RDONLY | O_CLOEXEC)); old.valid()) {
    replay = ReadOldRing(old.get(), stored, found);
  } else if (errno != ENOENT) {
    return Fail(ErrorCode::kIoError, Errno("ingest.ring: cannot open", path));
  }

  const std::string fresh = path + ".new";
  const size_t length =
      LandingsOffset(block_bytes, block_count) + shape.landings * LandingStride(shape.slot_bytes);
  UniqueFd fd(::open(fresh.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) return Fail(ErrorCode::kIoError, Errno("ingest.ring: cannot create", fresh));
  if (::ftruncate(fd.get(), static_cast<off_t>(length)) != 0) {
    return Fail(ErrorCode::kIoError, Errno("ingest.ring: cannot size", fresh));
  }
  void* base = ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
  if (base == MAP_FAILED) return Fail(ErrorCode::kIoError, Errno("ingest.ring: cannot map", fresh));
  std::unique_ptr<IngestRing> ring(
      new IngestRing(path, static_cast<std::byte*>(base), length, shape));
  RingFileHeader header{};
  std::memcpy(header.magic, kMagic, sizeof kMagic);
  header.version = kVersion;
  header.block_count = block_count;
  header.block_bytes = block_bytes;
  header.next_seq = RandomSeqBase();
  header.landings = shape.landings;
  header.landing_slots = kLandingSlots;
  header.slot_bytes = shape.slot_bytes;
  std::memcpy(base, &header, sizeof header);

  // The previous run's datagrams, in their order, into the first blocks.
  uint32_t index = 0;
  std::optional<DatagramBlock> block;
  for (const OldDatagram& datagram : replay) {
    if (!block || !block->Append(datagram.payload.data(), datagram.payload.size(),
                                 datagram.received_at_us, datagram.truncated)) {
      if (index == block_count) {  // the ring is smaller than the one they came from
        ++found.torn;
        --found.replayed;
        continue;
      }
      block.emplace(ring->BlockData(index), block_bytes, index, ring->BlockHeader(index));
      block->BeginFill(ring->NextFillSeq());
      ring->replay_blocks_.push_back(index++);
      if (!block->Append(datagram.payload.data(), datagram.payload.size(), datagram.received_at_us,
                         datagram.truncated)) {
        ++found.torn;  // cannot happen: a record that fitted a block fits an empty one
        --found.replayed;
      }
    }
  }
  if (::rename(fresh.c_str(), path.c_str()) != 0) {
    return Fail(ErrorCode::kIoError, Errno("ingest.ring: cannot rename to", path));
  }
  if (recovery != nullptr) *recovery = std::move(found);
  return ring;
}

IngestRing::IngestRing(std::string path, std::byte* base, size_t length, const Shape& shape)
    : path_(std::move(path)),
      base_(base),
      length_(length),
      block_bytes_(shape.block_bytes),
      block_count_(shape.blocks),
      block_stride_(Stride(shape.block_bytes)),
      landings_(shape.landings),
      slot_bytes_(shape.slot_bytes) {}

IngestRing::~IngestRing() { ::munmap(base_, length_); }

void IngestRing::Remove() { ::unlink(path_.c_str()); }

std::byte* IngestRing::BlockData(uint32_t index) const {
  return base_ + kBlocksOffset + index * block_stride_ + sizeof(RingBlockHeader);
}

RingBlockHeader* IngestRing::BlockHeader(uint32_t index) const {
  return reinterpret_cast<RingBlockHeader*>(base_ + kBlocksOffset + index * block_stride_);
}

LandingHeader* IngestRing::Landing(uint32_t receiver) const {
  return reinterpret_cast<LandingHeader*>(base_ + LandingsOffset(block_bytes_, block_count_) +
                                          receiver * LandingStride(slot_bytes_));
}

char* IngestRing::LandingSlots(uint32_t receiver) const {
  return reinterpret_cast<char*>(Landing(receiver)) + kPage;
}

uint64_t IngestRing::NextFillSeq() {
  auto* header = reinterpret_cast<RingFileHeader*>(base_);
  return std::atomic_ref<uint64_t>(header->next_seq).fetch_add(1, std::memory_order_relaxed);
}

void IngestRing::Settle(uint64_t batch_id) {
  MutexLock lock(mu_);
  auto* header = reinterpret_cast<RingFileHeader*>(base_);
  auto* log = reinterpret_cast<uint64_t*>(base_ + kLogOffset);
  log[header->settled_count % kSettledLog] = batch_id;
  ++header->settled_count;
  if (settled_.insert(batch_id).second) settled_order_.push_back(batch_id);
  if (settled_order_.size() > kSettledLog) {
    settled_.erase(settled_order_.front());
    settled_order_.pop_front();
  }
}

bool IngestRing::IsSettled(uint64_t batch_id) const {
  MutexLock lock(mu_);
  return settled_.contains(batch_id);
}

}  // namespace sluice::ingest
