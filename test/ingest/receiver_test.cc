#include "ingest/receiver.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <array>
#include <atomic>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "ingest/datagram_socket.h"
#include "support/daemon_harness.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace sluice::ingest {
namespace {

using testing::TempDir;
using testing::WaitUntil;

class Sender {
 public:
  explicit Sender(const std::string& path) : fd_(::socket(AF_UNIX, SOCK_DGRAM, 0)) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path.copy(addr.sun_path, path.size());
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Sender() { ::close(fd_); }
  bool Send(std::string_view s) { return ::send(fd_, s.data(), s.size(), 0) == ssize_t(s.size()); }
  bool connected() const { return connected_; }

 private:
  int fd_;
  bool connected_;
};

class ReceiverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto bound = DatagramSocket::Bind({dir_.File("r.sock"), 0660, "", 0});
    ASSERT_TRUE(bound) << bound.error().message();
    socket_.emplace(std::move(*bound));
  }
  uint64_t Drain(DatagramQueue& queue, std::string* last = nullptr) {
    uint64_t n = 0;
    while (DatagramBlock* block = queue.TryFull()) {
      block->ForEachDatagram([&](const Datagram& d) {
        ++n;
        if (last != nullptr) *last = std::string(d.payload);
      });
      queue.Release(block);
    }
    return n;
  }
  TempDir dir_;
  std::optional<DatagramSocket> socket_;
  Counters counters_;
};

TEST_F(ReceiverTest, EveryDatagramSentIsQueuedInOrder) {
  DatagramQueue queue(64 << 20, 256 << 10, 1);
  Receiver receiver(socket_->fd(), queue, counters_, 4096);
  Sender sender(dir_.File("r.sock"));
  ASSERT_TRUE(sender.connected());
  constexpr int kCount = 20000;
  uint64_t seen = 0;
  std::string last;
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE(sender.Send("<22>Nov 28 10:00:00 postfix/smtpd[1]: line " + std::to_string(i)));
    if (i % 1000 == 0) seen += Drain(queue);
  }
  ASSERT_TRUE(
      WaitUntil([&] { return counters_.received.load() == kCount; }, std::chrono::seconds(30)));
  receiver.Stop();
  seen += Drain(queue, &last);
  EXPECT_EQ(seen, uint64_t{kCount});
  EXPECT_EQ(last, "<22>Nov 28 10:00:00 postfix/smtpd[1]: line 19999");
  EXPECT_EQ(counters_.shed.load(), 0u);
}

TEST_F(ReceiverTest, FullQueueIsCountedAsShedAndTheSenderNeverBlocks) {
  DatagramQueue queue(2 * 4096, 4096, 1);  // two tiny blocks, nobody draining them
  Receiver receiver(socket_->fd(), queue, counters_, 1024);
  Sender sender(dir_.File("r.sock"));
  constexpr int kCount = 5000;
  std::string line(100, 'x');
  // Blocking sends: were the receiver to wait for the stalled pipeline, the socket's queue
  // (net.unix.max_dgram_qlen) would fill and this loop would hang until the test times out.
  for (int i = 0; i < kCount; ++i) ASSERT_TRUE(sender.Send(line));
  ASSERT_TRUE(
      WaitUntil([&] { return counters_.received.load() == kCount; }, std::chrono::seconds(30)));
  receiver.Stop();
  uint64_t queued = Drain(queue);
  EXPECT_GT(counters_.shed.load(), 0u);
  EXPECT_EQ(counters_.shed.load(), counters_.shed_queue_full.load());
  EXPECT_EQ(queued + counters_.shed.load(), uint64_t{kCount});
}

TEST_F(ReceiverTest, OversizedDatagramIsTruncatedAndFlagged) {
  DatagramQueue queue(1 << 20, 256 << 10, 1);
  Receiver receiver(socket_->fd(), queue, counters_, 1024);
  Sender sender(dir_.File("r.sock"));
  ASSERT_TRUE(sender.Send(std::string(5000, 'y')));
  ASSERT_TRUE(WaitUntil([&] { return counters_.received.load() == 1; }, std::chrono::seconds(10)));
  receiver.Stop();
  DatagramBlock* block = queue.TryFull();
  ASSERT_NE(block, nullptr);
  block->ForEachDatagram([](const Datagram& d) {
    EXPECT_TRUE(d.truncated);
    EXPECT_EQ(d.payload.size(), 1024u);
  });
  queue.Release(block);
}

TEST_F(ReceiverTest, ForwardsEveryDatagramUnchangedAndCountsWhatDidNotFit) {
  UniqueFd target = testing::BindDatagramSocket(dir_.File("target.sock"));
  ASSERT_TRUE(target.valid());
  DatagramQueue queue(1 << 20, 256 << 10, 1);
  Receiver receiver(socket_->fd(), queue, counters_, 1024, dir_.File("target.sock"));
  Sender sender(dir_.File("r.sock"));
  ASSERT_TRUE(sender.Send("<22>first"));
  ASSERT_TRUE(sender.Send(std::string("bin\0ary\0", 8)));
  ASSERT_TRUE(WaitUntil([&] { return counters_.forwarded.load() == 2; }, std::chrono::seconds(10)));
  std::array<char, 64> buffer{};
  ssize_t n = ::recv(target.get(), buffer.data(), buffer.size(), 0);
  EXPECT_EQ(std::string(buffer.data(), static_cast<size_t>(n)), "<22>first");
  n = ::recv(target.get(), buffer.data(), buffer.size(), 0);
  EXPECT_EQ(std::string(buffer.data(), static_cast<size_t>(n)), std::string("bin\0ary\0", 8));

  // Nobody reads the target now: its queue (net.unix.max_dgram_qlen) fills and the rest are
  // dropped and counted, without the receiver waiting.
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(sender.Send("<22>more"));
  ASSERT_TRUE(
      WaitUntil([&] { return counters_.received.load() == 202; }, std::chrono::seconds(10)));
  receiver.Stop();
  EXPECT_EQ(counters_.forwarded.load() + counters_.forward_dropped.load(), 202u);
  EXPECT_GT(counters_.forward_dropped.load(), 0u);
  EXPECT_EQ(counters_.forward_refused.load(), 0u);
  EXPECT_EQ(Drain(queue), 202u);  // forwarding changes nothing about what is queued
}

TEST_F(ReceiverTest, AMissingForwardTargetIsCountedAsRefusedWithoutStopping) {
  DatagramQueue queue(1 << 20, 256 << 10, 1);
  Receiver receiver(socket_->fd(), queue, counters_, 1024, "/nonexistent/sluice.sock");
  Sender sender(dir_.File("r.sock"));
  for (const char* line : {"a", "b", "c"}) ASSERT_TRUE(sender.Send(line));
  ASSERT_TRUE(WaitUntil([&] { return counters_.received.load() == 3; }, std::chrono::seconds(10)));
  receiver.Stop();
  EXPECT_EQ(counters_.forward_refused.load(), 3u);
  EXPECT_EQ(Drain(queue), 3u);
}

// The forward target (the system's syslog) gets what the full ingest queue sheds too: the
// receiver forwards each batch as it reads it, before the queue.
TEST_F(ReceiverTest, WhatAFullQueueShedsIsStillForwarded) {
  UniqueFd target = testing::BindDatagramSocket(dir_.File("target.sock"));
  ASSERT_TRUE(target.valid());
  std::atomic<uint64_t> arrived{0};
  std::atomic<bool> done{false};
  std::thread reader([&] {  // the system syslog, reading as fast as it can
    std::array<char, 256> buffer{};
    while (!done.load()) {
      if (::recv(target.get(), buffer.data(), buffer.size(), MSG_DONTWAIT) > 0) ++arrived;
    }
  });
  DatagramQueue queue(2 * 4096, 4096, 1);  // two tiny blocks, nobody draining them
  Receiver receiver(socket_->fd(), queue, counters_, 1024, dir_.File("target.sock"));
  Sender sender(dir_.File("r.sock"));
  constexpr int kCount = 500;
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE(sender.Send(std::string(100, 'x')));
    if (i % 5 == 0) std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  ASSERT_TRUE(
      WaitUntil([&] { return counters_.received.load() == kCount; }, std::chrono::seconds(30)));
  receiver.Stop();
  ASSERT_TRUE(WaitUntil([&] { return arrived.load() == counters_.forwarded.load(); },
                        std::chrono::seconds(10)));
  done = true;
  reader.join();
  uint64_t queued = Drain(queue);
  EXPECT_GT(counters_.shed_queue_full.load(), 0u);
  EXPECT_EQ(queued + counters_.shed_queue_full.load(), uint64_t{kCount});
  EXPECT_EQ(counters_.forwarded.load() + counters_.forward_dropped.load(), uint64_t{kCount});
  EXPECT_GT(counters_.forwarded.load(), queued) << "shed datagrams were forwarded too";
}

}  // namespace
}  // namespace sluice::ingest
