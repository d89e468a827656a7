#include "sink/migrations.h"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "format/copy_encoder.h"
#include "format/summary_encoder.h"
#include "support/pg_sandbox.h"

namespace sluice::sink {
namespace {

using testing::SharedPgSandbox;

TEST(MigrationsTest, MigrateIsIdempotentAndRecordsTheVersion) {
  auto& pg = SharedPgSandbox();
  ASSERT_TRUE(pg.started()) << pg.start_output();
  auto conn = pg.Connect();
  ASSERT_TRUE(conn);
  auto first = Migrate(*conn);
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(first->to_version, kSchemaVersion);
  auto second = Migrate(*conn);
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(second->from_version, kSchemaVersion);
  EXPECT_TRUE(CheckSchemaVersion(*conn));
  EXPECT_EQ(pg.Query("SELECT count(*) FROM sluice.schema_version"), std::to_string(kSchemaVersion));
}

TEST(MigrationsTest, PartitionsAreCreatedAheadAndEventsHaveTheDocumentedColumns) {
  auto& pg = SharedPgSandbox();
  pg.Migrate();
  auto conn = pg.Connect();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(EnsurePartitions(*conn, 5));
  EXPECT_EQ(pg.Query("SELECT count(*) FROM pg_inherits WHERE inhparent = 'sluice.events'::regclass "
                     "AND inhrelid::regclass::text NOT LIKE '%events_default'"),
            "7");  // yesterday, today, 5 ahead
  EXPECT_EQ(
      pg.Query("SELECT string_agg(attname || ':' || format_type(atttypid, atttypmod), ',' "
               "ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'sluice.events'::regclass "
               "AND attnum > 0 AND NOT attisdropped"),
      "received_at:timestamp with time zone,logged_at:timestamp with time zone,host:text,"
      "program:text,pid:integer,mta:text,stage:text,is_reject:boolean,client_ip:inet,"
      "client_name:text,helo:text,sender:text,recipient:text,smtp_code:smallint,dsn:text,"
      "reason:text,rbl:text,raw:text,malformed:boolean,batch_id:bigint,reason_class:text");
}

// The COPY column lists the writers use are exactly the tables' columns, in order.
TEST(MigrationsTest, SummaryTablesHaveTheColumnsTheWritersCopyInto) {
  auto& pg = SharedPgSandbox();
  pg.Migrate();
  auto columns = [&](const std::string& table) {
    return pg.Query(
        "SELECT string_agg(attname, ', ' ORDER BY attnum) FROM pg_attribute "
        "WHERE attrelid = 'sluice." +
        table + "'::regclass AND attnum > 0 AND NOT attisdropped");
  };
  EXPECT_EQ(columns("events"), format::kEventColumns);
  EXPECT_EQ(columns("aggregates"), format::kAggregateColumns);
  EXPECT_EQ(columns("shed"), format::kShedColumns);
  EXPECT_EQ(pg.Query("SELECT detail_events || ' ' || aggregated_events || ' ' || shed_events "
                     "FROM sluice.accounting"),
            pg.Query("SELECT (SELECT count(*) FROM sluice.events) || ' ' || "
                     "(SELECT coalesce(sum(events), 0) FROM sluice.aggregates) || ' ' || "
                     "(SELECT coalesce(sum(events), 0) FROM sluice.shed)"));
}

TEST(MigrationsTest, PruneLedgerDeletesOnlyRowsOlderThanItsWindow) {
  auto& pg = SharedPgSandbox();
  pg.Migrate();
  pg.Query(
      "INSERT INTO sluice.batches (instance_id, batch_id, rows, events, committed_at) "
      "VALUES ('prune', 1, 1, 1, now() - interval '31 days'), "
      "('prune', 2, 1, 1, now() - interval '29 days'), ('prune', 3, 1, 1, now())");
  auto conn = pg.Connect();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(PruneLedger(*conn, 30));
  EXPECT_EQ(pg.Query("SELECT string_agg(batch_id::text, ',' ORDER BY batch_id) "
                     "FROM sluice.batches WHERE instance_id = 'prune'"),
            "2,3");
}

// Indexing a big closed day takes minutes, longer than the writers' statement timeout: the build
// is allowed its own (kIndexBuildTimeout), here outlasting a 300 ms statement timeout while a
// lock makes it wait 2.5 s. Other statements keep the connection's timeout.
TEST(MigrationsTest, AnIndexBuildOutlastsTheStatementTimeout) {
  auto& pg = SharedPgSandbox();
  pg.Migrate();
  const std::string yesterday =
      pg.Query("SELECT 'events_' || to_char((now() AT TIME ZONE 'UTC')::date - 1, 'YYYYMMDD')");
  pg.Query("SELECT sluice.ensure_partitions(1)");
  pg.Query("DROP INDEX IF EXISTS sluice." + yesterday + "_client_ip, sluice." + yesterday +
           "_sender, sluice." + yesterday + "_recipient");
  auto writer = PgConnection::Connect(pg.writer_conninfo(), "index-timeout-test",
                                      std::chrono::milliseconds(300));
  ASSERT_TRUE(writer) << writer.error().message();
  auto locker = pg.Connect();
  ASSERT_TRUE(locker);
  ASSERT_TRUE(locker->Exec("BEGIN; LOCK TABLE sluice." + yesterday + " IN ROW EXCLUSIVE MODE"));
  std::thread release([&locker] {
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    EXPECT_TRUE(locker->Exec("COMMIT"));
  });
  auto indexed = IndexClosedDays(**writer);
  release.join();
  ASSERT_TRUE(indexed) << indexed.error().message();
  EXPECT_GE(*indexed, 1);
  EXPECT_EQ(pg.Query("SELECT to_regclass('sluice." + yesterday + "_recipient') IS NOT NULL"), "t");
  EXPECT_FALSE((*writer)->ExecScalar("SELECT pg_sleep(2)")) << "1.3 s for anything else";
}

// Days that are over get their lookup indexes; the day being written does not (COPY into it
// keeps its speed). A lookup by address then reads a closed day through its index.
TEST(MigrationsTest, OnlyDaysThatAreOverAreIndexedAndLookupsUseTheIndex) {
  auto& pg = SharedPgSandbox();
  pg.Migrate();
  auto conn = pg.Connect();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(EnsurePartitions(*conn, 1));
  auto indexed = IndexClosedDays(*conn);
  ASSERT_TRUE(indexed) << indexed.error().message();
  const std::string yesterday =
      pg.Query("SELECT 'events_' || to_char((now() AT TIME ZONE 'UTC')::date - 1, 'YYYYMMDD')");
  const std::string today =
      pg.Query("SELECT 'events_' || to_char((now() AT TIME ZONE 'UTC')::date, 'YYYYMMDD')");
  for (const char* index : {"_client_ip", "_sender", "_recipient"}) {
    EXPECT_EQ(pg.Query("SELECT to_regclass('sluice." + yesterday + index + "') IS NOT NULL"), "t")
        << index;
    EXPECT_EQ(pg.Query("SELECT to_regclass('sluice." + today + index + "') IS NULL"), "t") << index;
  }
  auto again = IndexClosedDays(*conn);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0) << "an indexed day is left alone";
  // sluice lookup --ip's condition, on the view: the closed day is read through its index.
  const std::string plan = pg.Query(
      "SET enable_seqscan = off; "
      "CREATE FUNCTION pg_temp.plan(q text) RETURNS text LANGUAGE plpgsql AS $f$ "
      "DECLARE line text; whole text := ''; BEGIN "
      "FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP whole := whole || line || E'\\n'; "
      "END LOOP; RETURN whole; END $f$; "
      "SELECT pg_temp.plan($q$SELECT * FROM sluice.rejects WHERE at >= now() - interval "
      "'3 days' AND ((source = 'detail' AND client_ip <<= '192.0.2.7'::inet) OR "
      "(source <> 'detail' AND client_ip >>= '192.0.2.7'::inet))$q$)");
  EXPECT_NE(plan.find(yesterday + "_client_ip"), std::string::npos) << plan;
}

TEST(MigrationsTest, NewerSchemaIsRefused) {
  auto& pg = SharedPgSandbox();
  pg.Migrate();
  pg.Query("INSERT INTO sluice.schema_version (version) VALUES (999)");
  auto conn = pg.Connect();
  ASSERT_TRUE(conn);
  Status check = CheckSchemaVersion(*conn);
  ASSERT_FALSE(check);
  EXPECT_NE(check.error().message().find("newer than this sluice"), std::string::npos);
  auto migrate = Migrate(*conn);
  ASSERT_FALSE(migrate);
  EXPECT_EQ(migrate.error().code(), ErrorCode::kInvalidArgument);
  pg.Query("DELETE FROM sluice.schema_version WHERE version = 999");
}

}  // namespace
}  // namespace sluice::sink
