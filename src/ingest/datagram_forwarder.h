#pragma once

#include <sys/socket.h>

#include <chrono>
#include <string>
#include <vector>

#include "common/counters.h"
#include "common/unique_fd.h"
#include "ingest/datagram_block.h"

namespace sluice::ingest {

// Passes every datagram on, byte for byte, to another Unix datagram socket (ingest.forward,
// e.g. the system's /dev/log), so sluiced can take over a socket without hiding the usual
// logs. Never waits: a datagram the target has no room for (EAGAIN), or that arrives while the
// target is missing, is dropped and counted (forward_dropped); sent ones count as forwarded.
// While the target is missing it is reconnected at most once a second.
// Not thread-safe: owned by the pipeline thread (never the receive thread, whose only job is
// to read). `counters` must outlive this.
class DatagramForwarder {
 public:
  using Clock = std::chrono::steady_clock;

  DatagramForwarder(std::string path, Counters& counters);

  void Forward(const DatagramBlock& block);

 private:
  bool EnsureConnected(Clock::time_point now);
  void Disconnect(Clock::time_point now, int error);

  std::string path_;
  Counters& counters_;
  UniqueFd fd_;
  Clock::time_point next_attempt_{};
  bool warned_ = false;  // the target's absence is logged once until it comes back
  std::vector<mmsghdr> messages_;
  std::vector<iovec> parts_;
};

}  // namespace sluice::ingest
