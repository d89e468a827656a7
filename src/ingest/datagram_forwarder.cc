#include "ingest/datagram_forwarder.h"

#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/logging.h"

namespace sluice::ingest {
namespace {

constexpr auto kReconnectInterval = std::chrono::seconds(1);

}  // namespace

DatagramForwarder::DatagramForwarder(std::string path, Counters& counters)
    : path_(std::move(path)), counters_(counters) {}

bool DatagramForwarder::EnsureConnected(Clock::time_point now) {
  if (fd_.valid()) return true;
  if (now < next_attempt_) return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path_.data(), std::min(path_.size(), sizeof address.sun_path - 1));
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.valid() &&
      ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
    fd_ = std::move(fd);
    if (warned_) LogInfo("forwarding to " + path_ + " again");
    warned_ = false;
    return true;
  }
  Disconnect(now, errno);
  return false;
}

void DatagramForwarder::Disconnect(Clock::time_point now, int error) {
  fd_.Reset();
  next_attempt_ = now + kReconnectInterval;
  if (!warned_) {
    LogWarn("cannot forward to " + path_ + ": " + std::strerror(error) +
            "; datagrams are dropped (counted as forward_dropped) until it is back");
    warned_ = true;
  }
}

void DatagramForwarder::Forward(const DatagramBlock& block) {
  const size_t count = block.count();
  if (count == 0) return;
  if (!EnsureConnected(Clock::now())) {
    counters_.forward_dropped.fetch_add(count, std::memory_order_relaxed);
    return;
  }
  parts_.clear();
  block.ForEach([&](const Datagram& datagram) {
    parts_.push_back({const_cast<char*>(datagram.payload.data()), datagram.payload.size()});
  });
  messages_.assign(count, mmsghdr{});
  for (size_t i = 0; i < count; ++i) {
    messages_[i].msg_hdr.msg_iov = &parts_[i];
    messages_[i].msg_hdr.msg_iovlen = 1;
  }
  size_t sent = 0, dropped = 0;
  while (sent + dropped < count) {
    size_t next = sent + dropped;
    int n = ::sendmmsg(fd_.get(), &messages_[next], static_cast<unsigned>(count - next),
                       MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EMSGSIZE) {
      ++dropped;  // too big for the target's buffer: that one only
    } else {
      if (n < 0 && errno != EAGAIN) Disconnect(Clock::now(), errno);  // the target went away
      dropped = count - sent;  // full now: the rest of the block is dropped, not waited for
    }
  }
  counters_.forwarded.fetch_add(sent, std::memory_order_relaxed);
  counters_.forward_dropped.fetch_add(dropped, std::memory_order_relaxed);
}

}  // namespace sluice::ingest
