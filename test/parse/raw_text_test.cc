#include "parse/raw_text.h"

#include <gtest/gtest.h>

namespace sluice::parse {
namespace {

using namespace std::string_literals;

TEST(RawTextTest, Utf8WithoutNulIsStorable) {
  EXPECT_TRUE(IsStorableText("plain ascii"));
  EXPECT_TRUE(IsStorableText("Grüße, 日本, 😀"));
  EXPECT_TRUE(IsStorableText(""));
}

TEST(RawTextTest, NulAndInvalidUtf8AreNotStorable) {
  EXPECT_FALSE(IsStorableText("a\0b"s));
  EXPECT_FALSE(IsStorableText("\xff\xfe"));
  EXPECT_FALSE(IsStorableText("\xc3"));          // truncated sequence
  EXPECT_FALSE(IsStorableText("\xc0\xaf"));      // overlong
  EXPECT_FALSE(IsStorableText("\xed\xa0\x80"));  // surrogate
}

TEST(RawTextTest, EscapeIsReversibleAndStorable) {
  std::string bytes = "a\\b\0c\xff\x01\tü\x7f"s;
  std::string escaped = EscapeRaw(bytes);
  EXPECT_EQ(escaped, "a\\\\b\\x00c\\xff\\x01\tü\\x7f");
  EXPECT_TRUE(IsStorableText(escaped));
}

TEST(RawTextTest, EveryByteValueEscapesToStorableText) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  EXPECT_TRUE(IsStorableText(EscapeRaw(all)));
}

}  // namespace
}  // namespace sluice::parse
