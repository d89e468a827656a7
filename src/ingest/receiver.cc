#include "ingest/receiver.h"

#include <poll.h>
#include <sys/eventfd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <span>

#include "common/clock.h"
#include "common/thread_name.h"

namespace sluice::ingest {

Receiver::Receiver(int socket_fd, DatagramQueue& queue, Counters& counters,
                   size_t max_datagram_bytes, const std::string& forward)
    : socket_fd_(socket_fd),
      producer_(queue),
      counters_(counters),
      slot_bytes_(max_datagram_bytes),
      scratch_(std::make_unique_for_overwrite<char[]>(kBatch * max_datagram_bytes)),
      messages_(kBatch),
      iovecs_(kBatch),
      forwarder_(forward.empty() ? std::nullopt
                                 : std::make_optional<DatagramForwarder>(forward, counters)),
      forward_iovecs_(forward.empty() ? 0 : kBatch),
      wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!wake_fd_.valid()) std::abort();
  for (size_t i = 0; i < kBatch; ++i) {
    iovecs_[i] = iovec{scratch_.get() + i * slot_bytes_, slot_bytes_};
    messages_[i].msg_hdr = msghdr{};
    messages_[i].msg_hdr.msg_iov = &iovecs_[i];
    messages_[i].msg_hdr.msg_iovlen = 1;
  }
  thread_ = std::thread([this] { Run(); });
}

Receiver::~Receiver() { Stop(); }

void Receiver::Stop() {
  if (!stopping_.exchange(true)) {
    uint64_t one = 1;
    (void)!::write(wake_fd_.get(), &one, sizeof one);  // cannot fail: the counter is far from max
  }
  if (thread_.joinable()) thread_.join();
}

void Receiver::Run() {
  SetCurrentThreadName("sluice-recv");
  pollfd fds[2] = {{socket_fd_, POLLIN, 0}, {wake_fd_.get(), POLLIN, 0}};
  while (true) {
    size_t n = ReadBatch();
    bool stopping = stopping_.load(std::memory_order_relaxed);
    if (stopping) break;
    // A block goes to the pipeline when it is full (in Store) or has been open for
    // kHoldMillis: waking the pipeline once per block rather than once per datagram keeps
    // the receive path cheap under a flood and blocks dense, so the byte bound holds.
    int64_t held_ms = current_ != nullptr ? (CoarseMonotonicMicros() - block_opened_us_) / 1000 : 0;
    if (held_ms >= kHoldMillis) {
      PublishCurrent();
      held_ms = 0;
    }
    if (n > 0) continue;  // more may be waiting
    int timeout = current_ != nullptr ? static_cast<int>(kHoldMillis - held_ms) : -1;
    (void)::poll(fds, 2, timeout);  // a datagram, a wake-up, a timeout or EINTR: loop again
  }
  PublishCurrent();
}

size_t Receiver::ReadBatch() {
  for (size_t i = 0; i < kBatch; ++i) messages_[i].msg_hdr.msg_flags = 0;
  int n = ::recvmmsg(socket_fd_, messages_.data(), kBatch, MSG_DONTWAIT, nullptr);
  if (n <= 0) return 0;  // EAGAIN (empty), EINTR; both mean "poll and try again"
  int64_t now_us = WallMicros();
  uint64_t bytes = 0;
  for (int i = 0; i < n; ++i) {
    const mmsghdr& m = messages_[static_cast<size_t>(i)];
    bool truncated = (m.msg_hdr.msg_flags & MSG_TRUNC) != 0;
    Store(scratch_.get() + static_cast<size_t>(i) * slot_bytes_, m.msg_len, truncated, now_us);
    bytes += m.msg_len;
  }
  if (forwarder_) {  // before the queue, so what it sheds still reaches the target
    for (int i = 0; i < n; ++i) {
      forward_iovecs_[static_cast<size_t>(i)] = {
          scratch_.get() + static_cast<size_t>(i) * slot_bytes_,
          std::min<size_t>(messages_[static_cast<size_t>(i)].msg_len, slot_bytes_)};
    }
    forwarder_->Forward(std::span<const iovec>(forward_iovecs_.data(), static_cast<size_t>(n)));
  }
  counters_.received.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
  counters_.bytes.fetch_add(bytes, std::memory_order_relaxed);
  if (pending_shed_ > 0) {
    counters_.Shed(counters_.shed_queue_full, pending_shed_);
    pending_shed_ = 0;
  }
  return static_cast<size_t>(n);
}

void Receiver::Store(const char* data, size_t size, bool truncated, int64_t now_us) {
  if (current_ != nullptr && current_->Append(data, size, now_us, truncated)) return;
  PublishCurrent();
  current_ = producer_.TryAcquire();
  if (current_ == nullptr || !current_->Append(data, size, now_us, truncated)) {
    ++pending_shed_;
    return;
  }
  block_opened_us_ = CoarseMonotonicMicros();
}

void Receiver::PublishCurrent() {
  if (current_ == nullptr || current_->empty()) return;
  producer_.Publish(current_);
  current_ = nullptr;
}

}  // namespace sluice::ingest
