// Many MTA hosts into one database: glibc's syslog(3) sends no hostname over a local socket,
// so each sluiced fills in its own (ingest.host, or the machine's name) and rows from
// different hosts are told apart, as is the instance that wrote them (the ledger).
#include <unistd.h>

#include <array>
#include <string>

#include <gtest/gtest.h>

#include "support/daemon_harness.h"
#include "support/pg_sandbox.h"

namespace sluice {
namespace {

using testing::DaemonHarness;
using testing::WaitUntil;

// As glibc's syslog(3) frames it for a local socket: no hostname.
constexpr char kHeaderless[] =
    "<22>Dec  2 10:00:00 postfix/smtpd[77]: NOQUEUE: reject: RCPT from unknown[192.0.2.80]: "
    "554 5.7.1 <v@example.org>: Relay access denied; from=<a@example.net> "
    "to=<v@example.org> proto=ESMTP helo=<h.example.net>";

testing::PgSandbox& pg() { return testing::SharedPgSandbox(); }

TEST(ManyHostsTest, RowsWithoutAHostnameGetTheirSluicedsHost) {
  ASSERT_TRUE(pg().started()) << pg().start_output();
  pg().Migrate();
  pg().Query("TRUNCATE sluice.events, sluice.batches");
  DaemonHarness mx1(pg(), {{"ingest.host", "\"mx1.example.net\""}});
  DaemonHarness mx2(pg(), {{"ingest.host", "\"mx2.example.net\""}});
  DaemonHarness unnamed(pg());
  for (DaemonHarness* daemon : {&mx1, &mx2, &unnamed}) {
    ASSERT_TRUE(daemon->Start()) << daemon->Output();
  }
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(testing::SendDatagram(mx1.socket_path(), kHeaderless));
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(testing::SendDatagram(mx2.socket_path(), kHeaderless));
  ASSERT_TRUE(testing::SendDatagram(unnamed.socket_path(), kHeaderless));
  // A header that names its host keeps it.
  ASSERT_TRUE(testing::SendDatagram(
      mx1.socket_path(), std::string("<22>Dec  2 10:00:00 relay7 ") + (kHeaderless + 20)));
  ASSERT_TRUE(WaitUntil([] { return pg().Query("SELECT count(*) FROM sluice.events") == "7"; },
                        std::chrono::seconds(30)));
  std::array<char, 256> machine{};
  gethostname(machine.data(), machine.size() - 1);
  auto rows_of = [](const std::string& host) {
    return pg().Query("SELECT count(*) FROM sluice.events WHERE host = '" + host + "'");
  };
  EXPECT_EQ(rows_of("mx1.example.net"), "3");
  EXPECT_EQ(rows_of("mx2.example.net"), "2");
  EXPECT_EQ(rows_of(machine.data()), "1");
  EXPECT_EQ(rows_of("relay7"), "1");
  // Each row's batch is in the ledger under the instance that wrote it.
  EXPECT_EQ(pg().Query("SELECT count(DISTINCT b.instance_id) FROM sluice.events e JOIN "
                       "sluice.batches b USING (batch_id)"),
            "3");
  for (DaemonHarness* daemon : {&mx1, &mx2, &unnamed}) EXPECT_EQ(daemon->Stop().exit_code, 0);
}

}  // namespace
}  // namespace sluice
