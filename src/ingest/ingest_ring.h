#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/mutex.h"
#include "common/status.h"
#include "ingest/datagram_block.h"

namespace sluice::ingest {

// Datagrams one recvmmsg() call takes at most (Receiver::kBatch).
inline constexpr uint32_t kLandingSlots = 64;

// A receiver's recvmmsg() slots in the ring and what it has done with them, so that a kill
// between the call's return and the last copy into a block loses nothing the call returned.
// The receiver writes `lengths`, `flags` and `received_at_us`, then `count` (the datagrams in
// the slots); before copying slot `copied` into a block it notes the block, its fill and its
// record count, and after it raises `copied`; `count` is 0 again once all are copied.
struct LandingHeader {
  uint32_t count;
  uint32_t copied;
  uint32_t block;        // where slot `copied` is being appended
  uint32_t block_count;  // that block's records before the append
  uint64_t block_seq;    // that block's fill
  int64_t received_at_us;
  uint32_t lengths[kLandingSlots];
  uint32_t flags[kLandingSlots];  // 1: truncated
};

// The ingest queue's blocks in a file on tmpfs (`ingest.ring`, normally under /run/sluice),
// mapped shared into memory: a kill -9 of sluiced ends the process, not the file, so what the
// receivers took from the socket and the pipeline had not yet seen stored is still there for
// the next start. The file also keeps the ids of the batches known to be stored ("settled":
// appended to the spool, or refused and counted as shed), so that the next start can tell
// which datagrams of the blocks left behind are stored already.
//
// Layout: a 4 KiB header, a log of the last kSettledLog settled batch ids, then the blocks,
// each a RingBlockHeader and block_bytes of records (DatagramRecordHeader + payload, every
// record stamped with its fill's sequence and checksummed), at page-aligned strides, then a
// landing zone per receiver (a page of LandingHeader, then kLandingSlots slots).
//
// Open() reads what a previous run left (with read(), so a truncated file cannot fault),
// writes the datagrams still to be stored into the first blocks of a new file, and renames it
// over the old one: a crash during recovery leaves the old file to be read again.
// Thread-safe: NextFillSeq, Settle and IsSettled from any thread; the blocks belong to whoever
// holds them (see DatagramQueue).
class IngestRing {
 public:
  static constexpr size_t kSettledLog = 65536;

  // What Open() found of a previous run.
  struct Recovery {
    uint64_t replayed = 0;        // datagrams put back in the queue, to be stored now
    uint64_t already_stored = 0;  // datagrams whose batch had reached the spool
    uint64_t settled = 0;         // datagrams the last run ignored or counted as shed
    uint64_t torn = 0;            // records that did not read back whole (to count as shed)
    uint64_t blocks = 0;          // blocks of the last run that held datagrams
    std::string unreadable;       // why a file there was not read as a ring ("": it was)
  };

  struct Shape {
    size_t block_bytes;
    uint32_t blocks;
    uint32_t landings = 0;  // receivers
    size_t slot_bytes = 0;  // of a landing slot: the longest datagram kept whole
  };

  // Maps the ring at `path` (its directory must be on tmpfs or ramfs) in `shape`. A ring a
  // previous run left there is recovered first (see above); `stored(batch_id)` says whether
  // a batch of that run is in the spool.
  static Result<std::unique_ptr<IngestRing>> Open(const std::string& path, const Shape& shape,
                                                  const std::function<bool(uint64_t)>& stored,
                                                  Recovery* recovery);
  ~IngestRing();  // unmaps; the file stays
  IngestRing(const IngestRing&) = delete;
  IngestRing& operator=(const IngestRing&) = delete;

  // Deletes the file: at a clean stop nothing in it is needed any more.
  void Remove();

  const std::string& path() const { return path_; }
  uint32_t block_count() const { return block_count_; }
  size_t block_bytes() const { return block_bytes_; }
  std::byte* BlockData(uint32_t index) const;
  RingBlockHeader* BlockHeader(uint32_t index) const;
  uint32_t landings() const { return landings_; }
  LandingHeader* Landing(uint32_t receiver) const;
  // The receiver's kLandingSlots slots of slot_bytes() each.
  char* LandingSlots(uint32_t receiver) const;
  size_t slot_bytes() const { return slot_bytes_; }
  // Blocks Open() filled with the previous run's datagrams, in their order.
  const std::vector<uint32_t>& replay_blocks() const { return replay_blocks_; }

  // A new, never used fill sequence (not 0).
  uint64_t NextFillSeq();

  // `batch_id` holds datagrams of this ring and is stored (or counted as shed): remembered in
  // the file and in memory. The memory remembers the last kSettledLog ids.
  void Settle(uint64_t batch_id) EXCLUDES(mu_);
  bool IsSettled(uint64_t batch_id) const EXCLUDES(mu_);

 private:
  IngestRing(std::string path, std::byte* base, size_t length, const Shape& shape);

  std::string path_;
  std::byte* base_;
  size_t length_;
  size_t block_bytes_;
  uint32_t block_count_;
  size_t block_stride_;
  uint32_t landings_;
  size_t slot_bytes_;
  std::vector<uint32_t> replay_blocks_;
  mutable Mutex mu_;
  std::unordered_set<uint64_t> settled_ GUARDED_BY(mu_);
  std::deque<uint64_t> settled_order_ GUARDED_BY(mu_);
};

}  // namespace sluice::ingest
