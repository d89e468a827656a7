#include "cli/row_json.h"

#include <gtest/gtest.h>

#include "format/copy_encoder.h"

namespace sluice::cli {
namespace {

TEST(RowJsonTest, HasTheNonNullColumnsEscaped) {
  format::EventRow row;
  row.received_at_us = 1'795'878'146'123'456;
  row.host = "mx1";
  row.pid = 4242;
  row.is_reject = true;
  row.raw = "reject: \"quoted\" back\\slash\ttab";
  std::string data;
  format::CopyEncoder::AppendHeader(data);
  format::CopyEncoder::AppendRow(data, row, 77);
  format::CopyEncoder::AppendTrailer(data);
  auto tuples = format::CopyDecoder::SplitTuples(data);
  ASSERT_TRUE(tuples);
  auto fields = format::CopyDecoder::DecodeTuple((*tuples)[0]);
  ASSERT_TRUE(fields);
  std::string json = FieldsToJson(*fields);
  EXPECT_EQ(json.front(), '{');
  EXPECT_EQ(json.back(), '}');
  EXPECT_NE(json.find(R"("pid":4242,)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("is_reject":true,)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("batch_id":77)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("raw":"reject: \"quoted\" back\\slash\u0009tab")"), std::string::npos)
      << json;
  EXPECT_EQ(json.find("\"mta\""), std::string::npos) << json;
}

}  // namespace
}  // namespace sluice::cli
