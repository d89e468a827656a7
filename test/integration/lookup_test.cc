// sluice lookup: the support desk's question answered from sluice.rejects, whatever the
// flood ladder did: an address that was only ever aggregated is found, with its count.
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "support/daemon_harness.h"
#include "support/paths.h"
#include "support/pg_sandbox.h"
#include "support/process.h"

namespace sluice {
namespace {

using testing::DaemonHarness;
using testing::RunProcess;
using testing::WaitUntil;

testing::PgSandbox& pg() { return testing::SharedPgSandbox(); }

std::string Reject(const std::string& ip, const std::string& sender) {
  return "<22>Dec  2 10:00:00 mx1 postfix/smtpd[7]: NOQUEUE: reject: RCPT from unknown[" + ip +
         "]: 554 5.7.1 <b@example.org>: Relay access denied; from=<" + sender +
         "> to=<b@example.org> proto=ESMTP helo=<h>";
}

class LookupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pg().started()) << pg().start_output();
    pg().Migrate();
    pg().Query("TRUNCATE sluice.events, sluice.aggregates, sluice.shed, sluice.batches");
  }
  // sluice lookup ARGS with a config whose role may read (the operator's reader config).
  static testing::ProcessResult Lookup(const DaemonHarness& reader, std::vector<std::string> args) {
    args.insert(args.begin(), {SLUICE_CLI, "lookup", "--config", reader.config_path()});
    return RunProcess(args);
  }
};

TEST_F(LookupTest, FindsDetailRowsAndAddressesThatWereOnlyAggregated) {
  // Under flood with no sampled details, 40 rejects of one client become one aggregate row.
  DaemonHarness flooded(pg(), {{"flood.mode", "\"always\""}, {"flood.detail_sample", "0"}});
  ASSERT_TRUE(flooded.Start()) << flooded.Output();
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(
        testing::SendDatagram(flooded.socket_path(), Reject("192.0.2.55", "x@bot.example")));
  }
  ASSERT_EQ(flooded.Stop().exit_code, 0);
  // Without flood: one detail row of another client.
  DaemonHarness calm(pg());
  ASSERT_TRUE(calm.Start()) << calm.Output();
  ASSERT_TRUE(testing::SendDatagram(calm.socket_path(), Reject("192.0.2.7", "A@Example.net")));
  ASSERT_TRUE(WaitUntil([] { return pg().Query("SELECT count(*) FROM sluice.events") == "1"; },
                        std::chrono::seconds(30)));
  ASSERT_EQ(calm.Stop().exit_code, 0);
  ASSERT_EQ(pg().Query("SELECT sum(events) FROM sluice.rejects"), "41");

  DaemonHarness reader(pg(), testing::ReaderConfig(pg()));
  auto aggregated = Lookup(reader, {"--ip", "192.0.2.55"});
  EXPECT_EQ(aggregated.exit_code, 0) << aggregated.output;
  EXPECT_NE(aggregated.output.find(" | aggregate:key | 40 events | 192.0.2.55 | relay_denied | "),
            std::string::npos)
      << aggregated.output;

  auto detail = Lookup(reader, {"--sender", "a@example.NET", "--since", "24h"});
  EXPECT_EQ(detail.exit_code, 0) << detail.output;
  EXPECT_NE(
      detail.output.find(" | detail | 1 event | 192.0.2.7 | relay_denied | from A@Example.net "
                         "| to b@example.org | "),
      std::string::npos)
      << detail.output;
  EXPECT_NE(detail.output.find("note: 40 rejects of the period were aggregated under flood"),
            std::string::npos)
      << detail.output;

  auto none = Lookup(reader, {"--recipient", "nobody@example.org"});
  EXPECT_EQ(none.exit_code, 0);
  EXPECT_NE(none.output.find("no rejects in the last 7d"), std::string::npos) << none.output;
}

TEST_F(LookupTest, ABadQueryIsRefusedWithTheReason) {
  DaemonHarness reader(pg(), testing::ReaderConfig(pg()));
  auto two = Lookup(reader, {"--ip", "192.0.2.1", "--sender", "a@example.net"});
  EXPECT_EQ(two.exit_code, 1);
  EXPECT_EQ(two.output, "sluice lookup: give one of --ip, --sender, --recipient\n");
  auto since = Lookup(reader, {"--ip", "192.0.2.1", "--since", "yesterday"});
  EXPECT_EQ(since.exit_code, 1);
  EXPECT_NE(since.output.find("expected a number and s, m, h or d"), std::string::npos);
  auto address = Lookup(reader, {"--ip", "not-an-address"});
  EXPECT_EQ(address.exit_code, 1);
  EXPECT_NE(address.output.find("invalid input syntax for type inet"), std::string::npos)
      << address.output;
}

}  // namespace
}  // namespace sluice
