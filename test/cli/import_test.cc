// `sluice import` against a real PostgreSQL: plain, gzip and zstd files and stdin, exactly
// once through the ledger, year-less timestamps resolved against the file's mtime.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "support/daemon_harness.h"
#include "support/paths.h"
#include "support/pg_sandbox.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace sluice {
namespace {

using testing::DaemonHarness;
using testing::ProcessResult;
using testing::RunProcess;

// Five lines are kept of each copy: four rejects and one malformed line; two are ignored.
constexpr const char* kMailLog =
    "Dec 31 23:59:58 mx1 postfix/smtpd[10]: NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 554 "
    "5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org; "
    "from=<a@example.net> to=<b@example.org> proto=ESMTP helo=<h>\n"
    "Dec 31 23:59:58 mx1 postfix/smtpd[10]: disconnect from unknown[192.0.2.1] ehlo=1 quit=1\n"
    "<22>Dec 31 23:59:59 postfix/postscreen[11]: DNSBL rank 4 for [192.0.2.2]:4000\r\n"
    "2024-12-31 23:59:59 mx1 exim[12]: 2024-12-31 23:59:59 H=(x) [192.0.2.3]:25 F=<c@d.example> "
    "rejected RCPT <e@example.org>: relay not permitted\n"
    "Dec 31 23:59:59 mx1 sm-mta[13]: 4VABC1234567: ruleset=check_rcpt, arg1=<f@example.org>, "
    "relay=[192.0.2.4], reject=550 5.7.1 <f@example.org>... Relaying denied\n"
    "Dec 31 23:59:59 mx1 postfix/qmgr[14]: 4VABC: removed\n"
    "\xff\xfe not UTF-8\n";

class ImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pg().started()) << pg().start_output();
    pg().Migrate();
    pg().Query("TRUNCATE sluice.events, sluice.batches");
    std::ofstream(dir_.File("mail.log"), std::ios::binary) << kMailLog;
    // Written on 2025-01-01: "Dec 31" is the day before, in 2024.
    ASSERT_EQ(
        RunProcess({"touch", "-d", "2025-01-01 00:10:00 UTC", dir_.File("mail.log")}).exit_code, 0);
  }
  static testing::PgSandbox& pg() { return testing::SharedPgSandbox(); }
  static long long Rows(const std::string& where = "true") {
    return std::stoll(pg().Query("SELECT count(*) FROM sluice.events WHERE " + where));
  }
  ProcessResult Import(std::vector<std::string> logs, const std::string& stdin_file = "") {
    std::vector<std::string> args = {SLUICE_CLI, "import", "--config", daemon_.config_path()};
    args.insert(args.end(), logs.begin(), logs.end());
    return RunProcess(args, std::chrono::seconds(120), stdin_file);
  }
  std::string Shell(const std::string& command) { return RunProcess({"sh", "-c", command}).output; }

  testing::TempDir dir_;
  DaemonHarness daemon_{pg()};  // for its config file; the daemon is not started
};

TEST_F(ImportTest, PlainGzipAndZstdFilesLoadOnceEach) {
  const std::string log = dir_.File("mail.log");
  Shell("gzip -c " + log + " > " + log + ".2.gz && zstd -q -c " + log + " > " + log + ".3.zst");
  // logrotate with delaycompress can leave two gzip members in one file.
  Shell("(gzip -c " + log + "; gzip -c " + log + ") > " + log + ".4.gz");
  ProcessResult first = Import({log, log + ".2.gz", log + ".3.zst", log + ".4.gz"});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("mail.log.2.gz (gzip): 7 lines: 5 rows stored (1 malformed), "
                              "2 ignored"),
            std::string::npos)
      << first.output;
  EXPECT_NE(first.output.find("mail.log.3.zst (zstd): 7 lines"), std::string::npos);
  EXPECT_NE(first.output.find("mail.log.4.gz (gzip): 14 lines: 10 rows stored"), std::string::npos);
  EXPECT_EQ(Rows(), 25);
  EXPECT_EQ(Rows("malformed"), 5);
  EXPECT_EQ(Rows("rbl = 'zen.spamhaus.org' AND stage = 'rcpt' AND client_ip = '192.0.2.1'"), 5);
  EXPECT_EQ(Rows("mta = 'exim' AND reason = 'relay not permitted'"), 5);
  EXPECT_EQ(Rows("mta = 'sendmail' AND recipient = 'f@example.org'"), 5);
  EXPECT_EQ(Rows("stage = 'postscreen' AND raw NOT LIKE '%\r'"), 5);  // \r\n ends the line
  // The file's mtime, not today, decides the year of "Dec 31".
  EXPECT_EQ(pg().Query("SELECT DISTINCT extract(year FROM logged_at AT TIME ZONE 'UTC') "
                       "FROM sluice.events WHERE mta = 'postfix'"),
            "2024");

  ProcessResult again = Import({log, log + ".2.gz"});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("0 rows stored (0 malformed), 2 ignored, 0 dead-lettered; 0 "
                              "batches written, 1 already in the database"),
            std::string::npos)
      << again.output;
  EXPECT_EQ(Rows(), 25);
}

TEST_F(ImportTest, StandardInputIsReadWithADash) {
  ProcessResult piped = Import({"-"}, dir_.File("mail.log"));
  ASSERT_EQ(piped.exit_code, 0) << piped.output;
  EXPECT_NE(piped.output.find("stdin (plain): 7 lines: 5 rows stored"), std::string::npos)
      << piped.output;
  EXPECT_EQ(Rows(), 5);
}

TEST_F(ImportTest, ADamagedOrMissingFileIsReportedAndTheOthersStillLoad) {
  const std::string log = dir_.File("mail.log");
  Shell("gzip -c " + log + " | head -c 40 > " + log + ".cut.gz");
  ProcessResult result = Import({dir_.File("missing.log"), log + ".cut.gz", log});
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("missing.log: No such file or directory"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("cut short"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("mail.log (plain): 7 lines: 5 rows stored"), std::string::npos);
  EXPECT_GE(Rows(), 5);
}

}  // namespace
}  // namespace sluice
