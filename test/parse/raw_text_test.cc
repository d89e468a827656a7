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

TEST(RawTextTest, ABadByteIsFoundAtEveryOffsetOfALongAsciiLine) {
  // The check takes eight ASCII bytes at a time: a NUL or a stray byte must be seen anywhere.
  const std::string line(40, 'a');
  for (size_t at = 0; at < line.size(); ++at) {
    for (char bad : {'\0', '\xff', '\x80'}) {
      std::string text = line;
      text[at] = bad;
      EXPECT_FALSE(IsStorableText(text)) << at << " " << int(bad);
    }
    if (at + 2 > line.size()) continue;
    std::string two_bytes = line;
    two_bytes.replace(at, 2, "\xc3\xa9");  // é is fine
    EXPECT_TRUE(IsStorableText(two_bytes)) << at;
  }
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
