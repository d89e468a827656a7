#include "config/config_loader.h"

#include <gtest/gtest.h>

#include "config/instance_id.h"
#include "support/paths.h"

namespace sluice::config {
namespace {

Result<Settings> Parse(std::string_view text) { return ParseConfig(text, "/etc/sluice.toml"); }

std::string ErrorOf(std::string_view text) {
  auto settings = Parse(text);
  EXPECT_FALSE(settings) << text;
  if (settings) return "";
  EXPECT_EQ(settings.error().code(), ErrorCode::kInvalidArgument);
  return settings.error().message();
}

TEST(ConfigLoaderTest, MinimalFileTakesEveryDefault) {
  auto settings = Parse("[database]\nconninfo = \"\"\n");
  ASSERT_TRUE(settings) << settings.error().message();
  EXPECT_EQ(settings->ingest.socket, "/run/sluice/sluice.sock");
  EXPECT_EQ(settings->ingest.socket_mode, 0660u);
  EXPECT_EQ(settings->database.writers, 2);
  EXPECT_EQ(settings->database.batch_ms, std::chrono::milliseconds(200));
  EXPECT_EQ(settings->spool.memory_mb, 256u);
}

TEST(ConfigLoaderTest, ReadsEveryKindOfValue) {
  auto settings = Parse(R"(
[ingest]
socket = "/tmp/x.sock"
socket_mode = "0620"
receivers = 2
queue_mb = 8
[database]
conninfo = "host=/tmp dbname=mail"
writers = 4
batch_rows = 100
batch_ms = 25
[spool]
mode = "spill"
sync_ms = 50
[log]
level = "warn"
)");
  ASSERT_TRUE(settings) << settings.error().message();
  EXPECT_EQ(settings->ingest.socket, "/tmp/x.sock");
  EXPECT_EQ(settings->ingest.socket_mode, 0620u);
  EXPECT_EQ(settings->ingest.receivers, 2);
  EXPECT_EQ(settings->ingest.queue_mb, 8u);
  EXPECT_EQ(settings->database.conninfo, "host=/tmp dbname=mail");
  EXPECT_EQ(settings->database.writers, 4);
  EXPECT_EQ(settings->database.batch_rows, 100u);
  EXPECT_EQ(settings->database.batch_ms, std::chrono::milliseconds(25));
  EXPECT_EQ(settings->spool.mode, "spill");
  EXPECT_EQ(settings->spool.sync_ms, std::chrono::milliseconds(50));
  EXPECT_EQ(settings->log.level, "warn");
}

TEST(ConfigLoaderTest, ChoiceListsWhatIsAllowed) {
  EXPECT_EQ(ErrorOf("[database]\nconninfo = \"\"\n[spool]\nmode = \"fast\"\n"),
            "/etc/sluice.toml:4: key 'spool.mode': expected one of \"wal\", \"spill\"");
}

TEST(ConfigLoaderTest, UnknownKeyNamesFileLineAndKey) {
  EXPECT_EQ(ErrorOf("[database]\nconninfo = \"\"\nwriterz = 3\n"),
            "/etc/sluice.toml:3: key 'database.writerz': unknown key");
}

TEST(ConfigLoaderTest, UnknownTableIsRefused) {
  EXPECT_EQ(ErrorOf("[database]\nconninfo = \"\"\n[ingets]\nsocket = \"x\"\n"),
            "/etc/sluice.toml:3: key 'ingets': unknown key");
}

TEST(ConfigLoaderTest, WrongTypeNamesFileLineAndKey) {
  EXPECT_EQ(ErrorOf("[database]\nconninfo = \"\"\nwriters = \"two\"\n"),
            "/etc/sluice.toml:3: key 'database.writers': expected an integer");
}

TEST(ConfigLoaderTest, OutOfRangeIsRefused) {
  EXPECT_EQ(ErrorOf("[database]\nconninfo = \"\"\nwriters = 0\n"),
            "/etc/sluice.toml:3: key 'database.writers': must be between 1 and 64, got 0");
}

TEST(ConfigLoaderTest, BadSocketModeIsRefused) {
  EXPECT_EQ(ErrorOf("[ingest]\nsocket_mode = \"rw-rw----\"\n[database]\nconninfo = \"\"\n"),
            "/etc/sluice.toml:2: key 'ingest.socket_mode': expected an octal string such as "
            "\"0660\", got \"rw-rw----\"");
  EXPECT_NE(ErrorOf("[ingest]\nsocket_mode = 660\n[database]\nconninfo = \"\"\n")
                .find(":2: key 'ingest.socket_mode'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[ingest]\nsocket_mode = \"0460\"\n[database]\nconninfo = \"\"\n")
                .find("owner must be able to write"),
            std::string::npos);
}

TEST(ConfigLoaderTest, MissingConninfoNamesTheDatabaseTable) {
  EXPECT_EQ(ErrorOf("[ingest]\nsocket = \"/tmp/s\"\n\n[database]\nwriters = 2\n"),
            "/etc/sluice.toml:4: key 'database.conninfo': missing; set it to a libpq conninfo "
            "string (\"\" uses the PG* environment variables)");
  EXPECT_EQ(ErrorOf("").rfind("/etc/sluice.toml:1: key 'database.conninfo': missing", 0), 0u);
}

TEST(ConfigLoaderTest, TomlSyntaxErrorNamesTheLine) {
  std::string error = ErrorOf("[database]\nconninfo = \"\"\nwriters = = 2\n");
  EXPECT_EQ(error.rfind("/etc/sluice.toml:3: invalid TOML", 0), 0u) << error;
}

TEST(ConfigLoaderTest, BackoffMaxBelowMinIsRefused) {
  EXPECT_EQ(ErrorOf("[database]\nconninfo = \"\"\nbackoff_min_ms = 500\nbackoff_max_ms = 100\n"),
            "/etc/sluice.toml:4: key 'database.backoff_max_ms': must not be below "
            "backoff_min_ms");
}

TEST(ConfigLoaderTest, InstanceIdIsDerivedUnlessSet) {
  auto derived = Parse("[database]\nconninfo = \"\"\n[ingest]\nsocket = \"/run/s.sock\"\n");
  ASSERT_TRUE(derived);
  EXPECT_TRUE(InstanceId(*derived).ends_with(":/run/s.sock")) << InstanceId(*derived);
  auto named = Parse("[database]\nconninfo = \"\"\ninstance_id = \"mx1-primary\"\n");
  ASSERT_TRUE(named);
  EXPECT_EQ(InstanceId(*named), "mx1-primary");
}

TEST(ConfigLoaderTest, KeepAndForward) {
  auto settings = Parse(
      "[ingest]\nsocket = \"/run/s.sock\"\nkeep = \"all\"\nforward = \"/dev/log\"\n"
      "[database]\nconninfo = \"\"\n");
  ASSERT_TRUE(settings) << settings.error().message();
  EXPECT_EQ(settings->ingest.keep, "all");
  EXPECT_EQ(settings->ingest.forward, "/dev/log");
  EXPECT_EQ(ErrorOf("[ingest]\nkeep = \"most\"\n[database]\nconninfo = \"\"\n"),
            "/etc/sluice.toml:2: key 'ingest.keep': expected one of \"rejects\", \"all\"");
  EXPECT_EQ(ErrorOf("[ingest]\nsocket = \"/run/s.sock\"\nforward = \"/run/s.sock\"\n"
                    "[database]\nconninfo = \"\"\n"),
            "/etc/sluice.toml:3: key 'ingest.forward': must not be ingest.socket itself (a loop)");
}

TEST(ConfigLoaderTest, MissingFileIsAClearError) {
  auto settings = LoadConfig("/nonexistent/sluice.toml");
  ASSERT_FALSE(settings);
  EXPECT_EQ(settings.error().message(), "/nonexistent/sluice.toml:0: cannot read the config file");
}

TEST(ConfigLoaderTest, ShippedConfigLoads) {
  auto settings = LoadConfig(std::string(SLUICE_SOURCE_DIR) + "/conf/sluice.toml");
  ASSERT_TRUE(settings) << settings.error().message();
  // The shipped file documents the defaults: loading it must change nothing but conninfo.
  Settings defaults;
  EXPECT_EQ(settings->ingest.socket, defaults.ingest.socket);
  EXPECT_EQ(settings->ingest.socket_mode, defaults.ingest.socket_mode);
  EXPECT_EQ(settings->ingest.socket_group, defaults.ingest.socket_group);
  EXPECT_EQ(settings->ingest.receivers, defaults.ingest.receivers);
  EXPECT_EQ(settings->ingest.queue_mb, defaults.ingest.queue_mb);
  EXPECT_EQ(settings->ingest.max_datagram_bytes, defaults.ingest.max_datagram_bytes);
  EXPECT_EQ(settings->ingest.rcvbuf_kb, defaults.ingest.rcvbuf_kb);
  EXPECT_EQ(settings->ingest.keep, defaults.ingest.keep);
  EXPECT_EQ(settings->ingest.forward, defaults.ingest.forward);
  EXPECT_EQ(settings->database.writers, defaults.database.writers);
  EXPECT_EQ(settings->database.batch_rows, defaults.database.batch_rows);
  EXPECT_EQ(settings->database.batch_ms, defaults.database.batch_ms);
  EXPECT_EQ(settings->database.shutdown_timeout_ms, defaults.database.shutdown_timeout_ms);
  EXPECT_EQ(settings->database.backoff_min_ms, defaults.database.backoff_min_ms);
  EXPECT_EQ(settings->database.backoff_max_ms, defaults.database.backoff_max_ms);
  EXPECT_EQ(settings->database.partitions_ahead_days, defaults.database.partitions_ahead_days);
  EXPECT_EQ(settings->database.ledger_keep_days, defaults.database.ledger_keep_days);
  EXPECT_EQ(settings->spool.dir, defaults.spool.dir);
  EXPECT_EQ(settings->spool.mode, defaults.spool.mode);
  EXPECT_EQ(settings->spool.sync_ms, defaults.spool.sync_ms);
  EXPECT_EQ(settings->spool.memory_mb, defaults.spool.memory_mb);
  EXPECT_EQ(settings->spool.disk_mb, defaults.spool.disk_mb);
  EXPECT_EQ(settings->spool.segment_mb, defaults.spool.segment_mb);
  EXPECT_EQ(settings->spool.zstd_level, defaults.spool.zstd_level);
  EXPECT_EQ(settings->flood.mode, defaults.flood.mode);
  EXPECT_EQ(settings->flood.enter_rate, defaults.flood.enter_rate);
  EXPECT_EQ(settings->flood.leave_rate, defaults.flood.leave_rate);
  EXPECT_EQ(settings->flood.rate_window_ms, defaults.flood.rate_window_ms);
  EXPECT_EQ(settings->flood.enter_backlog, defaults.flood.enter_backlog);
  EXPECT_EQ(settings->flood.leave_backlog, defaults.flood.leave_backlog);
  EXPECT_EQ(settings->flood.leave_after_ms, defaults.flood.leave_after_ms);
  EXPECT_EQ(settings->flood.window_ms, defaults.flood.window_ms);
  EXPECT_EQ(settings->flood.detail_sample, defaults.flood.detail_sample);
  EXPECT_EQ(settings->flood.max_keys, defaults.flood.max_keys);
  EXPECT_EQ(settings->flood.key, defaults.flood.key);
  EXPECT_EQ(settings->log.level, defaults.log.level);
}

TEST(ConfigLoaderTest, FloodKeysAndThresholdsAreChecked) {
  auto bad_key = ParseConfig(
      "[database]\nconninfo = \"\"\n[flood]\nkey = [\"client_ip\", \"raw\"]\n", "/etc/sluice.toml");
  ASSERT_FALSE(bad_key);
  EXPECT_EQ(bad_key.error().message(),
            "/etc/sluice.toml:4: key 'flood.key': expected a non-empty array of distinct names "
            "out of \"host\", \"mta\", \"stage\", \"client_ip\", \"reason_class\", "
            "\"rbl\", \"smtp_code\"");
  auto twice =
      ParseConfig("[database]\nconninfo = \"\"\n[flood]\nkey = [\"host\", \"host\"]\n", "f.toml");
  EXPECT_FALSE(twice);
  auto inverted = ParseConfig(
      "[database]\nconninfo = \"\"\n[flood]\nenter_rate = 100\nleave_rate = 200\n", "f.toml");
  ASSERT_FALSE(inverted);
  EXPECT_EQ(inverted.error().message(),
            "f.toml:5: key 'flood.leave_rate': must not be above enter_rate");
  auto mode = ParseConfig("[database]\nconninfo = \"\"\n[flood]\nmode = \"sometimes\"\n", "f.toml");
  ASSERT_FALSE(mode);
  EXPECT_EQ(mode.error().message(),
            "f.toml:4: key 'flood.mode': expected one of \"auto\", "
            "\"always\", \"never\"");
  auto good = ParseConfig(
      "[database]\nconninfo = \"\"\n[flood]\nkey = [\"reason_class\", \"smtp_code\"]\n", "f.toml");
  ASSERT_TRUE(good) << good.error().message();
  EXPECT_EQ(good->flood.key, (std::vector<std::string>{"reason_class", "smtp_code"}));
}

TEST(ConfigLoaderTest, MetricsListenTakesAnAddressOrNothing) {
  auto off = ParseConfig("[database]\nconninfo = \"\"\n", "f.toml");
  ASSERT_TRUE(off);
  EXPECT_EQ(off->metrics.listen, "");
  for (const char* good : {"127.0.0.1:9926", "[::1]:9926", "localhost:1", "0.0.0.0:65535"}) {
    auto parsed = ParseConfig(
        "[database]\nconninfo = \"\"\n[metrics]\nlisten = \"" + std::string(good) + "\"\n",
        "f.toml");
    ASSERT_TRUE(parsed) << good << ": " << parsed.error().message();
    EXPECT_EQ(parsed->metrics.listen, good);
  }
  for (const char* bad :
       {"9926", "127.0.0.1:0", "127.0.0.1:65536", "::1:9926", "host.example:80", "127.0.0.1:99x"}) {
    auto parsed = ParseConfig(
        "[database]\nconninfo = \"\"\n[metrics]\nlisten = \"" + std::string(bad) + "\"\n",
        "f.toml");
    ASSERT_FALSE(parsed) << bad;
    EXPECT_NE(parsed.error().message().find("f.toml:4: key 'metrics.listen': expected"),
              std::string::npos)
        << parsed.error().message();
  }
}

TEST(ConfigLoaderTest, ChangedKeysNamesWhatDiffersIncludingKeysSetOrUnset) {
  const std::string before =
      "[database]\nconninfo = \"\"\nwriters = 2\n[log]\nlevel = \"info\"\n"
      "[flood]\nkey = [\"host\"]\n";
  const std::string after =
      "[database]\nconninfo = \"\"\nwriters = 3\n[log]\nlevel = \"info\"\n"
      "[flood]\nkey = [\"host\", \"rbl\"]\n[metrics]\nlisten = \"127.0.0.1:9926\"\n";
  EXPECT_EQ(ChangedKeys(before, after),
            (std::vector<std::string>{"database.writers", "flood.key", "metrics.listen"}));
  EXPECT_EQ(ChangedKeys(after, after), std::vector<std::string>{});
  // Formatting is not a change.
  EXPECT_EQ(ChangedKeys("[log]\nlevel=\"info\"\n", "[log]\n  level = 'info'   # same\n"),
            std::vector<std::string>{});
}

TEST(ConfigLoaderTest, FollowTablesNameAbsolutePathsEachOnce) {
  auto settings = Parse(
      "[database]\nconninfo = \"\"\n[[follow]]\npath = \"/var/log/exim4/mainlog\"\n"
      "[[follow]]\npath = \"/var/log/exim4/rejectlog\"\n");
  ASSERT_TRUE(settings) << settings.error().message();
  EXPECT_EQ(settings->follow,
            (std::vector<std::string>{"/var/log/exim4/mainlog", "/var/log/exim4/rejectlog"}));
  EXPECT_TRUE(Parse("[database]\nconninfo = \"\"\n")->follow.empty());

  const std::string base = "[database]\nconninfo = \"\"\n";
  EXPECT_EQ(ErrorOf(base + "[[follow]]\npath = \"mainlog\"\n"),
            "/etc/sluice.toml:3: key 'follow': path: expected an absolute path, got \"mainlog\"");
  EXPECT_EQ(ErrorOf(base + "[[follow]]\npath = \"/a\"\n[[follow]]\npath = \"/a\"\n"),
            "/etc/sluice.toml:5: key 'follow': path: /a is followed twice");
  EXPECT_EQ(ErrorOf(base + "[[follow]]\nfile = \"/a\"\n"),
            "/etc/sluice.toml:4: key 'follow': unknown key 'file'");
  EXPECT_EQ(ErrorOf(base + "[[follow]]\n"),
            "/etc/sluice.toml:3: key 'follow': path: missing, or not a string");
  EXPECT_NE(ErrorOf("follow = \"/a\"\n" + base).find("expected [[follow]] tables"),
            std::string::npos);
  EXPECT_EQ(ChangedKeys(base + "[[follow]]\npath = \"/a\"\n", base + "[[follow]]\npath = \"/b\"\n"),
            std::vector<std::string>{"follow"});
}

}  // namespace
}  // namespace sluice::config
