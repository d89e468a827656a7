#pragma once

#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "common/counters.h"
#include "common/env.h"
#include "pipeline/batcher.h"
#include "sink/writer_pool.h"
#include "spool/spool.h"
#include "support/pg_sandbox.h"
#include "support/temp_dir.h"

// What the writer pool's tests share: batches of made-up rejects, and a fixture with the
// migrated PostgreSQL sandbox, pool options as sluiced's role, and spools in a temp dir.
namespace sluice::sink {

// A batch `id` of `rows` detail rows whose raw text is `tag` (to count them with Count(tag)).
inline format::Batch MakeBatch(uint64_t id, int rows, const std::string& tag) {
  std::optional<format::Batch> out;
  pipeline::Batcher batcher(static_cast<size_t>(rows), std::chrono::hours(1), id,
                            [&](format::Batch&& b) { out = std::move(b); });
  for (int i = 0; i < rows; ++i) {
    format::EventRow row;
    row.received_at_us = 1'795'867'200'000'000;
    row.program = "postfix/smtpd";
    row.pid = i;
    row.client_ip = "2001:db8::7";
    row.raw = tag;
    batcher.Add(row, pipeline::Batcher::Clock::now());
  }
  return std::move(*out);
}

// A migrated sandbox; Options() as sluiced's role, Count(tag) of rows landed, MakeSpool().
class WriterPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pg().started()) << pg().start_output();
    pg().Migrate();
  }
  static testing::PgSandbox& pg() { return testing::SharedPgSandbox(); }
  std::string Count(const std::string& tag) {
    return pg().Query("SELECT count(*) FROM sluice.events WHERE raw = '" + tag + "'");
  }
  WriterPoolOptions Options(int writers) {
    WriterPoolOptions options;
    options.conninfo = pg().writer_conninfo();
    options.application_name = "sluiced-pool-test";
    options.instance_id =
        "test:" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name());
    options.writers = writers;
    options.backoff_min = std::chrono::milliseconds(20);
    options.backoff_max = std::chrono::milliseconds(200);
    return options;
  }
  // A fresh spool in a temp dir; `memory` and `disk` cap it.
  std::unique_ptr<spool::Spool> MakeSpool(size_t memory = 256 << 20, uint64_t disk = 1 << 30,
                                          Env& env = DefaultEnv()) {
    spool::SpoolOptions options;
    options.dir = dir_.File("spool" + std::to_string(++spools_));
    options.memory_bytes = memory;
    options.disk_bytes = disk;
    auto opened = spool::Spool::Open(options, env, counters_);
    EXPECT_TRUE(opened) << opened.error().message();
    return std::move(*opened);
  }
  testing::TempDir dir_;
  int spools_ = 0;
  Counters counters_;
};

}  // namespace sluice::sink
