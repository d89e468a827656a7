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
            "; datagrams are not forwarded (counted as forward_refused) until it is back");
    warned_ = true;
  }
}

void DatagramForwarder::Forward(std::span<const iovec> datagrams) {
  const size_t count = datagrams.size();
  if (count == 0) return;
  if (!EnsureConnected(Clock::now())) {
    counters_.forward_refused.fetch_add(count, std::memory_order_relaxed);
    return;
  }
  messages_.assign(count, mmsghdr{});
  for (size_t i = 0; i < count; ++i) {
    messages_[i].msg_hdr.msg_iov = const_cast<iovec*>(&datagrams[i]);
    messages_[i].msg_hdr.msg_iovlen = 1;
  }
  size_t sent = 0, dropped = 0, refused = 0;
  while (sent + dropped + refused < count) {
    size_t next = sent + dropped + refused;
    int n = ::sendmmsg(fd_.get(), &messages_[next], static_cast<unsigned>(count - next),
                       MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EMSGSIZE) {
      ++refused;  // too big for the target: that one only
    } else if (n < 0 && errno == EAGAIN) {
      dropped = count - sent - refused;  // full now: the rest is dropped, not waited for
    } else {
      Disconnect(Clock::now(), errno);  // the target went away, or refuses
      refused = count - sent - dropped;
    }
  }
  counters_.forwarded.fetch_add(sent, std::memory_order_relaxed);
  counters_.forward_dropped.fetch_add(dropped, std::memory_order_relaxed);
  counters_.forward_refused.fetch_add(refused, std::memory_order_relaxed);
}

}  // namespace sluice::ingest
