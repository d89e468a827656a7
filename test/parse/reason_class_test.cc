#include "parse/reason_class.h"

#include <algorithm>

#include <gtest/gtest.h>

namespace sluice::parse {
namespace {

format::EventRow Reject(std::string_view stage, std::string_view reason,
                        std::string_view rbl = "") {
  format::EventRow row;
  row.is_reject = true;
  row.stage = stage;
  row.reason = reason;
  row.rbl = rbl;
  return row;
}

// The corpus (test/parse/corpus) holds each class in real MTA wording; these are the rules'
// edges.
TEST(ReasonClassTest, OnlyRejectsHaveAClass) {
  format::EventRow delivery;
  delivery.is_reject = false;
  delivery.reason = "blocked using zen.spamhaus.org";
  EXPECT_EQ(ClassifyReject(delivery), "");
  format::EventRow unknown;  // not an MTA line: is_reject NULL
  EXPECT_EQ(ClassifyReject(unknown), "");
}

TEST(ReasonClassTest, ANamedZoneIsRblWhateverTheWording) {
  EXPECT_EQ(ClassifyReject(Reject("rcpt", "Access denied", "bl.example.net")), "rbl");
}

TEST(ReasonClassTest, SpecificRulesComeBeforeBroadOnes) {
  // "Client host rejected" alone would be policy; the DNSBL wording decides.
  EXPECT_EQ(ClassifyReject(Reject("rcpt", "Client host rejected: blocked using x")), "rbl");
  // "User unknown" inside a "Recipient address rejected" reply.
  EXPECT_EQ(ClassifyReject(Reject("rcpt", "Recipient address rejected: User unknown")),
            "unknown_recipient");
  EXPECT_EQ(ClassifyReject(Reject("rcpt", "Recipient address rejected: Greylisted, see x")),
            "greylist");
}

TEST(ReasonClassTest, AnAuthStageWithoutKnownWordsIsAuthAndTheRestIsOther) {
  EXPECT_EQ(ClassifyReject(Reject("auth", "no mechanism available")), "auth");
  EXPECT_EQ(ClassifyReject(Reject("rcpt", "")), "other");
  EXPECT_EQ(ClassifyReject(Reject("rcpt", "something nobody wrote a rule for")), "other");
}

TEST(ReasonClassTest, EveryClassIsOneOfTheDocumentedSet) {
  for (std::string_view reason :
       {"DNSBL rank 3", "PREGREET 1 after 0", "BARE NEWLINE", "COMMAND COUNT LIMIT",
        "SASL PLAIN authentication failed", "Greylisted", "Relay access denied", "User unknown",
        "Sender address rejected", "Helo command rejected", "cannot find your reverse hostname",
        "message too big", "Access denied", "x"}) {
    std::string_view klass = ClassifyReject(Reject("rcpt", reason));
    EXPECT_NE(std::find(std::begin(kReasonClasses), std::end(kReasonClasses), klass),
              std::end(kReasonClasses))
        << reason << " -> " << klass;
  }
}

}  // namespace
}  // namespace sluice::parse
