#include "format/copy_decoder.h"

#include <gtest/gtest.h>

#include "format/copy_encoder.h"

namespace sluice::format {
namespace {

std::string TwoRows() {
  EventRow full;
  full.received_at_us = 1'795'878'146'123'456;  // 2026-11-28T15:02:26.123456Z
  full.logged_at_us = 1'795'878'146'000'000;
  full.host = "mx1";
  full.program = "postfix/smtpd";
  full.pid = 4242;
  full.is_reject = true;
  full.client_ip = "2001:db8::7";
  full.smtp_code = 554;
  full.reason_class = "rbl";
  full.raw = "reject: \"quoted\" back\\slash\ttab";
  EventRow bare;
  bare.received_at_us = 1'795'878'146'000'000;
  bare.raw = "plain";
  bare.malformed = true;
  std::string out;
  CopyEncoder::AppendHeader(out);
  CopyEncoder::AppendRow(out, full, 77);
  CopyEncoder::AppendRow(out, bare, 77);
  CopyEncoder::AppendTrailer(out);
  return out;
}

std::string Field(const std::vector<DecodedField>& fields, std::string_view name) {
  for (const auto& f : fields) {
    if (f.name == name) return f.null ? "<null>" : f.text;
  }
  return "<no such column>";
}

TEST(CopyDecoderTest, SplitsTuplesAndAssemblesThemBackByteForByte) {
  std::string data = TwoRows();
  auto tuples = CopyDecoder::SplitTuples(data);
  ASSERT_TRUE(tuples) << tuples.error().message();
  ASSERT_EQ(tuples->size(), 2u);
  EXPECT_EQ(CopyDecoder::Assemble(*tuples), data);
  auto second = CopyDecoder::Assemble({(*tuples)[1]});
  auto again = CopyDecoder::SplitTuples(second);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->size(), 1u);
}

TEST(CopyDecoderTest, DecodesEveryColumnToPostgresTextForms) {
  std::string data = TwoRows();
  auto tuples = CopyDecoder::SplitTuples(data);
  ASSERT_TRUE(tuples);
  auto full = CopyDecoder::DecodeTuple((*tuples)[0]);
  ASSERT_TRUE(full) << full.error().message();
  ASSERT_EQ(full->size(), 21u);
  EXPECT_EQ(Field(*full, "received_at"), "2026-11-28T15:02:26.123456Z");
  EXPECT_EQ(Field(*full, "logged_at"), "2026-11-28T15:02:26.000000Z");
  EXPECT_EQ(Field(*full, "host"), "mx1");
  EXPECT_EQ(Field(*full, "pid"), "4242");
  EXPECT_EQ(Field(*full, "is_reject"), "true");
  EXPECT_EQ(Field(*full, "client_ip"), "2001:db8::7");
  EXPECT_EQ(Field(*full, "smtp_code"), "554");
  EXPECT_EQ(Field(*full, "mta"), "<null>");
  EXPECT_EQ(Field(*full, "malformed"), "false");
  EXPECT_EQ(Field(*full, "batch_id"), "77");
  EXPECT_EQ(Field(*full, "reason_class"), "rbl");
  auto bare = CopyDecoder::DecodeTuple((*tuples)[1]);
  ASSERT_TRUE(bare);
  EXPECT_EQ(Field(*bare, "client_ip"), "<null>");
  EXPECT_EQ(Field(*bare, "malformed"), "true");
}

TEST(CopyDecoderTest, ReadsTuplesOfBatchFormatTwoWithoutReasonClass) {
  std::string data = TwoRows();
  auto tuples = CopyDecoder::SplitTuples(data);
  ASSERT_TRUE(tuples);
  // A format-2 tuple: 20 fields, the same bytes without the last one (reason_class).
  std::string old((*tuples)[0].substr(0, (*tuples)[0].size() - 4 - 3));
  old[0] = 0;
  old[1] = 20;
  std::string stream = CopyDecoder::Assemble({old});
  auto again = CopyDecoder::SplitTuples(stream);
  ASSERT_TRUE(again) << again.error().message();
  auto fields = CopyDecoder::DecodeTuple(again->front());
  ASSERT_TRUE(fields) << fields.error().message();
  EXPECT_EQ(fields->size(), 20u);
  EXPECT_EQ(Field(*fields, "batch_id"), "77");
  EXPECT_EQ(Field(*fields, "reason_class"), "<no such column>");
}

TEST(CopyDecoderTest, DamagedStreamsAreReportedNotRead) {
  std::string data = TwoRows();
  EXPECT_FALSE(CopyDecoder::SplitTuples(data.substr(0, data.size() - 1)));
  EXPECT_FALSE(CopyDecoder::SplitTuples("not a copy stream"));
  std::string wrong_count = data;
  wrong_count[20] = 3;  // the first tuple's field count
  EXPECT_FALSE(CopyDecoder::SplitTuples(wrong_count));
  EXPECT_FALSE(CopyDecoder::DecodeTuple(std::string_view(data).substr(19, 10)));
}

// A crafted spool segment reaches the decoder through `sluice spool cat` and replay: damage
// in a field is reported, never read past.
TEST(CopyDecoderTest, AnInetWhoseFamilyAndLengthDisagreeIsCorruptNotOverRead) {
  EventRow row;
  row.received_at_us = 1'795'878'146'000'000;
  row.client_ip = "192.0.2.1";
  row.raw = "reject";
  std::string data;
  CopyEncoder::AppendHeader(data);
  CopyEncoder::AppendRow(data, row, 1);
  CopyEncoder::AppendTrailer(data);
  const std::string ipv4("\x02\x20\x00\x04\xc0\x00\x02\x01", 8);
  size_t at = data.find(ipv4);
  ASSERT_NE(at, std::string::npos);
  data[at] = 3;  // "IPv6" with 4 bytes of address: 16 would be read
  auto tuples = CopyDecoder::SplitTuples(data);
  ASSERT_TRUE(tuples);
  auto fields = CopyDecoder::DecodeTuple((*tuples)[0]);
  ASSERT_FALSE(fields);
  EXPECT_EQ(fields.error().code(), ErrorCode::kCorruption);
}

TEST(CopyDecoderTest, ATimestampOutOfRangeIsCorruptNotOverflowed) {
  EventRow row;
  row.received_at_us = 1'795'878'146'000'000;
  row.raw = "reject";
  std::string data;
  CopyEncoder::AppendHeader(data);
  CopyEncoder::AppendRow(data, row, 1);
  CopyEncoder::AppendTrailer(data);
  // received_at: after the header (19), the field count (2) and the field's length (4).
  for (size_t i = 0; i < 8; ++i) data[19 + 2 + 4 + i] = i == 0 ? '\x7f' : '\xff';
  auto tuples = CopyDecoder::SplitTuples(data);
  ASSERT_TRUE(tuples);
  auto fields = CopyDecoder::DecodeTuple((*tuples)[0]);
  ASSERT_FALSE(fields);
  EXPECT_EQ(fields.error().code(), ErrorCode::kCorruption);
}

}  // namespace
}  // namespace sluice::format
