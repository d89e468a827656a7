// The writers' connections: let go while there is no work (database.idle_disconnect_ms) and
// free of session state, so that a transaction-pooling PgBouncer can stand between sluiced and
// the server (integration/fleet_test runs a fleet through one).
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "sink/writer_pool.h"
#include "sink/writer_pool_fixture.h"
#include "support/process.h"

namespace sluice::sink {
namespace {

using testing::WaitUntil;

std::chrono::steady_clock::time_point InAMinute() {
  return std::chrono::steady_clock::now() + std::chrono::seconds(60);
}

std::string ServerConnections() {
  return testing::SharedPgSandbox().Query(
      "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'sluiced-pool-test'");
}

TEST_F(WriterPoolTest, IdleWritersCloseTheirConnectionsAndOpenThemWhenBatchesWait) {
  WriterPoolOptions options = Options(2);
  options.idle_disconnect = std::chrono::milliseconds(300);
  auto spool = MakeSpool();
  WriterPool pool(options, *spool, counters_, DefaultEnv().clock);
  ASSERT_TRUE(pool.Submit(MakeBatch(1, 10, "idle")));
  ASSERT_TRUE(pool.Drain(InAMinute()));
  for (uint64_t round = 1; round <= 2; ++round) {
    EXPECT_TRUE(WaitUntil([&] { return pool.Connections() == 0 && ServerConnections() == "0"; },
                          std::chrono::seconds(30)))
        << "round " << round << ": " << pool.Connections() << " connections";
    EXPECT_GE(counters_.db_idle_disconnects.load(), round);
    for (uint64_t id = 10 * round; id < 10 * round + 5; ++id) {
      ASSERT_TRUE(pool.Submit(MakeBatch(id, 10, "idle")));
    }
    ASSERT_TRUE(pool.Drain(InAMinute()));
  }
  EXPECT_EQ(Count("idle"), "110");
  EXPECT_EQ(counters_.db_errors.load(), 0u);
  pool.Stop();
}

TEST_F(WriterPoolTest, WithoutIdleDisconnectTheConnectionsStay) {
  auto spool = MakeSpool();
  WriterPool pool(Options(1), *spool, counters_, DefaultEnv().clock);
  ASSERT_TRUE(pool.Submit(MakeBatch(1, 10, "stay")));
  ASSERT_TRUE(pool.Drain(InAMinute()));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(pool.Connections(), 1u);
  EXPECT_EQ(ServerConnections(), "1");
  EXPECT_EQ(counters_.db_idle_disconnects.load(), 0u);
  pool.Stop();
}

// The statement timeout travels in each transaction (SET LOCAL), not in the startup packet a
// transaction pooler refuses: the server itself cancels a write that waits on a lock (SQLSTATE
// 57014, counted as a refusal of class 57), and the batch lands once the lock is gone.
TEST_F(WriterPoolTest, TheServerCancelsAWriteThatOutlastsTheStatementTimeout) {
  WriterPoolOptions options = Options(1);
  options.statement_timeout = std::chrono::milliseconds(500);
  auto spool = MakeSpool();
  WriterPool pool(options, *spool, counters_, DefaultEnv().clock);
  ASSERT_TRUE(pool.Submit(MakeBatch(1, 10, "timeout")));  // connected, upkeep done
  ASSERT_TRUE(pool.Drain(InAMinute()));
  auto admin = pg().Connect();
  ASSERT_TRUE(admin);
  ASSERT_TRUE(admin->Exec("BEGIN; LOCK TABLE sluice.batches IN ACCESS EXCLUSIVE MODE"));
  ASSERT_TRUE(pool.Submit(MakeBatch(2, 10, "timeout")));
  EXPECT_TRUE(
      WaitUntil([&] { return counters_.RefusalsByClass()["57"] >= 1; }, std::chrono::seconds(30)));
  ASSERT_TRUE(admin->Exec("ROLLBACK"));
  ASSERT_TRUE(pool.Drain(InAMinute()));
  pool.Stop();
  EXPECT_EQ(Count("timeout"), "20");
  // Outside sluiced's transactions the role's sessions keep the server's default.
  EXPECT_EQ(pg().Query("SHOW statement_timeout"), "0");
}

}  // namespace
}  // namespace sluice::sink
