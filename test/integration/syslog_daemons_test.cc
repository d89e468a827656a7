// The shipped syslog daemon configs, run for real: rsyslogd (Debian's package) and syslog-ng
// (Debian's, or extracted from its package by tools/install-deps, as the two conflict) each
// run privately, with their own config, pid file, work dir and input socket standing in for
// /dev/log, and conf/rsyslog/sluice.conf or conf/syslog-ng/sluice.conf included with only its
// socket path changed to the test's sluiced. logger writes to that input socket; what lands
// in PostgreSQL is checked: the mail facility only, long tags whole, program, pid and host.
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/daemon_harness.h"
#include "support/paths.h"
#include "support/pg_sandbox.h"
#include "support/process.h"

namespace sluice {
namespace {

using testing::BackgroundProcess;
using testing::DaemonHarness;
using testing::RunProcess;
using testing::WaitUntil;

constexpr char kShippedSocket[] = "/run/sluice/sluice.sock";
constexpr char kReject[] =
    "NOQUEUE: reject: RCPT from unknown[192.0.2.44]: 554 5.7.1 <x@example.org>: Relay access "
    "denied; from=<a@example.net> to=<x@example.org> proto=ESMTP helo=<syslogd.example.net>";

// Sendmail's and Exim's rejects as they reach syslog (Exim with log_file_path = syslog keeps
// its own time stamp in the message), for the Sendmail and Exim recipes of the same route.
constexpr char kSendmailReject[] =
    "2ASA91xG002794: ruleset=check_rcpt, arg1=<y@example.org>, relay=bot.example.net "
    "[192.0.2.45], reject=550 5.7.1 <y@example.org>... Relaying denied";
constexpr char kEximReject[] =
    "2026-12-02 10:00:00 H=(bot.example.net) [192.0.2.46]:52344 F=<s@example.net> rejected "
    "RCPT <z@example.org>: relay not permitted";

testing::PgSandbox& pg() { return testing::SharedPgSandbox(); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The shipped file `relative` with its socket path pointed at `socket` (and nothing else
// changed), written to `to`.
void CopyWithSocket(const std::string& relative, const std::string& socket, const std::string& to) {
  std::string text = ReadFile(std::string(SLUICE_SOURCE_DIR) + "/" + relative);
  size_t at = text.find(kShippedSocket);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, sizeof kShippedSocket - 1, socket);
  ASSERT_EQ(text.find(kShippedSocket), std::string::npos) << "the socket is named once";
  std::ofstream(to) << text;
}

std::string ShortHostName() {
  std::array<char, 256> name{};
  gethostname(name.data(), name.size() - 1);
  std::string host = name.data();
  return host.substr(0, host.find('.'));
}

class SyslogDaemonsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pg().started()) << pg().start_output();
    pg().Migrate();
    pg().Query("TRUNCATE sluice.events, sluice.batches");
  }

  // Runs the syslog daemon `argv` (which takes `dir`/devlog as its /dev/log), sends through it
  // and checks what lands (SendAndCheck), then stops it.
  void RunAndCheck(DaemonHarness& daemon, const std::vector<std::string>& argv,
                   const std::string& dir) {
    BackgroundProcess server(argv, dir + "/server.log");
    ASSERT_TRUE(WaitUntil([&] { return std::filesystem::exists(dir + "/devlog"); },
                          std::chrono::seconds(20)))
        << server.Output();
    SendAndCheck(daemon, dir + "/devlog");
    server.Signal(SIGTERM);
    (void)server.Wait(std::chrono::seconds(20));
  }

  // Sends, through `devlog`, a reject as Postfix's submission smtpd of instance postfix-out
  // (a tag of 27 characters plus the pid), the same reject on another facility, a mail line
  // that is not a reject, and a Sendmail and an Exim reject; waits for what should land.
  void SendAndCheck(DaemonHarness& daemon, const std::string& devlog) {
    auto logger = [&](const std::string& priority, const std::string& tag,
                      const std::string& text) {
      return RunProcess({"logger", "-u", devlog, "--socket-errors=on", "-p", priority, "-t", tag,
                         "--id=4242", "--", text})
          .exit_code;
    };
    ASSERT_EQ(logger("mail.info", "postfix-out/submission/smtpd", kReject), 0);
    ASSERT_EQ(logger("user.info", "postfix/smtpd", kReject), 0);
    ASSERT_EQ(logger("mail.info", "postfix/qmgr", "4F1A2B3C4D: removed"), 0);
    ASSERT_EQ(logger("mail.notice", "sm-mta", kSendmailReject), 0);
    ASSERT_EQ(logger("mail.info", "exim4", kEximReject), 0);
    ASSERT_TRUE(
        WaitUntil([&] { return testing::SummaryValue(daemon.LiveCounters(), "ignored") == 1; },
                  std::chrono::seconds(30)))
        << daemon.Output();
    ASSERT_TRUE(WaitUntil([&] { return pg().Query("SELECT count(*) FROM sluice.events") == "3"; },
                          std::chrono::seconds(30)));
    auto row = [](const std::string& ip) {
      return pg().Query(
          "SELECT concat_ws(' | ', program, pid, host, mta, stage, reason_class) FROM "
          "sluice.events WHERE client_ip = '" +
          ip + "'");
    };
    const std::string host = ShortHostName();
    EXPECT_EQ(row("192.0.2.44"),
              "postfix-out/submission/smtpd | 4242 | " + host + " | postfix | rcpt | relay_denied");
    EXPECT_EQ(row("192.0.2.45"), "sm-mta | 4242 | " + host + " | sendmail | rcpt | relay_denied");
    EXPECT_EQ(row("192.0.2.46"), "exim4 | 4242 | " + host + " | exim | rcpt | relay_denied");
    auto stopped = daemon.Stop();
    EXPECT_EQ(testing::SummaryValue(stopped.output, "received"), 4)
        << "the user.info line stays out";
  }
};

TEST_F(SyslogDaemonsTest, RsyslogWithTheShippedFileForwardsTheMailFacility) {
  if (!std::filesystem::exists("/usr/sbin/rsyslogd")) {
    GTEST_SKIP() << "rsyslog is not installed (tools/install-deps does not replace another "
                    "system log daemon with it)";
  }
  auto checked = RunProcess(
      {"rsyslogd", "-N1", "-f", std::string(SLUICE_SOURCE_DIR) + "/conf/rsyslog/sluice.conf"});
  EXPECT_EQ(checked.exit_code, 0) << checked.output;

  DaemonHarness daemon(pg());
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  const std::string dir = daemon.dir().File("rsyslog");
  std::filesystem::create_directories(dir);
  CopyWithSocket("conf/rsyslog/sluice.conf", daemon.socket_path(), dir + "/sluice.conf");
  std::ofstream(dir + "/rsyslog.conf")
      << "global(workDirectory=\"" << dir << "\")\n"
      << "module(load=\"imuxsock\" SysSock.Use=\"off\")\n"
      << "input(type=\"imuxsock\" Socket=\"" << dir << "/devlog\")\n"
      << "$IncludeConfig " << dir << "/sluice.conf\n";
  RunAndCheck(daemon, {"rsyslogd", "-n", "-f", dir + "/rsyslog.conf", "-i", dir + "/pid"}, dir);
}

TEST_F(SyslogDaemonsTest, SyslogNgWithTheShippedFileForwardsTheMailFacility) {
  // Debian's package when installed, else its files extracted by tools/install-deps.
  const char* env_root = std::getenv("SLUICE_SYSLOG_NG_ROOT");
  std::string root = std::filesystem::exists("/usr/sbin/syslog-ng")
                         ? ""
                         : (env_root != nullptr ? env_root : "/opt/sluice-test/syslog-ng");
  if (!std::filesystem::exists(root + "/usr/sbin/syslog-ng")) {
    GTEST_SKIP() << "syslog-ng is neither installed nor extracted (tools/install-deps)";
  }
  if (!root.empty()) ::setenv("LD_LIBRARY_PATH", (root + "/usr/lib/syslog-ng").c_str(), 1);
  auto syslog_ng = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {root + "/usr/sbin/syslog-ng",
                               "--module-path=" + root + "/usr/lib/syslog-ng/3.38"});
    return args;
  };

  DaemonHarness daemon(pg());
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  const std::string dir = daemon.dir().File("syslog-ng");
  std::filesystem::create_directories(dir);
  CopyWithSocket("conf/syslog-ng/sluice.conf", daemon.socket_path(), dir + "/sluice.conf");
  // As Debian's syslog-ng.conf: its local source is s_src, and it includes conf.d/.
  std::ofstream(dir + "/syslog-ng.conf")
      << "@version: 3.38\n"
      << "options { stats_freq(0); };\n"
      << "source s_src { unix-dgram(\"" << dir << "/devlog\"); };\n"
      << "@include \"" << dir << "/sluice.conf\"\n";
  auto syntax = RunProcess(syslog_ng({"--syntax-only", "-f", dir + "/syslog-ng.conf"}));
  EXPECT_EQ(syntax.exit_code, 0) << syntax.output;
  RunAndCheck(daemon,
              syslog_ng({"-F", "--no-caps", "-f", dir + "/syslog-ng.conf", "-p", dir + "/pid", "-c",
                         dir + "/ctl", "-R", dir + "/persist"}),
              dir);
}

}  // namespace
}  // namespace sluice
