// kill -9 while a sender streams, round after round, as an operator's crash test would do it.
// With the socket held by the test (socket activation, as systemd's sluiced.socket holds it)
// and the queue in an ingest ring on tmpfs, every datagram the sender saw accepted is in the
// database once, but for a kill that lands inside a receive call (kLostPerKillAtMost). With
// the ring but sluiced binding its own socket, a kill also loses what the kernel held in the
// old socket (net.unix.max_dgram_qlen + 1). Never twice.
#include <linux/magic.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/mutex.h"
#include "ingest/datagram_queue.h"
#include "ingest/ingest_ring.h"
#include "support/daemon_harness.h"
#include "support/pg_sandbox.h"
#include "support/process.h"

namespace sluice {
namespace {

using testing::DaemonHarness;
using testing::WaitUntil;

testing::PgSandbox& pg() { return testing::SharedPgSandbox(); }

std::string Reject(long n) {
  return "<22>Dec  2 10:00:00 mx1 postfix/smtpd[7]: NOQUEUE: reject: RCPT from "
         "unknown[192.0.2.9]: 554 5.7.1 <u" +
         std::to_string(n) + "@example.org>: Relay access denied; from=<a@example.net> to=<u" +
         std::to_string(n) + "@example.org> proto=ESMTP helo=<h>";
}

// Streams numbered rejects at about 10,000/s with blocking sends (as syslog(3) does) until
// stopped or `limit` are sent, and remembers which ones the kernel accepted.
class Sender {
 public:
  Sender(std::string socket_path, long limit)
      : path_(std::move(socket_path)), limit_(limit), thread_([this] { Run(); }) {}
  ~Sender() { Stop(); }

  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  std::set<long> accepted() const {
    MutexLock lock(mu_);
    return accepted_;
  }
  long refused() const { return refused_.load(); }

 private:
  void Run() {
    UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    for (long n = 0; n < limit_ && !stop_.load(); ++n) {
      std::string text = Reject(n);
      if (::sendto(fd.get(), text.data(), text.size(), 0, reinterpret_cast<sockaddr*>(&addr),
                   sizeof addr) == static_cast<ssize_t>(text.size())) {
        MutexLock lock(mu_);
        accepted_.insert(n);
      } else {
        refused_.fetch_add(1);  // no one bound the path: sluiced is down and holds no socket
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      if (n % 50 == 49) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  const std::string path_;
  const long limit_;
  std::atomic<bool> stop_{false};
  std::atomic<long> refused_{0};
  mutable Mutex mu_;
  std::set<long> accepted_ GUARDED_BY(mu_);
  std::thread thread_;  // last
};

// The reject numbers in sluice.events, with how often each is there.
std::map<long, int> Stored() {
  std::map<long, int> stored;
  std::istringstream rows(
      pg().Query("SELECT coalesce(string_agg(substring(recipient from 'u([0-9]+)@'), ' '), '') "
                 "FROM sluice.events"));
  long n = 0;
  while (rows >> n) ++stored[n];
  return stored;
}

long long Rows() { return std::stoll(pg().Query("SELECT count(*) FROM sluice.events")); }

// What a kill may still cost with a ring: one recvmmsg() call's datagrams (ingest::Receiver::
// kBatch), when the kill lands inside that call: the kernel has taken them from the socket
// and the process dies before the call returns, so their lengths are never written down.
// (What a call returned is safe: it lands in the ring's landing zone.)
constexpr long kLostPerKillAtMost = 64;

// 10 rounds; SLUICE_KILL_ROUNDS=100 for the full measure.
int Rounds() {
  const char* rounds = std::getenv("SLUICE_KILL_ROUNDS");
  return rounds != nullptr ? std::atoi(rounds) : 10;
}

bool OnTmpfs(const std::string& dir) {
  struct statfs fs {};
  return ::statfs(dir.c_str(), &fs) == 0 && fs.f_type == TMPFS_MAGIC;
}

class KillRoundsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pg().started()) << pg().start_output();
    pg().Migrate();
    pg().Query("TRUNCATE sluice.events, sluice.batches");
  }

  // `rounds` of start, stream for a while, kill -9; then a last start, the sender stopped,
  // and everything stored. Returns the sender's accepted set.
  // `landed`: events in the database now.
  std::set<long> KillRounds(DaemonHarness& daemon, Sender& sender, int rounds,
                            long long may_miss = 0,
                            const std::function<long long()>& landed = Rows) {
    std::mt19937 random(12345);
    for (int round = 0; round < rounds; ++round) {
      EXPECT_TRUE(daemon.Start()) << daemon.Output();
      std::this_thread::sleep_for(std::chrono::milliseconds(150 + random() % 300));
      daemon.Kill();
      std::this_thread::sleep_for(std::chrono::milliseconds(random() % 50));
    }
    EXPECT_TRUE(daemon.Start()) << daemon.Output();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    sender.Stop();
    std::set<long> accepted = sender.accepted();
    const auto expected = static_cast<long long>(accepted.size());
    WaitUntil([&] { return landed() >= expected - may_miss; }, std::chrono::seconds(60));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // nothing more comes
    auto stopped = daemon.Stop();
    EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
    return accepted;
  }
};

TEST_F(KillRoundsTest, WithTheSocketHeldAndARingEveryAcceptedDatagramIsStoredOnce) {
  testing::TempDir run("/dev/shm");
  if (!OnTmpfs("/dev/shm")) GTEST_SKIP() << "no tmpfs at /dev/shm for the ring";
  const std::string ring = run.File("ingest.ring");
  DaemonHarness daemon(pg(), {{"ingest.ring", "\"" + ring + "\""}});
  UniqueFd socket = testing::BindDatagramSocket(daemon.socket_path());
  ASSERT_TRUE(socket.valid());
  daemon.PassSocket(socket.get());
  Sender sender(daemon.socket_path(), 10'000'000);
  std::set<long> accepted = KillRounds(daemon, sender, Rounds(), Rounds() * kLostPerKillAtMost);

  EXPECT_EQ(sender.refused(), 0) << "the held socket never refuses a sender";
  std::map<long, int> stored = Stored();
  long missing = 0, twice = 0;
  std::string which;
  for (long n : accepted) {
    if (stored.contains(n)) continue;
    if (++missing <= 50) which += " " + std::to_string(n);
  }
  for (const auto& [n, times] : stored) twice += times > 1 ? 1 : 0;
  // Measured 0 in two runs of 100 kills; bounded per kill by the window above.
  std::cout << "ring and held socket: " << missing << " of " << accepted.size()
            << " accepted datagrams lost over " << Rounds() << " kills; missing:" << which << "\n";
  EXPECT_LE(missing, Rounds() * kLostPerKillAtMost) << "rows " << Rows();
  EXPECT_EQ(twice, 0);
  EXPECT_EQ(stored.size() + static_cast<size_t>(missing), accepted.size())
      << "nothing stored that was not sent";
  EXPECT_GT(accepted.size(), 10'000u) << "the sender streamed through the rounds";
  EXPECT_FALSE(std::filesystem::exists(ring)) << "a clean stop removes the ring";
}

TEST_F(KillRoundsTest, UnderFloodTheDetailsAndAggregatesOfTheRingAddUpExactly) {
  testing::TempDir run("/dev/shm");
  if (!OnTmpfs("/dev/shm")) GTEST_SKIP() << "no tmpfs at /dev/shm for the ring";
  // Every reject through the flood ladder: 1 in 10 a detail row, the rest counted in the
  // window's aggregate row; a kill loses neither and counts nothing twice.
  DaemonHarness daemon(pg(), {{"ingest.ring", "\"" + run.File("ingest.ring") + "\""},
                              {"flood.mode", "\"always\""},
                              {"flood.detail_sample", "10"},
                              {"flood.window_ms", "1000"}});
  UniqueFd socket = testing::BindDatagramSocket(daemon.socket_path());
  ASSERT_TRUE(socket.valid());
  daemon.PassSocket(socket.get());
  pg().Query("TRUNCATE sluice.aggregates, sluice.shed");
  Sender sender(daemon.socket_path(), 1'000'000);
  auto events = [] {
    return std::stoll(
        pg().Query("SELECT (SELECT count(*) FROM sluice.events) + "
                   "(SELECT coalesce(sum(events), 0) FROM sluice.aggregates)"));
  };
  const auto accepted =
      static_cast<long long>(KillRounds(daemon, sender, 5, 5 * kLostPerKillAtMost, events).size());
  EXPECT_LE(events(), accepted) << "nothing counted twice";
  EXPECT_GE(events(), accepted - 5 * kLostPerKillAtMost);
  EXPECT_GT(std::stoll(pg().Query("SELECT count(*) FROM sluice.aggregates")), 0);
  EXPECT_EQ(pg().Query("SELECT coalesce(sum(events), 0) FROM sluice.shed"), "0");
}

TEST_F(KillRoundsTest, WithARingButNoHeldSocketAKillLosesOnlyWhatTheSocketHeld) {
  testing::TempDir run("/dev/shm");
  if (!OnTmpfs("/dev/shm")) GTEST_SKIP() << "no tmpfs at /dev/shm for the ring";
  DaemonHarness daemon(pg(), {{"ingest.ring", "\"" + run.File("ingest.ring") + "\""}});
  // Each kill loses the old socket with what the kernel held in it: at most
  // net.unix.max_dgram_qlen + 1 datagrams. The ring keeps what sluiced had read (but for
  // kLostPerKillAtMost).
  long long qlen = 10;
  if (std::ifstream in("/proc/sys/net/unix/max_dgram_qlen"); in) in >> qlen;
  Sender sender(daemon.socket_path(), 1'000'000);
  std::set<long> accepted = KillRounds(daemon, sender, 10, 10 * (qlen + 1 + kLostPerKillAtMost));
  std::map<long, int> stored = Stored();
  long missing = 0, twice = 0;
  for (long n : accepted) missing += stored.contains(n) ? 0 : 1;
  for (const auto& [n, times] : stored) twice += times > 1 ? 1 : 0;
  EXPECT_EQ(twice, 0);
  EXPECT_GT(sender.refused(), 0) << "while sluiced was down, no socket took the sends";
  std::cout << "ring without a held socket: " << missing << " of " << accepted.size()
            << " accepted datagrams lost over 10 kills (max_dgram_qlen " << qlen << "; "
            << sender.refused() << " sends refused while sluiced was down)\n";
  EXPECT_LE(missing, 10 * (qlen + 1 + kLostPerKillAtMost));
}

TEST_F(KillRoundsTest, ARingLeftDamagedIsReplayedAsFarAsItReadsAndTheRestCountedAndLogged) {
  testing::TempDir run("/dev/shm");
  if (!OnTmpfs("/dev/shm")) GTEST_SKIP() << "no tmpfs at /dev/shm for the ring";
  const std::string ring_path = run.File("ingest.ring");
  {
    // A run that died with five rejects read and none stored.
    auto ring = ingest::IngestRing::Open(ring_path, {256 << 10, 4}, nullptr, nullptr);
    ASSERT_TRUE(ring) << ring.error().message();
    ingest::DatagramQueue queue(**ring, 1);
    ingest::DatagramQueue::Producer producer(queue);
    ingest::DatagramBlock* block = producer.TryAcquire();
    for (long n = 0; n < 5; ++n) {
      std::string text = Reject(n);
      ASSERT_TRUE(block->Append(text.data(), text.size(), 1'000'000, false));
    }
    producer.Publish(block);
  }
  {
    // Damage the fourth reject's payload: it and the fifth no longer read back.
    std::string all = testing::ReadFile(ring_path);
    std::fstream file(ring_path, std::ios::in | std::ios::out | std::ios::binary);
    size_t at = all.find("<u3@example.org>");
    ASSERT_NE(at, std::string::npos);
    file.seekp(static_cast<std::streamoff>(at));
    file.write("XX", 2);
  }
  DaemonHarness daemon(pg(), {{"ingest.ring", "\"" + ring_path + "\""}});
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  ASSERT_TRUE(WaitUntil([] { return Rows() == 3; }, std::chrono::seconds(30))) << Rows();
  auto stopped = daemon.Stop();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
  EXPECT_NE(stopped.output.find("3 datagrams not yet stored are taken now"), std::string::npos)
      << stopped.output;
  EXPECT_NE(stopped.output.find("2 datagram(s) did not read back whole"), std::string::npos)
      << stopped.output;
  EXPECT_EQ(testing::SummaryValue(stopped.output, "ring_replayed"), 3);
  EXPECT_EQ(testing::SummaryValue(stopped.output, "ring_torn"), 2);
  EXPECT_EQ(testing::SummaryValue(stopped.output, "shed"), 2);
  EXPECT_EQ(testing::SummaryValue(stopped.output, "stored"), 3);
}

}  // namespace
}  // namespace sluice
