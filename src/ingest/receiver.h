#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/counters.h"
#include "common/unique_fd.h"
#include "ingest/datagram_forwarder.h"
#include "ingest/datagram_queue.h"

namespace sluice::ingest {

// A thread reading one socket with recvmmsg() into the DatagramQueue. The loop takes no lock,
// never allocates, touches no disk and no database: when the queue is full it reads and counts
// the datagrams as shed, so the senders never wait on sluice. Counts received/bytes/shed.
// Thread-safe: Stop() from any thread; the destructor stops and joins.
// `socket_fd`, `queue` and `counters` must outlive this.
class Receiver {
 public:
  static constexpr size_t kBatch = kLandingSlots;  // datagrams per recvmmsg() call
  static constexpr int kHoldMillis = 5;            // longest a partly filled block is held back

  // `forward`: a socket every datagram is passed on to as it is read ("" = none; see
  // DatagramForwarder). With an ingest ring, receiver `index` reads into the ring's landing
  // zone `index` (IngestRing::LandingHeader), so what a call returned outlives a kill.
  Receiver(int socket_fd, DatagramQueue& queue, Counters& counters, size_t max_datagram_bytes,
           const std::string& forward = "", uint32_t index = 0);
  ~Receiver();
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  // Stops reading (at most one more recvmmsg batch is taken); returns when the thread has
  // published its last block. Idempotent.
  void Stop();

 private:
  void Run();
  // Reads one recvmmsg() batch; returns the number of datagrams, 0 when the socket is empty.
  size_t ReadBatch();
  void Store(const char* data, size_t size, bool truncated, int64_t now_us);
  void PublishCurrent();

  int socket_fd_;
  DatagramQueue::Producer producer_;
  Counters& counters_;
  size_t slot_bytes_;
  // kBatch slots of slot_bytes_, never zeroed: the kernel writes into the pages a datagram
  // needs, so a slot costs one resident page for a short line, not max_datagram_bytes.
  std::unique_ptr<char[]> owned_scratch_;
  char* scratch_;
  LandingHeader* landing_ = nullptr;  // in the ring, or null
  std::vector<mmsghdr> messages_;
  std::vector<iovec> iovecs_;
  std::optional<DatagramForwarder> forwarder_;
  std::vector<iovec> forward_iovecs_;  // the datagrams of the last batch, for forwarder_
  DatagramBlock* current_ = nullptr;
  int64_t block_opened_us_ = 0;  // monotonic time of current_'s first datagram
  uint64_t pending_shed_ = 0;
  UniqueFd wake_fd_;  // eventfd: written by Stop() to end poll()
  std::atomic<bool> stopping_{false};
  std::thread thread_;  // last: started when everything above is ready
};

}  // namespace sluice::ingest
