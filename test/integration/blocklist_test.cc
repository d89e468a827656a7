// sluice blocklist: the networks with many rejects in a period, from detail rows and
// aggregates alike, never one on the allow list or loopback, written atomically in a form
// Postfix or nftables reads. (Postfix itself reading it: postfix_test.)
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "support/daemon_harness.h"
#include "support/paths.h"
#include "support/pg_sandbox.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace sluice {
namespace {

using testing::DaemonHarness;
using testing::RunProcess;

testing::PgSandbox& pg() { return testing::SharedPgSandbox(); }

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The lines of `text` that are not comments.
std::string Entries(const std::string& text) {
  std::istringstream lines(text);
  std::string line, out;
  while (std::getline(lines, line)) {
    if (!line.empty() && line[0] != '#') out += line + "\n";
  }
  return out;
}

class BlocklistTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pg().started()) << pg().start_output();
    pg().Migrate();
    pg().Query("TRUNCATE sluice.events, sluice.aggregates, sluice.shed, sluice.batches");
    // In the last hour: 5 rejects of 192.0.2.10, 2 of 192.0.2.11, 5 of 198.51.100.7 (a
    // customer, on the allow list), 4 of 2001:db8::5, 10 of 127.0.0.1 (a local client);
    // 60 of 192.0.2.10 two days ago; under flood, 50 of 203.0.113.0/24 counted as a network.
    pg().Query(
        "INSERT INTO sluice.events (received_at, is_reject, client_ip, raw, batch_id) "
        "SELECT now() - interval '10 minutes', true, ip::inet, 'r', 1 FROM ("
        "SELECT '192.0.2.10' FROM generate_series(1, 5) UNION ALL "
        "SELECT '192.0.2.11' FROM generate_series(1, 2) UNION ALL "
        "SELECT '198.51.100.7' FROM generate_series(1, 5) UNION ALL "
        "SELECT '2001:db8::5' FROM generate_series(1, 4) UNION ALL "
        "SELECT '127.0.0.1' FROM generate_series(1, 10)) AS t(ip) "
        "UNION ALL SELECT now() - interval '2 days', true, '192.0.2.10', 'r', 1 "
        "FROM generate_series(1, 60)");
    pg().Query(
        "INSERT INTO sluice.aggregates (window_start, window_end, client_ip, granularity, "
        "events, first_seen, last_seen, batch_id) VALUES (now() - interval '5 minutes', now(), "
        "'203.0.113.0/24', 'prefix', 50, now(), now(), 2)");
    std::ofstream(allow_) << "# customers\n198.51.100.7   # their relay\n\n";
  }

  testing::ProcessResult Blocklist(std::vector<std::string> args) {
    args.insert(args.begin(), {SLUICE_CLI, "blocklist", "--config", reader_.config_path()});
    return RunProcess(args);
  }

  testing::TempDir dir_;
  std::string allow_ = dir_.File("allow.txt");
  DaemonHarness reader_{pg(), testing::ReaderConfig(pg())};
};

TEST_F(BlocklistTest, ListsAddressesAndNetworksOverTheThresholdBusiestFirst) {
  auto plain = Blocklist({"--min-events", "4", "--format", "plain", "--never", allow_});
  ASSERT_EQ(plain.exit_code, 0) << plain.output;
  EXPECT_EQ(Entries(plain.output), "203.0.113.0/24\t50\n192.0.2.10/32\t5\n2001:db8::5/128\t4\n");
  EXPECT_NE(plain.output.find("# Never listed: loopback, the allow list"), std::string::npos)
      << plain.output;
}

TEST_F(BlocklistTest, APrefixSumsTheAddressesOfANetworkButNeverOneHoldingAnAllowedAddress) {
  auto plain = Blocklist({"--min-events", "4", "--prefix", "24", "--prefix6", "64", "--format",
                          "plain", "--never", allow_});
  ASSERT_EQ(plain.exit_code, 0) << plain.output;
  EXPECT_EQ(Entries(plain.output), "203.0.113.0/24\t50\n192.0.2.0/24\t7\n2001:db8::/64\t4\n");
}

TEST_F(BlocklistTest, ALongerPeriodCountsOlderRejects) {
  auto plain = Blocklist({"--since", "3d", "--min-events", "60", "--format", "plain"});
  ASSERT_EQ(plain.exit_code, 0) << plain.output;
  EXPECT_EQ(Entries(plain.output), "192.0.2.10/32\t65\n");
}

TEST_F(BlocklistTest, WritesAPostfixCidrTableAtomically) {
  const std::string table = dir_.File("sluice.cidr");
  std::ofstream(table) << "old\n";
  auto written = Blocklist({"--min-events", "4", "--never", allow_, "--output", table});
  ASSERT_EQ(written.exit_code, 0) << written.output;
  EXPECT_NE(written.output.find("3 network(s) written to " + table), std::string::npos);
  EXPECT_EQ(Entries(Read(table)),
            "203.0.113.0/24\treject\n192.0.2.10/32\treject\n2001:db8::5/128\treject\n");
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << entry.path();
  }
  if (std::filesystem::exists("/usr/sbin/postmap")) {  // Postfix reads it as we mean it
    std::filesystem::create_directory(dir_.File("postfix"));
    std::ofstream(dir_.File("postfix/main.cf")) << "compatibility_level = 3.6\n";
    const std::string config = dir_.File("postfix");
    auto hit = RunProcess({"postmap", "-c", config, "-q", "203.0.113.9", "cidr:" + table});
    EXPECT_EQ(hit.output, "reject\n") << hit.output;
    auto miss = RunProcess({"postmap", "-c", config, "-q", "198.51.100.7", "cidr:" + table});
    EXPECT_EQ(miss.exit_code, 1) << miss.output;
  }
}

TEST_F(BlocklistTest, WritesAnNftablesScriptWithASetPerFamily) {
  auto nft = Blocklist({"--min-events", "4", "--format", "nftables", "--never", allow_});
  ASSERT_EQ(nft.exit_code, 0) << nft.output;
  EXPECT_NE(nft.output.find("set blocklist4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n"
                            "\t\telements = {\n\t\t\t203.0.113.0/24,\n\t\t\t192.0.2.10/32\n"),
            std::string::npos)
      << nft.output;
  EXPECT_NE(nft.output.find("elements = {\n\t\t\t2001:db8::5/128\n"), std::string::npos);
  EXPECT_NE(nft.output.find("tcp dport 25 ip saddr @blocklist4 drop"), std::string::npos);
  if (std::filesystem::exists("/usr/sbin/nft")) {
    const std::string script = dir_.File("sluice.nft");
    std::ofstream(script) << nft.output;
    auto checked = RunProcess({"nft", "-c", "-f", script});
    EXPECT_EQ(checked.exit_code, 0) << checked.output << nft.output;
  }
}

TEST_F(BlocklistTest, LoopbackIsListedOnlyWhenAskedFor) {
  auto plain = Blocklist({"--min-events", "10", "--format", "plain"});
  EXPECT_EQ(Entries(plain.output), "203.0.113.0/24\t50\n");
  auto lab = Blocklist({"--min-events", "10", "--format", "plain", "--list-loopback"});
  EXPECT_EQ(Entries(lab.output), "203.0.113.0/24\t50\n127.0.0.1/32\t10\n");
}

TEST_F(BlocklistTest, ABadAllowListLineIsNamedAndTheOutputLeftAsItWas) {
  const std::string table = dir_.File("sluice.cidr");
  std::ofstream(table) << "192.0.2.99/32\treject\n";
  std::ofstream(allow_, std::ios::app) << "198.51.100.0/33\n";
  auto refused = Blocklist({"--never", allow_, "--output", table});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.output.find(allow_ + ":4: '198.51.100.0/33' is not an address or a network"),
            std::string::npos)
      << refused.output;
  EXPECT_EQ(Read(table), "192.0.2.99/32\treject\n");
  auto bad_format = Blocklist({"--format", "iptables"});
  EXPECT_EQ(bad_format.exit_code, 1);
  EXPECT_NE(bad_format.output.find("expected postfix-cidr, nftables or plain"), std::string::npos);
}

}  // namespace
}  // namespace sluice
