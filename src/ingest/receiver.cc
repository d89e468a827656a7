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
                   size_t max_datagram_bytes, const std::string& forward, uint32_t index)
    : socket_fd_(socket_fd),
      producer_(queue),
      counters_(counters),
      slot_bytes_(max_datagram_bytes),
      messages_(kBatch),
      iovecs_(kBatch),
      forwarder_(forward.empty() ? std::nullopt
                                 : std::make_optional<DatagramForwarder>(forward, counters)),
      forward_iovecs_(forward.empty() ? 0 : kBatch),
      wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!wake_fd_.valid()) std::abort();
  IngestRing* ring = queue.ring();
  if (ring != nullptr && index < ring->landings() && ring->slot_bytes() == slot_bytes_) {
    landing_ = ring->Landing(index);
    scratch_ = ring->LandingSlots(index);
  } else {
    owned_scratch_ = std::make_unique_for_overwrite<char[]>(kBatch * max_datagram_bytes);
    scratch_ = owned_scratch_.get();
  }
  for (size_t i = 0; i < kBatch; ++i) {
    iovecs_[i] = iovec{scratch_ + i * slot_bytes_, slot_bytes_};
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
  if (landing_ != nullptr) {  // the call's datagrams are in the ring: say how many and how long
    for (int i = 0; i < n; ++i) {
      const msghdr& m = messages_[static_cast<size_t>(i)].msg_hdr;
      landing_->lengths[i] = messages_[static_cast<size_t>(i)].msg_len;
      landing_->flags[i] = (m.msg_flags & MSG_TRUNC) != 0 ? 1 : 0;
    }
    landing_->received_at_us = now_us;
    landing_->copied = 0;
    std::atomic_ref<uint32_t>(landing_->count)
        .store(static_cast<uint32_t>(n), std::memory_order_release);
  }
  for (int i = 0; i < n; ++i) {
    const mmsghdr& m = messages_[static_cast<size_t>(i)];
    bool truncated = (m.msg_hdr.msg_flags & MSG_TRUNC) != 0;
    Store(scratch_ + static_cast<size_t>(i) * slot_bytes_, m.msg_len, truncated, now_us);
    bytes += m.msg_len;
  }
  if (landing_ != nullptr)
    std::atomic_ref<uint32_t>(landing_->count).store(0, std::memory_order_release);
  if (forwarder_) {  // before the queue, so what it sheds still reaches the target
    for (int i = 0; i < n; ++i) {
      forward_iovecs_[static_cast<size_t>(i)] = {
          scratch_ + static_cast<size_t>(i) * slot_bytes_,
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
  size = std::min(size, slot_bytes_);
  if (current_ == nullptr || !current_->Fits(size)) {
    PublishCurrent();
    current_ = producer_.TryAcquire();
    if (current_ != nullptr) block_opened_us_ = CoarseMonotonicMicros();
  }
  if (current_ == nullptr || !current_->Fits(size)) {
    ++pending_shed_;
  } else {
    if (landing_ != nullptr) {  // where this slot goes, for a recovery after a kill mid-append
      landing_->block = current_->index();
      landing_->block_seq = current_->fill_seq();
      landing_->block_count = static_cast<uint32_t>(current_->count());
    }
    current_->Append(data, size, now_us, truncated);
  }
  if (landing_ != nullptr) {
    std::atomic_ref<uint32_t> copied(landing_->copied);
    copied.store(copied.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }
}

void Receiver::PublishCurrent() {
  if (current_ == nullptr || current_->empty()) return;
  producer_.Publish(current_);
  current_ = nullptr;
}

}  // namespace sluice::ingest
