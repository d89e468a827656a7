// The watchdog as systemd sees it: WATCHDOG=1 pings arrive on a NOTIFY_SOCKET the test binds
// while the pipeline and the writer are alive, stop while the writer is stuck on a disk that
// hangs, and come back once it goes on. Time is a FakeClock moved by the test.
#include "daemon/service_monitor.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "common/posix_file_system.h"
#include "support/daemon_harness.h"
#include "support/fake_clock.h"
#include "support/fault_injection_file_system.h"
#include "support/pg_sandbox.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace sluice::daemon {
namespace {

using sluice::testing::WaitUntil;

// Datagrams received on `fd` within `wait` that contain `text`.
int Count(int fd, const std::string& text, std::chrono::milliseconds wait) {
  timeval timeout{0, wait.count() * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  int found = 0;
  char buffer[4096];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) {
    if (std::string(buffer, static_cast<size_t>(n)).find(text) != std::string::npos) ++found;
  }
  return found;
}

std::unique_ptr<spool::Spool> OpenSpool(const std::string& dir, size_t memory_bytes, Env& env,
                                        Counters& counters) {
  spool::SpoolOptions options;
  options.dir = dir;
  options.memory_bytes = memory_bytes;
  auto opened = spool::Spool::Open(options, env, counters);
  if (!opened) {
    ADD_FAILURE() << opened.error().message();
    std::abort();  // nothing below can run without it
  }
  return std::move(*opened);
}

// What the service monitor and health watch, as RunDaemon wires it, without the socket: a
// spool in `spool_dir` holding `spool_memory_bytes` in memory, a writer pool, the ingest
// queue and the pipeline, all on `env`.
struct Engine {
  Engine(Env& env, const std::string& spool_dir, size_t spool_memory_bytes,
         const sink::WriterPoolOptions& pool_options)
      : spool(OpenSpool(spool_dir, spool_memory_bytes, env, counters)),
        pool(pool_options, *spool, counters, env.clock),
        pipeline(queue, counters, env.clock, {},
                 [this](format::Batch&& batch) { return pool.Submit(std::move(batch)); }),
        view{counters, queue, *spool, pool, pipeline, env.clock, nullptr} {}
  ~Engine() {
    pool.Stop();
    pipeline.Stop();
  }

  Counters counters;
  std::unique_ptr<spool::Spool> spool;
  sink::WriterPool pool;
  ingest::DatagramQueue queue{1 << 20, 256 << 10, 1};
  pipeline::Pipeline pipeline;
  const DaemonView view;
};

// A batch of one detail row, made by the pipeline's own batcher.
format::Batch OneRowBatch(const std::string& raw, int64_t received_at_us) {
  std::optional<format::Batch> batch;
  pipeline::Batcher batcher(1, std::chrono::hours(1), 1,
                            [&](format::Batch&& made) { batch = std::move(made); });
  format::EventRow row;
  row.received_at_us = received_at_us;
  row.raw = raw;
  batcher.Add(row, pipeline::Batcher::Clock::now());
  return std::move(*batch);
}

TEST(ServiceMonitorTest, WatchdogPingsStopWhileAWriterIsStuckAndComeBack) {
  auto& pg = sluice::testing::SharedPgSandbox();
  ASSERT_TRUE(pg.started()) << pg.start_output();
  pg.Migrate();
  sluice::testing::TempDir dir;
  UniqueFd notify = sluice::testing::BindDatagramSocket(dir.File("notify"));
  ASSERT_TRUE(notify.valid());
  ::setenv("NOTIFY_SOCKET", dir.File("notify").c_str(), 1);
  ::setenv("WATCHDOG_USEC", "2000000", 1);  // a ping every second
  const ServiceNotifier notifier;
  ASSERT_TRUE(notifier.watchdog_interval());

  sluice::testing::FakeClock clock;
  PosixFileSystem posix;
  sluice::testing::FaultInjectionFileSystem fs(posix);
  Env env{fs, clock};
  sink::WriterPoolOptions pool_options;
  pool_options.conninfo = pg.writer_conninfo();
  pool_options.writers = 1;
  // 16 bytes of memory: batches are on disk only, and writers read them back.
  Engine engine(env, dir.File("spool"), 16, pool_options);
  HealthMonitor health(engine.view);
  ServiceMonitor monitor(engine.view, health, notifier);
  // Moves the clock `seconds` seconds, one at a time, reading the notify socket as systemd
  // would (a full socket would block the sender); the WATCHDOG=1 pings that came.
  auto tick = [&](int seconds) {
    int pings = 0;
    for (int i = 0; i < seconds; ++i) {
      clock.Advance(std::chrono::seconds(1));
      pings += Count(notify.get(), "WATCHDOG=1", std::chrono::milliseconds(30));
    }
    return pings;
  };

  EXPECT_GE(tick(3), 1);

  fs.HangNext(sluice::testing::FileOp::kRead);
  ASSERT_TRUE(engine.pool.Submit(OneRowBatch("stuck", clock.WallMicros())));
  ASSERT_TRUE(WaitUntil([&] { return fs.hanging(); }, std::chrono::seconds(30)));
  // The monitor looks once a second of the clock: stuck once 30 s have passed, not before.
  int seconds = 0;
  while (health.Last().alive && seconds < 60) {
    (void)tick(1);
    ++seconds;
  }
  EXPECT_GT(seconds, kStuckAfter.count());
  EXPECT_FALSE(health.Last().alive);
  EXPECT_EQ(health.Last().Summary(), "1 of 1 writers stuck for over 30 s");
  (void)tick(2);  // a ping already on its way
  EXPECT_EQ(tick(5), 0);

  fs.Release();
  ASSERT_TRUE(WaitUntil([&] { return engine.counters.batches_committed.load() == 1; },
                        std::chrono::seconds(30)));
  EXPECT_GE(tick(3), 1);
  EXPECT_TRUE(health.Last().alive);
  EXPECT_EQ(health.Last().episodes.at("writers"), 1u);
}

// Moves `clock` on and gives the engine's threads the real time to notice: the pipeline
// beats within 50 ms of real time after each move of the clock.
void AdvanceAndLetThreadsBeat(sluice::testing::FakeClock& clock, int seconds) {
  clock.Advance(std::chrono::seconds(seconds));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
}

// One writer with no server at `dir`, which tries once and then waits an hour to try again.
sink::WriterPoolOptions NoDatabase(const std::string& dir) {
  sink::WriterPoolOptions options;
  options.conninfo = "host=" + dir + " connect_timeout=1";
  options.writers = 1;
  options.backoff_min = std::chrono::hours(1);
  options.backoff_max = std::chrono::hours(1);
  return options;
}

// No writer connected while events wait: unhealthy once that has lasted 30 s (not before),
// and counted once for the episode however long it lasts.
TEST(HealthMonitorTest, TheDatabaseIsUnreachableOnceNoWriterHasConnectedFor30s) {
  sluice::testing::TempDir dir;
  sluice::testing::FakeClock clock;
  Env env{DefaultEnv().fs, clock};
  Engine engine(env, dir.File("spool"), spool::SpoolOptions().memory_bytes, NoDatabase(dir.path()));
  HealthMonitor health(engine.view);
  ASSERT_TRUE(engine.pool.Submit(OneRowBatch("waiting", clock.WallMicros())));
  ASSERT_TRUE(
      WaitUntil([&] { return engine.counters.db_errors.load() >= 1; }, std::chrono::seconds(30)));

  auto advance = [&](int seconds) { AdvanceAndLetThreadsBeat(clock, seconds); };
  EXPECT_TRUE(health.Check().healthy());
  advance(29);
  EXPECT_TRUE(health.Check().healthy());
  advance(2);
  HealthReport report = health.Check();
  EXPECT_EQ(report.Summary(), "database unreachable: no connection for 31 s, 1 events waiting");
  EXPECT_TRUE(report.alive) << "waiting on the database is not being stuck";
  advance(10);
  EXPECT_EQ(health.Check().episodes.at("database"), 1u) << "one episode, however long";
}

// Whether this process's thread named `name` is blocked in the system call `number`
// (/proc/self/task/TID/syscall starts with the number of the call a thread is in).
bool ThreadInSyscall(const std::string& name, long number) {
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::string comm;
    std::getline(std::ifstream(task.path() / "comm"), comm);
    if (comm != name) continue;
    long in = -1;
    std::ifstream(task.path() / "syscall") >> in;
    return in == number;
  }
  return false;
}

// A followed file whose read blocks (a FIFO no one writes to: open() waits, as a read from a
// log disk that hangs does) makes sluiced unhealthy after 30 s without stopping the watchdog,
// since the socket is still served; once the read returns, the episode ends.
TEST(HealthMonitorTest, AFollowerBlockedInAReadIsUnhealthyButAlive) {
  sluice::testing::TempDir dir;
  sluice::testing::FakeClock clock;
  Env env{DefaultEnv().fs, clock};
  Engine engine(env, dir.File("spool"), spool::SpoolOptions().memory_bytes, NoDatabase(dir.path()));
  const std::string fifo = dir.File("mainlog");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  ingest::FollowedChunkQueue chunks;
  ingest::FileFollower follower({{fifo}, {}, 100, 1 << 20}, chunks, engine.counters, clock);
  struct Unblock {  // however the test ends, the follower's open() returns and it can stop
    ~Unblock() {
      for (int i = 0; i < 50 && ThreadInSyscall("sluice-follow", SYS_openat); ++i) {
        UniqueFd(::open(path.c_str(), O_WRONLY | O_NONBLOCK));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    std::string path;
  } unblock{fifo};
  const DaemonView view{engine.counters, engine.queue, *engine.spool, engine.pool,
                        engine.pipeline, clock,        &follower};
  HealthMonitor health(view);
  auto advance = [&](int seconds) { AdvanceAndLetThreadsBeat(clock, seconds); };
  // Time moves only once the follower is blocked, so its last beat is from before.
  ASSERT_TRUE(WaitUntil([] { return ThreadInSyscall("sluice-follow", SYS_openat); },
                        std::chrono::seconds(10)));
  advance(29);
  EXPECT_TRUE(health.Check().healthy()) << health.Last().Summary();
  advance(2);
  HealthReport report = health.Check();
  EXPECT_EQ(report.Summary(), "file follower stuck for 31 s");
  EXPECT_TRUE(report.follower_stuck);
  EXPECT_TRUE(report.alive);

  // A writer that comes and goes: the follower's open() returns, its read() finds the end.
  UniqueFd writer(::open(fifo.c_str(), O_WRONLY | O_NONBLOCK));
  ASSERT_TRUE(writer.valid());
  writer.Reset();
  ASSERT_TRUE(WaitUntil(
      [&] {
        advance(1);
        return health.Check().healthy();
      },
      std::chrono::seconds(10)));
  EXPECT_EQ(health.Check().episodes.at("follow"), 1u);
}

}  // namespace
}  // namespace sluice::daemon
