#include "parse/postfix_reject.h"

#include <string>

#include <gtest/gtest.h>

#include "parse/exim_reject.h"
#include "parse/sendmail_reject.h"
#include "parse/smtp_reply.h"

namespace sluice::parse {
namespace {

// The field-by-field cases are in test/parse/corpus/ (reject_corpus_test); these are the
// edges a corpus of real lines does not show.

std::string Text(std::string_view view) { return std::string(view); }

TEST(PostfixRejectTest, CutOrOtherPostfixLinesAreNotRejects) {
  for (std::string message :
       {"connect from unknown[198.18.0.1]", "disconnect from unknown[198.18.0.1] ehlo=1 quit=1",
        "NOQUEUE: reject_warning: RCPT from unknown[198.18.0.1]: 554 5.7.1 x; from=<a@b> "
        "to=<c@d> proto=ESMTP helo=<e>",
        "NOQUEUE: discard: RCPT from unknown[198.18.0.1]: <c@d>: Recipient address triggers "
        "DISCARD action; from=<a@b> to=<c@d> proto=ESMTP helo=<e>",
        "reject: RCPT from no client here", "NOQUEUE: reject:", "reject: RCPT from x[]: 554",
        "warning: unknown[192.0.2.1]: SASL LOGIN", "warning: SASL LOGIN authentication failed",
        ""}) {
    SCOPED_TRACE(message);
    format::EventRow row;
    ASSERT_TRUE(ParsePostfixReject("postfix/smtpd", message, row));
    EXPECT_EQ(Text(row.mta), "postfix");
    EXPECT_EQ(row.is_reject, std::optional<bool>(false));
    EXPECT_TRUE(row.client_ip.empty());
  }
}

TEST(PostfixRejectTest, PostscreenVerdictWithoutAClientIsNotAReject) {
  for (std::string message : {"PREGREET 14 after 0.08 from nowhere", "DNSBL rank 6 for [",
                              "HANGUP after 1 from []:25 in tests"}) {
    SCOPED_TRACE(message);
    format::EventRow row;
    ASSERT_TRUE(ParsePostfixReject("postfix/postscreen", message, row));
    EXPECT_EQ(row.is_reject, std::optional<bool>(false));
  }
}

TEST(PostfixRejectTest, EachParserLeavesOtherProgramsAlone) {
  format::EventRow row;
  EXPECT_FALSE(ParsePostfixReject("exim", "H=(x) [192.0.2.1] rejected RCPT <a@b>: no", row));
  EXPECT_FALSE(ParseEximReject("postfix/smtpd", "H=(x) [192.0.2.1] rejected RCPT <a@b>: no", row));
  EXPECT_FALSE(ParseSendmailReject("smtpd", "ruleset=check_rcpt, arg1=<a>, reject=550 x", row));
  EXPECT_TRUE(row.mta.empty());
  EXPECT_FALSE(row.is_reject.has_value());
}

TEST(SmtpReplyTest, SplitsCodeAndDsnWhenPresent) {
  SmtpReply full = SplitSmtpReply("554 5.7.1 Relay access denied");
  EXPECT_EQ(full.code, std::optional<int16_t>(554));
  EXPECT_EQ(full.dsn, "5.7.1");
  EXPECT_EQ(full.text, "Relay access denied");
  SmtpReply bare = SplitSmtpReply("5.7.1 Blocked");
  EXPECT_FALSE(bare.code);
  EXPECT_EQ(bare.dsn, "5.7.1");
  SmtpReply none = SplitSmtpReply("5.7 is not a status code");
  EXPECT_TRUE(none.dsn.empty());
  EXPECT_EQ(none.text, "5.7 is not a status code");
}

TEST(SmtpReplyTest, NamesAZoneOnlyWhenOneIsWrittenOut) {
  EXPECT_EQ(NamedRblZone("Client host [1.2.3.4] blocked using zen.spamhaus.org; see"),
            "zen.spamhaus.org");
  EXPECT_EQ(NamedRblZone("1.2.3.4 is listed at bl.example.net."), "bl.example.net");
  EXPECT_EQ(NamedRblZone("Rejected: IP in Barracuda Reputation Block List"), "");
  EXPECT_EQ(NamedRblZone("blocked using "), "");
  EXPECT_EQ(NamedRblZone("listed at localhost"), "");
}

}  // namespace
}  // namespace sluice::parse
