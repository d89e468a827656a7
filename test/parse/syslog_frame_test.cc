#include "parse/syslog_frame.h"

#include <gtest/gtest.h>

namespace sluice::parse {
namespace {

// 2026-11-28T12:00:00Z; the test runs with TZ=UTC (see main below), so local == UTC.
constexpr int64_t kNow = 1'795'867'200'000'000;
constexpr int64_t kSecond = 1'000'000;

class SyslogFrameTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
    resolver_.SetNow(kNow);
  }
  std::optional<SyslogFrame> Parse(std::string_view line) {
    return ParseSyslogFrame(line, resolver_);
  }
  TimestampResolver resolver_;
};

TEST_F(SyslogFrameTest, GlibcSyslogLineHasNoHostname) {
  auto f = Parse("<22>Nov 28 10:07:37 postfix/smtpd[26021]: NOQUEUE: reject: RCPT from x");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->priority, 22);
  EXPECT_EQ(f->logged_at_us, kNow - (3600 + 52 * 60 + 23) * kSecond);
  EXPECT_EQ(f->host, "");
  EXPECT_EQ(f->program, "postfix/smtpd");
  EXPECT_EQ(f->pid, 26021);
  EXPECT_EQ(f->message, "NOQUEUE: reject: RCPT from x");
}

TEST_F(SyslogFrameTest, SpacePaddedAndSingleSpaceDays) {
  auto padded = Parse("<22>Nov  2 10:00:00 exim[1]: x");
  auto single = Parse("<22>Nov 2 10:00:00 exim[1]: x");
  auto zero = Parse("Nov 02 10:00:00 mx1 exim[1]: x");
  ASSERT_TRUE(padded && single && zero);
  EXPECT_EQ(padded->logged_at_us, single->logged_at_us);
  EXPECT_EQ(padded->logged_at_us, zero->logged_at_us);
  EXPECT_EQ(zero->host, "mx1");
}

TEST_F(SyslogFrameTest, AStampGluedToTheNextWordIsNotAStamp) {
  // Found by the fuzzer: skipping one byte after the stamp split a UTF-8 character.
  auto f = Parse("Nov 28 10:07:52\xDF\x8Fostfix/smtpd[1]: x");
  EXPECT_FALSE(f && f->logged_at_us);
}

TEST_F(SyslogFrameTest, LoggerRfc3164CarriesHostname) {
  auto f = Parse("<13>Nov 28 12:17:59 vm postfix/smtpd[3834]: hello world");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->host, "vm");
  EXPECT_EQ(f->program, "postfix/smtpd");
  EXPECT_EQ(f->pid, 3834);
  EXPECT_EQ(f->message, "hello world");
}

TEST_F(SyslogFrameTest, TagWithoutPid) {
  auto f = Parse("<22>Nov 28 11:00:00 courieresmtpd: error,relay=::ffff:1.2.3.4");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->program, "courieresmtpd");
  EXPECT_FALSE(f->pid);
  EXPECT_EQ(f->message, "error,relay=::ffff:1.2.3.4");
}

TEST_F(SyslogFrameTest, DecemberLineInJanuaryBelongsToLastYear) {
  resolver_.SetNow(1'798'761'600'000'000);  // 2027-01-01T00:00:00Z
  auto f = Parse("<22>Dec 31 23:59:59 postfix/smtpd[1]: x");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->logged_at_us, 1'798'761'599'000'000);
}

TEST_F(SyslogFrameTest, Rfc5424WithStructuredData) {
  auto f = Parse(
      "<13>1 2026-11-28T12:17:59.785829+00:00 vm postfix/smtpd 3835 - [timeQuality "
      "tzKnown=\"1\" isSynced=\"0\"] hello world");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->priority, 13);
  EXPECT_EQ(f->logged_at_us, kNow + (17 * 60 + 59) * kSecond + 785829);
  EXPECT_EQ(f->host, "vm");
  EXPECT_EQ(f->program, "postfix/smtpd");
  EXPECT_EQ(f->pid, 3835);
  EXPECT_EQ(f->message, "hello world");
}

TEST_F(SyslogFrameTest, Rfc5424WithBomNilValuesAndEscapedBracket) {
  auto f = Parse(
      "<22>1 2026-11-28T13:00:00+01:00 - exim - ID47 [a b=\"x\\]y\"][c d=\"e\"] "
      "\xEF\xBB\xBFrejected RCPT");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->logged_at_us, kNow);
  EXPECT_EQ(f->host, "");
  EXPECT_FALSE(f->pid);
  EXPECT_EQ(f->message, "rejected RCPT");
}

TEST_F(SyslogFrameTest, Rfc3339StampInAFileLine) {
  auto f = Parse("2023-03-14T00:00:31.185246+01:00 mx postfix/smtpd[1]: x");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->logged_at_us, 1'678'748'431'185'246);
  EXPECT_EQ(f->host, "mx");
}

TEST_F(SyslogFrameTest, UnframedLineIsNotAFrame) {
  EXPECT_FALSE(Parse("just some text"));
  EXPECT_FALSE(Parse(""));
  EXPECT_FALSE(Parse("<999>Nov 28 10:00:00 x: y"));
}

TEST_F(SyslogFrameTest, PlainTagLineWithoutHeader) {
  auto f = Parse("postfix/smtpd[10419]: NOQUEUE: reject: x");
  ASSERT_TRUE(f);
  EXPECT_FALSE(f->logged_at_us);
  EXPECT_EQ(f->program, "postfix/smtpd");
  EXPECT_EQ(f->pid, 10419);
}

TEST_F(SyslogFrameTest, HeaderWithoutMessageSurvives) {
  auto f = Parse("<22>Nov 28 10:07:37");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->message, "");
  auto g = Parse("<22>");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->priority, 22);
}

}  // namespace
}  // namespace sluice::parse
