#include "sink/migrations.h"

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
