#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

namespace sluice::ingest {

// What the pipeline writes into a datagram's record once it has routed it: the id of the batch
// (detail or summary) that will hold it, or kRecordSettled for one that needs no batch (ignored,
// or shed and counted). 0 until then. Read back from an ingest ring after a crash.
inline constexpr uint64_t kRecordSettled = ~uint64_t{0};

// One received datagram as seen by the pipeline. `payload` points into its DatagramBlock.
struct Datagram {
  std::string_view payload;
  int64_t received_at_us;  // wall clock, microseconds since the Unix epoch
  bool truncated;          // longer than ingest.max_datagram_bytes; payload holds the head
};

// The state of a block kept in an ingest ring's file (ingest/ingest_ring.h), beside its
// records, so a restarted daemon can tell which blocks held datagrams and how many.
struct RingBlockHeader {
  uint64_t seq;    // 0: free; else the ring-wide sequence of the fill (records carry it too)
  uint32_t count;  // records completely written
  uint32_t reserved;
  uint64_t padding[6];
};
static_assert(sizeof(RingBlockHeader) == 64);

// A datagram's record in a block: this header, then the payload, padded to 8 bytes.
struct DatagramRecordHeader {
  uint32_t size;
  uint32_t flags;  // 1: truncated
  int64_t received_at_us;
  uint64_t batch_id;   // written by the pipeline: see kRecordSettled
  uint32_t block_seq;  // the low bits of the fill's RingBlockHeader::seq (ring blocks only)
  uint32_t crc;        // crc32 of the fields above but batch_id, then the payload (ring only)
};
static_assert(sizeof(DatagramRecordHeader) == 32);

// crc32 of a record (its header's size, flags, received_at_us and block_seq, then `payload`).
uint32_t DatagramRecordCrc(const DatagramRecordHeader& header, const char* payload);

// A fixed-size buffer of datagrams packed back to back, the unit that travels through the
// ingest queue. Filled by one receiver, then read by one pipeline thread. Its memory is its
// own, or a block of an ingest ring (then every record is stamped and checksummed, and the
// ring's header for the block counts the records as they are written).
// Not thread-safe: owned by one thread at a time (the queue hands it over).
class DatagramBlock {
 public:
  // A block in memory of its own. `index`: its place among its queue's blocks.
  DatagramBlock(size_t capacity, uint32_t index)
      : owned_(std::make_unique_for_overwrite<std::byte[]>(capacity)),
        data_(owned_.get()),
        capacity_(capacity),
        index_(index) {}
  // A block in a ring's memory: `data` of `capacity` bytes and `ring` must outlive it.
  DatagramBlock(std::byte* data, size_t capacity, uint32_t index, RingBlockHeader* ring)
      : data_(data), capacity_(capacity), index_(index), ring_(ring) {}

  // Bytes a datagram of `payload_size` takes in a block, header and padding included.
  static constexpr size_t RecordSize(size_t payload_size) {
    return (sizeof(DatagramRecordHeader) + payload_size + 7) & ~size_t{7};
  }

  // A ring block's new fill: its records are stamped with `seq` (not 0).
  void BeginFill(uint64_t seq) {
    if (ring_ != nullptr) {
      ring_->count = 0;
      ring_->seq = seq;
    }
  }

  // Takes the records a ring block already holds (IngestRing::replay_blocks) as its content.
  void AdoptRingFill() {
    used_ = count_ = 0;
    if (ring_ == nullptr) return;
    while (count_ < ring_->count) {
      DatagramRecordHeader header;
      std::memcpy(&header, data_ + used_, sizeof header);
      used_ += RecordSize(header.size);
      ++count_;
    }
  }

  // Whether a datagram of `size` bytes fits.
  bool Fits(size_t size) const { return RecordSize(size) <= capacity_ - used_; }
  // The fill's sequence in the ring (0 for a block of its own memory).
  uint64_t fill_seq() const { return ring_ != nullptr ? ring_->seq : 0; }

  // Appends a datagram; returns false, changing nothing, when it does not fit.
  bool Append(const char* payload, size_t size, int64_t received_at_us, bool truncated) {
    size_t record = RecordSize(size);
    if (record > capacity_ - used_) return false;
    DatagramRecordHeader header{
        static_cast<uint32_t>(size), truncated ? 1u : 0u, received_at_us, 0, 0, 0};
    if (ring_ != nullptr) {
      header.block_seq = static_cast<uint32_t>(ring_->seq);
      header.crc = DatagramRecordCrc(header, payload);
    }
    std::memcpy(data_ + used_, &header, sizeof header);
    std::memcpy(data_ + used_ + sizeof header, payload, size);
    used_ += record;
    ++count_;
    if (ring_ != nullptr) {  // after the record: the count says it is whole
      std::atomic_ref<uint32_t>(ring_->count)
          .store(static_cast<uint32_t>(count_), std::memory_order_release);
    }
    return true;
  }

  // Calls `fn(const Datagram&, uint64_t* batch_id)` for each datagram in arrival order;
  // `batch_id` points at the record's batch id (0 until written: see kRecordSettled).
  template <typename Fn>
  void ForEach(Fn&& fn) {
    size_t offset = 0;
    while (offset < used_) {
      DatagramRecordHeader header;
      std::memcpy(&header, data_ + offset, sizeof header);
      const char* payload = reinterpret_cast<const char*>(data_ + offset + sizeof header);
      auto* batch_id =
          reinterpret_cast<uint64_t*>(data_ + offset + offsetof(DatagramRecordHeader, batch_id));
      fn(Datagram{std::string_view(payload, header.size), header.received_at_us, header.flags != 0},
         batch_id);
      offset += RecordSize(header.size);
    }
  }
  // The same, for a reader that routes nothing.
  template <typename Fn>
  void ForEachDatagram(Fn&& fn) {
    ForEach([&](const Datagram& datagram, uint64_t*) { fn(datagram); });
  }

  // Empties the block; a ring block is marked free in the ring.
  void Clear() {
    used_ = count_ = 0;
    if (ring_ != nullptr) {
      ring_->seq = 0;
      ring_->count = 0;
    }
  }
  bool empty() const { return count_ == 0; }
  size_t count() const { return count_; }
  size_t capacity() const { return capacity_; }
  uint32_t index() const { return index_; }
  bool in_ring() const { return ring_ != nullptr; }

 private:
  std::unique_ptr<std::byte[]> owned_;
  std::byte* data_;
  size_t capacity_;
  uint32_t index_;
  RingBlockHeader* ring_ = nullptr;
  size_t used_ = 0;
  size_t count_ = 0;
};

}  // namespace sluice::ingest
