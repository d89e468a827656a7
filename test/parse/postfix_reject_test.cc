#include "parse/postfix_reject.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace sluice::parse {
namespace {

// One Postfix line and the fields expected from it; "" means NULL.
struct Case {
  std::string program;
  std::string message;
  std::string stage, client_ip, client_name, helo, sender, recipient;
  int smtp_code;  // 0: none
  std::string dsn, reason, rbl;
};

const std::vector<Case>& Cases() {
  static const auto* cases = new std::vector<Case>{
      {"postfix/smtpd",
       "NOQUEUE: reject: RCPT from unknown[198.18.0.1]: 554 5.7.1 Service unavailable; Client "
       "host [198.18.0.1] blocked using zen.spamhaus.org; "
       "https://www.spamhaus.org/query/ip/198.18.0.1; from=<spam@example.net> "
       "to=<user+tag@example.org> proto=ESMTP helo=<bot.example.net>",
       "rcpt", "198.18.0.1", "", "bot.example.net", "spam@example.net", "user+tag@example.org", 554,
       "5.7.1",
       "Service unavailable; Client host [198.18.0.1] blocked using zen.spamhaus.org; "
       "https://www.spamhaus.org/query/ip/198.18.0.1",
       "zen.spamhaus.org"},
      {"postfix/smtpd",
       "NOQUEUE: reject: RCPT from mail.example.com[2001:db8::25]: 554 5.7.1 "
       "<victim@elsewhere.example>: Relay access denied; from=<> to=<victim@elsewhere.example> "
       "proto=ESMTP helo=<mail.example.com>",
       "rcpt", "2001:db8::25", "mail.example.com", "mail.example.com", "",
       "victim@elsewhere.example", 554, "5.7.1", "Relay access denied", ""},
      {"postfix-in/smtpd",
       "NOQUEUE: reject: RCPT from unknown[192.0.2.7]: 450 4.7.1 Client host rejected: cannot "
       "find your hostname, [192.0.2.7]; from=<a@b.example> to=<c@d.example> proto=ESMTP "
       "helo=<x>",
       "rcpt", "192.0.2.7", "", "x", "a@b.example", "c@d.example", 450, "4.7.1",
       "Client host rejected: cannot find your hostname, [192.0.2.7]", ""},
      {"postfix/smtpd",
       "NOQUEUE: reject: CONNECT from unknown[198.51.100.9]: 554 5.7.1 <unknown[198.51.100.9]>: "
       "Client host rejected: Access denied; proto=SMTP",
       "connect", "198.51.100.9", "", "", "", "", 554, "5.7.1",
       "Client host rejected: Access denied", ""},
      {"postfix/submission/smtpd",
       "NOQUEUE: reject: EHLO from unknown[203.0.113.5]: 504 5.5.2 <localhost>: Helo command "
       "rejected: need fully-qualified hostname; proto=SMTP helo=<localhost>",
       "helo", "203.0.113.5", "", "localhost", "", "", 504, "5.5.2",
       "Helo command rejected: need fully-qualified hostname", ""},
      {"postfix/smtpd",
       "NOQUEUE: reject: MAIL from unknown[198.18.3.4]: 553 5.7.1 <x@spam.example>: Sender "
       "address rejected: not owned by user bob; from=<x@spam.example> proto=ESMTP helo=<y>",
       "mail", "198.18.3.4", "", "y", "x@spam.example", "", 553, "5.7.1",
       "Sender address rejected: not owned by user bob", ""},
      {"postfix/smtpd",
       "4BqKxY2mQwz9sWR: reject: DATA from mx.example.net[192.0.2.44]: 550 5.7.1 Message content "
       "rejected; from=<news@example.net> to=<u@example.org> proto=ESMTP helo=<mx.example.net>",
       "data", "192.0.2.44", "mx.example.net", "mx.example.net", "news@example.net",
       "u@example.org", 550, "5.7.1", "Message content rejected", ""},
      {"postfix/cleanup",
       "4BqKxY2mQwz9sWR: milter-reject: END-OF-MESSAGE from mx.example.net[192.0.2.44]: 5.7.1 "
       "Blocked by SpamAssassin; from=<a@example.net> to=<b@example.org> proto=ESMTP "
       "helo=<mx.example.net>",
       "data", "192.0.2.44", "mx.example.net", "mx.example.net", "a@example.net", "b@example.org",
       0, "5.7.1", "Blocked by SpamAssassin", ""},
      {"postfix/smtpd",
       "reject: RCPT from unknown[192.0.2.8]: 550 5.1.1 <nobody@example.org>: Recipient address "
       "rejected: User unknown in local recipient table; from=<s@example.net> "
       "to=<nobody@example.org> proto=ESMTP helo=<h>",
       "rcpt", "192.0.2.8", "", "h", "s@example.net", "nobody@example.org", 550, "5.1.1",
       "Recipient address rejected: User unknown in local recipient table", ""},
  };
  return *cases;
}

std::string Text(std::string_view view) { return std::string(view); }

TEST(PostfixRejectTest, EveryStageAndClientFormOfTheCorpus) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.message);
    EventRow row;
    ASSERT_TRUE(ParsePostfixReject(c.program, c.message, row));
    EXPECT_EQ(Text(row.mta), "postfix");
    ASSERT_TRUE(row.is_reject.has_value());
    EXPECT_TRUE(*row.is_reject);
    EXPECT_EQ(Text(row.stage), c.stage);
    EXPECT_EQ(Text(row.client_ip), c.client_ip);
    EXPECT_EQ(Text(row.client_name), c.client_name);
    EXPECT_EQ(Text(row.helo), c.helo);
    EXPECT_EQ(Text(row.sender), c.sender);
    EXPECT_EQ(Text(row.recipient), c.recipient);
    EXPECT_EQ(row.smtp_code.value_or(0), c.smtp_code);
    EXPECT_EQ(Text(row.dsn), c.dsn);
    EXPECT_EQ(Text(row.reason), c.reason);
    EXPECT_EQ(Text(row.rbl), c.rbl);
  }
}

TEST(PostfixRejectTest, OtherPostfixLinesAreNotRejects) {
  for (std::string message :
       {"connect from unknown[198.18.0.1]", "disconnect from unknown[198.18.0.1] ehlo=1 quit=1",
        "NOQUEUE: reject_warning: RCPT from unknown[198.18.0.1]: 554 5.7.1 x; from=<a@b> "
        "to=<c@d> proto=ESMTP helo=<e>",
        "NOQUEUE: discard: RCPT from unknown[198.18.0.1]: <c@d>: Recipient address triggers "
        "DISCARD action; from=<a@b> to=<c@d> proto=ESMTP helo=<e>",
        "reject: RCPT from no client here", "NOQUEUE: reject:", ""}) {
    SCOPED_TRACE(message);
    EventRow row;
    ASSERT_TRUE(ParsePostfixReject("postfix/smtpd", message, row));
    EXPECT_EQ(Text(row.mta), "postfix");
    EXPECT_EQ(row.is_reject, std::optional<bool>(false));
    EXPECT_TRUE(row.client_ip.empty());
  }
}

TEST(PostfixRejectTest, PostscreenRejectsHaveStagePostscreen) {
  EventRow row;
  ASSERT_TRUE(ParsePostfixReject(
      "postfix/postscreen",
      "NOQUEUE: reject: RCPT from [198.18.7.7]:40912: 550 5.7.1 Service unavailable; client "
      "[198.18.7.7] blocked using b.barracudacentral.org; from=<a@b.example>, to=<c@d.example>, "
      "proto=ESMTP, helo=<bot>",
      row));
  EXPECT_EQ(Text(row.stage), "postscreen");
  EXPECT_EQ(Text(row.rbl), "b.barracudacentral.org");
  EXPECT_EQ(Text(row.sender), "a@b.example");
}

TEST(PostfixRejectTest, OtherProgramsAreLeftAlone) {
  EventRow row;
  EXPECT_FALSE(ParsePostfixReject("exim", "H=(x) [192.0.2.1] rejected RCPT <a@b>: no", row));
  EXPECT_TRUE(row.mta.empty());
  EXPECT_FALSE(row.is_reject.has_value());
}

}  // namespace
}  // namespace sluice::parse
