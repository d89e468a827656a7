#include "parse/exim_log_line.h"

#include <gtest/gtest.h>

#include "format/event_row.h"
#include "parse/mta_line.h"

namespace sluice::parse {
namespace {

// 2024-01-31 12:00:00 UTC, and a resolver whose local zone is UTC+1 (as if sluice ran in
// Berlin), so that local times and zones are told apart.
constexpr int64_t kNoonUtc = 1'706'702'400'000'000;

class EximLogLineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "CET-1", 1);  // no DST rule: always +01:00
    tzset();
    resolver_.SetNow(kNoonUtc);
  }
  void TearDown() override {
    unsetenv("TZ");
    tzset();
  }
  TimestampResolver resolver_;
};

TEST_F(EximLogLineTest, MainlogLinesInTheirThreeShapes) {
  // Local time (13:00 in UTC+1 is noon UTC), no pid.
  auto plain = ParseEximLogLine(
      "2024-01-31 13:00:00 H=(helo.example) [192.0.2.1] F=<a@example.net> rejected RCPT "
      "<b@example.org>: relay not permitted",
      resolver_);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->program, "exim");
  EXPECT_EQ(plain->logged_at_us, kNoonUtc);
  EXPECT_FALSE(plain->pid);
  EXPECT_TRUE(plain->host.empty());
  EXPECT_TRUE(plain->message.starts_with("H=(helo.example) [192.0.2.1]"));

  // +millisec, log_timezone and +pid.
  auto full = ParseEximLogLine(
      "2024-01-31 14:00:00.250 +0200 [4242] 1rAbCd-000123-Ab H=[192.0.2.2] rejected after DATA: "
      "spam",
      resolver_);
  ASSERT_TRUE(full);
  EXPECT_EQ(full->logged_at_us, kNoonUtc + 250'000);
  EXPECT_EQ(full->pid, 4242);
  EXPECT_EQ(full->message, "1rAbCd-000123-Ab H=[192.0.2.2] rejected after DATA: spam");

  auto west = ParseEximLogLine("2024-01-31 07:00:00 -0500 Start queue run: pid=1", resolver_);
  ASSERT_TRUE(west);
  EXPECT_EQ(west->logged_at_us, kNoonUtc);
}

TEST_F(EximLogLineTest, OtherLinesAreNotEximLogLines) {
  // syslog-ng's file template: a host and a tag follow the stamp.
  EXPECT_FALSE(
      ParseEximLogLine("2024-01-31 13:00:00 mx1 exim[42]: H=[192.0.2.3] rejected", resolver_));
  EXPECT_FALSE(ParseEximLogLine("2024-01-31 13:00:00 exim: something", resolver_));
  // A rejectlog entry's header lines, a syslog line, a datagram.
  EXPECT_FALSE(IsEximLogLine("Envelope-from: <a@example.net>"));
  EXPECT_FALSE(IsEximLogLine("P Received: from [192.0.2.2] (helo=x)"));
  EXPECT_FALSE(IsEximLogLine("  Subject: hello"));
  EXPECT_FALSE(IsEximLogLine("Jan 31 13:00:00 mx1 postfix/smtpd[1]: connect"));
  EXPECT_FALSE(IsEximLogLine("<22>2024-01-31 13:00:00 H=x"));
  EXPECT_FALSE(IsEximLogLine("2024-01-31 13:00:0"));
  EXPECT_TRUE(IsEximLogLine("2024-01-31 13:00:00 H=x"));
}

// Found by the row builder fuzzer: a stamp before year 1 encodes a timestamp sluice's COPY
// stream cannot hold. Such a line has no time stamp, and is no Exim line.
TEST_F(EximLogLineTest, StampsBeforeYearOneAreNotStamps) {
  EXPECT_FALSE(IsEximLogLine("0000-11-28 10:07:45 H=x"));
  EXPECT_FALSE(IsEximLogLine("0001-01-01 00:30:00 +0100 H=x"));
  EXPECT_TRUE(IsEximLogLine("0001-01-01 01:30:00 +0100 H=x"));
  auto frame = ParseSyslogFrame("0000-11-28 10:07:45 mx3 eyim[800d]: itted", resolver_);
  EXPECT_TRUE(!frame || !frame->logged_at_us);
}

TEST_F(EximLogLineTest, ItsMessageParsesAsASyslogCopyWould) {
  auto frame = ParseEximLogLine(
      "2024-01-31 13:00:00 [77] 1rAbCd-000123-Ab H=mail.example.com (helo.example) "
      "[198.51.100.7]:4321 F=<bounce@example.com> rejected RCPT <nobody@example.org>: "
      "Unrouteable address",
      resolver_);
  ASSERT_TRUE(frame);
  format::EventRow row;
  ParseMtaLine(frame->program, frame->message, row);
  EXPECT_EQ(row.mta, "exim");
  EXPECT_EQ(row.is_reject, true);
  EXPECT_EQ(row.client_ip, "198.51.100.7");
  EXPECT_EQ(row.sender, "bounce@example.com");
  EXPECT_EQ(row.recipient, "nobody@example.org");
  EXPECT_EQ(row.stage, "rcpt");
}

}  // namespace
}  // namespace sluice::parse
