#pragma once

#include <sys/socket.h>

#include <chrono>
#include <span>
#include <string>
#include <vector>

#include "common/counters.h"
#include "common/unique_fd.h"

namespace sluice::ingest {

// Passes every datagram on, byte for byte, to another Unix datagram socket (ingest.forward,
// e.g. the system's /dev/log), so sluiced can take over a socket without hiding the usual
// logs. Called by the receiver with each recvmmsg() batch, before the ingest queue, so what
// the queue sheds is still forwarded: one sendmmsg() a batch. Never waits: a datagram the
// target has no room for (EAGAIN) is dropped and counted as forward_dropped; one the target
// refuses (it is gone, or refuses the connection) as forward_refused, logged once until it is
// back; sent ones count as forwarded. A missing target is reconnected at most once a second.
// Not thread-safe: owned by one receiver thread. `counters` must outlive this.
class DatagramForwarder {
 public:
  using Clock = std::chrono::steady_clock;

  DatagramForwarder(std::string path, Counters& counters);

  // Forwards `datagrams` (each one iovec: its bytes).
  void Forward(std::span<const iovec> datagrams);

 private:
  bool EnsureConnected(Clock::time_point now);
  void Disconnect(Clock::time_point now, int error);

  std::string path_;
  Counters& counters_;
  UniqueFd fd_;
  Clock::time_point next_attempt_{};
  bool warned_ = false;  // the target's absence is logged once until it comes back
  std::vector<mmsghdr> messages_;
};

}  // namespace sluice::ingest
