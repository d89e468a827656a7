// `sluice import` against a real PostgreSQL: plain, gzip and zstd files and stdin, exactly
// once through the ledger, year-less timestamps resolved against the file's mtime.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

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

// Exim's own files, as Debian's exim4 writes /var/log/exim4/mainlog and rejectlog: no syslog
// header; +millisec, log_timezone and +pid on some lines; a rejectlog entry for a DATA-time
// reject goes on with Envelope- lines and the message's headers (flagged "P ", "  ", ...,
// folded lines indented), which are part of the entry, not events.
constexpr const char* kEximMainlog =
    "2024-01-31 13:00:00 H=(helo.example) [192.0.2.21] F=<a@example.net> rejected RCPT "
    "<b@example.org>: relay not permitted\n"
    "2024-01-31 13:00:01.250 +0100 [4242] H=mail.example.com [192.0.2.22]:4321 "
    "F=<bounce@example.com> rejected RCPT <nobody@example.org>: Unrouteable address\n"
    "2024-01-31 13:00:02 1rAbCd-000123-Ab <= a@example.net H=(x) [192.0.2.23] P=esmtp S=1234\n"
    "2024-01-31 13:00:03 Start queue run: pid=100\n";
constexpr const char* kEximRejectlog =
    "2024-01-31 13:00:05 1rAbCe-000124-Ac H=(spammer.example) [192.0.2.24] "
    "F=<s@example.net> rejected after DATA: Your message looks like spam\n"
    "Envelope-from: <s@example.net>\n"
    "Envelope-to: <r@example.org>\n"
    "P Received: from [192.0.2.24] (helo=spammer.example)\n"
    "\tby mx.example.org with esmtp (Exim 4.96)\n"
    "  Subject: cheap\n"
    "I Message-Id: <x@spammer.example>\n"
    "2024-01-31 13:00:06 H=(helo.example) [192.0.2.25] F=<a@example.net> rejected RCPT "
    "<c@example.org>: relay not permitted\n";
// Postfix >= 3.4 writing its own file (maillog_file, postlogd): zero-padded day, a host, no PRI.
constexpr const char* kPostfixMaillogFile =
    "Jan 05 13:00:07 mx1 postfix/smtpd[3967801]: NOQUEUE: reject: RCPT from "
    "unknown[192.0.2.26]: 550 5.1.1 <u@example.org>: Recipient address rejected: User unknown "
    "in local recipient table; from=<a@example.net> to=<u@example.org> proto=ESMTP helo=<h>\n";

TEST_F(ImportTest, EximsOwnLogFilesAndPostfixsMaillogFileLoadWithTheirFields) {
  std::ofstream(dir_.File("mainlog")) << kEximMainlog;
  std::ofstream(dir_.File("rejectlog")) << kEximRejectlog;
  std::ofstream(dir_.File("postfix.log")) << kPostfixMaillogFile;
  // Written in June 2025: its "Jan 05" is of 2025. Local times are read in UTC.
  ASSERT_EQ(
      RunProcess({"touch", "-d", "2025-06-01 00:00:00 UTC", dir_.File("postfix.log")}).exit_code,
      0);
  ::setenv("TZ", "UTC", 1);
  ProcessResult r =
      Import({dir_.File("mainlog"), dir_.File("rejectlog"), dir_.File("postfix.log")});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("mainlog (plain): 4 lines: 2 rows stored (0 malformed), 2 ignored"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("rejectlog (plain): 8 lines: 2 rows stored (0 malformed), 0 ignored"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("; 6 header lines of Exim rejectlog entries (not events)"),
            std::string::npos)
      << r.output;
  auto row = [](const std::string& ip) {
    return pg().Query(
        "SELECT concat_ws(' | ', program, pid, mta, stage, sender, recipient, reason_class, "
        "to_char(logged_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS')) FROM sluice.events "
        "WHERE client_ip = '" +
        ip + "'");
  };
  // Times: the first is local (UTC here), the second carries +0100.
  EXPECT_EQ(row("192.0.2.21"),
            "exim | exim | rcpt | a@example.net | b@example.org | relay_denied | "
            "2024-01-31 13:00:00.000");
  EXPECT_EQ(row("192.0.2.22"),
            "exim | 4242 | exim | rcpt | bounce@example.com | nobody@example.org | "
            "unknown_recipient | 2024-01-31 12:00:01.250");
  EXPECT_EQ(row("192.0.2.24"),
            "exim | exim | data | s@example.net | content | 2024-01-31 13:00:05.000");
  EXPECT_EQ(Rows("client_ip = '192.0.2.25'"), 1);
  EXPECT_EQ(Rows("raw LIKE 'Envelope-%' OR raw LIKE '%Subject%'"), 0);
  EXPECT_EQ(row("192.0.2.26"),
            "postfix/smtpd | 3967801 | postfix | rcpt | a@example.net | u@example.org | "
            "unknown_recipient | 2025-01-05 13:00:07.000");
}

// `sluice import --follow`: a writer appends while the file is renamed away and recreated
// (logrotate's create), truncated in place (copytruncate), and the follower is killed -9 and
// started again, mid-stream and while idle: every line is stored exactly once.
TEST_F(ImportTest, FollowingAFileThroughRotationsAndKillsStoresEveryLineOnce) {
  const std::string log = dir_.File("follow.log");
  int written = 0;
  auto append = [&](int n) {
    std::ofstream out(log, std::ios::app);
    for (int i = 0; i < n; ++i, ++written) {
      out << "Dec  2 10:00:00 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[192.0.2.1]: "
             "554 5.7.1 <u"
          << written
          << "@example.org>: Relay access denied; "
             "from=<a@example.net> to=<u"
          << written << "@example.org> proto=ESMTP helo=<h>\n";
      if (i % 50 == 49) out.flush();
    }
  };
  auto follower = [&] {
    return std::make_unique<testing::BackgroundProcess>(
        std::vector<std::string>{SLUICE_CLI, "import", "--config", daemon_.config_path(),
                                 "--follow", log},
        dir_.File("follow-out.log"));
  };
  auto landed = [&](long long n) {
    return testing::WaitUntil([&] { return Rows() == n; }, std::chrono::seconds(30));
  };
  append(300);
  auto running = follower();
  ASSERT_TRUE(landed(300)) << Rows() << " " << running->Output();

  append(200);  // and killed while it reads them
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  running->Signal(SIGKILL);
  (void)running->Wait(std::chrono::seconds(10));
  running = follower();
  ASSERT_TRUE(landed(500)) << Rows() << " " << running->Output();

  // logrotate's rename + create.
  std::filesystem::rename(log, log + ".1");
  append(200);
  ASSERT_TRUE(landed(700)) << Rows() << " " << running->Output();

  // copytruncate, once the follower has caught up (what comes between the copy and the
  // truncation is lost to any follower, as to tail -F).
  std::filesystem::copy_file(log, log + ".2");
  std::filesystem::resize_file(log, 0);
  append(100);
  ASSERT_TRUE(landed(800)) << Rows() << " " << running->Output();

  running->Signal(SIGKILL);  // idle this time
  (void)running->Wait(std::chrono::seconds(10));
  append(100);
  running = follower();
  ASSERT_TRUE(landed(900)) << Rows() << " " << running->Output();
  running->Signal(SIGTERM);
  ProcessResult stopped = running->Wait(std::chrono::seconds(30));
  EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
  EXPECT_EQ(pg().Query("SELECT count(DISTINCT recipient) FROM sluice.events"), "900");
  EXPECT_EQ(Rows(), 900);
}

}  // namespace
}  // namespace sluice
