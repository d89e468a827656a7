// A real MTA in the loop: Debian's Postfix (test/integration/postfix-sandbox) with its
// chrooted smtpd and postscreen logging through syslog(3) to <chroot>/dev/log, served by
// sluiced; swaks (and a raw socket for postscreen) as clients from addresses in 127.0.0.0/8.
// The rejects must land as parsed rows with the right client, stage and reason.
#include <netinet/in.h>
#include <sys/socket.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "common/unique_fd.h"
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
using testing::SummaryValue;
using testing::WaitUntil;

const std::string kSandbox = std::string(SLUICE_SOURCE_DIR) + "/test/integration/postfix-sandbox";

// A free TCP port on 127.0.0.1 whose successor is free too (postscreen listens there).
int FreePortPair() {
  for (int attempt = 0; attempt < 20; ++attempt) {
    UniqueFd a(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (bind(a.get(), reinterpret_cast<sockaddr*>(&address), length) != 0) continue;
    getsockname(a.get(), reinterpret_cast<sockaddr*>(&address), &length);
    int port = ntohs(address.sin_port);
    UniqueFd b(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    address.sin_port = htons(static_cast<uint16_t>(port + 1));
    if (port < 65535 && bind(b.get(), reinterpret_cast<sockaddr*>(&address), length) == 0) {
      return port;
    }
  }
  return 0;
}

class PostfixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists("/usr/sbin/postfix") ||
        !std::filesystem::exists("/usr/bin/swaks")) {
      GTEST_SKIP() << "Postfix or swaks is not installed: tools/install-deps does not replace "
                      "another mail server with Postfix, so this test is skipped";
    }
    ASSERT_TRUE(pg().started()) << pg().start_output();
    pg().Migrate();
    pg().Query("TRUNCATE sluice.events, sluice.batches");
    std::filesystem::create_directories(dir_.File("postfix/queue/dev"));
  }
  void TearDown() override { RunProcess({kSandbox, "stop", dir_.File("postfix")}); }
  static testing::PgSandbox& pg() { return testing::SharedPgSandbox(); }
  static std::string Row(const std::string& client_ip) {
    return pg().Query(
        "SELECT concat_ws(' | ', program, stage, smtp_code, dsn, reason, sender, recipient, "
        "helo) FROM sluice.events WHERE client_ip = '" +
        client_ip + "'");
  }
  ProcessResult Swaks(const std::string& from_ip, const std::string& to,
                      const std::string& helo = "client.example.net") {
    return RunProcess({"swaks", "--server", "127.0.0.1:" + std::to_string(port_),
                       "--local-interface", from_ip, "--from", "sender@example.net", "--to", to,
                       "--helo", helo, "--quit-after", "RCPT", "--timeout", "20"});
  }

  // sluiced's config: the chroot's dev/log is its socket; smtpd runs as the postfix user.
  std::map<std::string, std::string> ChrootLog() const {
    return {{"ingest.socket", "\"" + dir_.File("postfix/queue/dev/log") + "\""},
            {"ingest.socket_mode", "\"0666\""}};
  }
  void StartPostfix() {
    ProcessResult started =
        RunProcess({kSandbox, "start", dir_.File("postfix"), std::to_string(port_)});
    ASSERT_EQ(started.exit_code, 0) << started.output;
  }

  testing::TempDir dir_;
  int port_ = FreePortPair();
};

TEST_F(PostfixTest, ChrootedSmtpdAndPostscreenRejectsLandParsed) {
  ASSERT_NE(port_, 0);
  DaemonHarness daemon(pg(), ChrootLog());
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  ASSERT_NO_FATAL_FAILURE(StartPostfix());

  EXPECT_NE(Swaks("127.0.0.66", "postmaster@sluice.test").output.find("554 5.7.1"),
            std::string::npos);
  EXPECT_NE(Swaks("127.0.0.67", "postmaster@sluice.test").output.find("554 5.7.1"),
            std::string::npos);
  EXPECT_NE(Swaks("127.0.0.7", "victim+tag@elsewhere.example").output.find("Relay access"),
            std::string::npos);
  EXPECT_NE(Swaks("127.0.0.8", "postmaster@sluice.test", "localhost").output.find("504 5.5.2"),
            std::string::npos);
  EXPECT_NE(Swaks("127.0.0.9", "nobody@sluice.test").output.find("550 5.1.1"), std::string::npos);
  // A client that talks before postscreen's banner: PREGREET, then HANGUP when it leaves.
  ProcessResult pregreet = RunProcess(
      {"python3", "-c",
       "import socket, sys, time\n"
       "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), 10, ('127.0.0.70', 0))\n"
       "s.sendall(b'EHLO pregreet.example\\r\\n'); time.sleep(1.5); s.close()\n",
       std::to_string(port_ + 1)});
  EXPECT_EQ(pregreet.exit_code, 0) << pregreet.output;

  ASSERT_TRUE(
      WaitUntil([&] { return std::stoll(pg().Query("SELECT count(*) FROM sluice.events")) >= 7; },
                std::chrono::seconds(30)))
      << pg().Query("SELECT string_agg(raw, E'\\n') FROM sluice.events");
  EXPECT_EQ(Row("127.0.0.66"),
            "postfix/smtpd | rcpt | 554 | 5.7.1 | Client host rejected: listed in the sluice "
            "test block list | sender@example.net | postmaster@sluice.test | client.example.net");
  EXPECT_EQ(Row("127.0.0.67"),
            "postfix/smtpd | rcpt | 554 | 5.7.1 | Client host rejected: Access denied by sluice "
            "test policy | sender@example.net | postmaster@sluice.test | client.example.net");
  EXPECT_EQ(Row("127.0.0.7"),
            "postfix/smtpd | rcpt | 554 | 5.7.1 | Relay access denied | sender@example.net | "
            "victim+tag@elsewhere.example | client.example.net");
  EXPECT_EQ(Row("127.0.0.8"),
            "postfix/smtpd | rcpt | 504 | 5.5.2 | Helo command rejected: need fully-qualified "
            "hostname | sender@example.net | postmaster@sluice.test | localhost");
  EXPECT_EQ(Row("127.0.0.9"),
            "postfix/smtpd | rcpt | 550 | 5.1.1 | Recipient address rejected: User unknown in "
            "local recipient table | sender@example.net | nobody@sluice.test | client.example.net");
  // postscreen writes how long it waited, which varies with the machine's load: "after 1.4".
  EXPECT_EQ(pg().Query("SELECT string_agg(regexp_replace(reason, '[0-9.]+$', 'N'), ',' "
                       "ORDER BY reason) FROM sluice.events "
                       "WHERE client_ip = '127.0.0.70' AND stage = 'postscreen'"),
            "HANGUP after N,PREGREET 23 after N")
      << pg().Query("SELECT string_agg(raw, E'\\n') FROM sluice.events");

  EXPECT_EQ(pg().Query("SELECT string_agg(host(client_ip) || '=' || reason_class, ',' "
                       "ORDER BY client_ip, reason_class) FROM sluice.events"),
            "127.0.0.7=relay_denied,127.0.0.8=helo,127.0.0.9=unknown_recipient,"
            "127.0.0.66=policy,127.0.0.67=policy,127.0.0.70=pregreet,127.0.0.70=protocol");

  EXPECT_EQ(RunProcess({kSandbox, "stop", dir_.File("postfix")}).exit_code, 0);
  ProcessResult stopped = daemon.Stop();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
  EXPECT_EQ(SummaryValue(stopped.output, "stored"), 7) << stopped.output;
  // connect/disconnect, postscreen's CONNECT and DISCONNECT, master's own lines...
  EXPECT_GE(SummaryValue(stopped.output, "ignored"), 12);
  EXPECT_EQ(SummaryValue(stopped.output, "received"),
            SummaryValue(stopped.output, "stored") + SummaryValue(stopped.output, "ignored"));
}

// The incident's ending, with sluice's own data: the clients that were rejected most in the
// last hour are written by `sluice blocklist` as postscreen's access list, and Postfix drops a
// listed client at connect while a client on the allow list still gets through.
TEST_F(PostfixTest, ABlocklistFromSluiceMakesPostscreenDropAListedClientAtConnect) {
  ASSERT_NE(port_, 0);
  DaemonHarness daemon(pg(), ChrootLog());
  ASSERT_TRUE(daemon.Start()) << daemon.Output();
  ASSERT_NO_FATAL_FAILURE(StartPostfix());
  for (int i = 0; i < 3; ++i) {
    EXPECT_NE(Swaks("127.0.0.80", "nobody@sluice.test").output.find("550 5.1.1"),
              std::string::npos);
    EXPECT_NE(Swaks("127.0.0.81", "nobody@sluice.test").output.find("550 5.1.1"),
              std::string::npos);
  }
  ASSERT_TRUE(
      WaitUntil([&] { return std::stoll(pg().Query("SELECT count(*) FROM sluice.events")) >= 6; },
                std::chrono::seconds(30)));

  const std::string allow = dir_.File("allow.txt");
  std::ofstream(allow) << "127.0.0.81  # a customer's relay\n";
  DaemonHarness reader(pg(), testing::ReaderConfig(pg()));
  const std::string table = dir_.File("postfix/etc/postscreen_access.cidr");
  ProcessResult listed =
      RunProcess({SLUICE_CLI, "blocklist", "--config", reader.config_path(), "--min-events", "3",
                  "--list-loopback", "--never", allow, "--output", table});
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  std::string text = testing::ReadFile(table);
  EXPECT_NE(text.find("\n127.0.0.80/32\treject\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("127.0.0.81"), std::string::npos) << text;
  ASSERT_EQ(RunProcess({"postfix", "-c", dir_.File("postfix/etc"), "reload"}).exit_code, 0);

  // The listed client: postscreen answers 521 and hangs up before any SMTP.
  auto banner = [&](const std::string& from) {
    return RunProcess(
        {"python3", "-c",
         "import socket, sys\n"
         "for attempt in range(20):\n"
         "    s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), 10, (sys.argv[2], 0))\n"
         "    line = s.makefile('rb').readline().decode()\n"
         "    s.close()\n"
         "    if line.startswith('521') or attempt == 19: break\n"
         "    import time; time.sleep(0.5)  # postscreen still the one from before the reload\n"
         "print(line.strip())\n",
         std::to_string(port_ + 1), from});
  };
  ProcessResult dropped = banner("127.0.0.80");
  EXPECT_EQ(dropped.output.substr(0, 3), "521") << dropped.output;
  // The allowed client passes postscreen and reaches smtpd.
  ProcessResult allowed = RunProcess(
      {"swaks", "--server", "127.0.0.1:" + std::to_string(port_ + 1), "--local-interface",
       "127.0.0.81", "--from", "sender@example.net", "--to", "postmaster@sluice.test", "--helo",
       "client.example.net", "--quit-after", "RCPT", "--timeout", "20"});
  EXPECT_NE(allowed.output.find("250 2.1.5"), std::string::npos) << allowed.output;
  EXPECT_EQ(daemon.Stop().exit_code, 0);
}

}  // namespace
}  // namespace sluice
