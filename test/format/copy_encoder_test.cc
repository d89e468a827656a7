#include "format/copy_encoder.h"

#include <gtest/gtest.h>

#include "format/batch.h"

namespace sluice::format {
namespace {

// Reads big-endian integers and fields back from a COPY stream.
class Reader {
 public:
  explicit Reader(const std::string& data) : data_(data) {}
  int64_t Int(size_t bytes) {
    int64_t v = 0;
    for (size_t i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(data_[pos_++]);
    if (bytes < 8 && (v >> (bytes * 8 - 1)) != 0) v -= int64_t{1} << (bytes * 8);
    return v;
  }
  // A field's bytes, or "<null>".
  std::string Field() {
    int64_t length = Int(4);
    if (length < 0) return "<null>";
    std::string value = data_.substr(pos_, static_cast<size_t>(length));
    pos_ += static_cast<size_t>(length);
    return value;
  }
  size_t pos() const { return pos_; }
  void Skip(size_t n) { pos_ += n; }

 private:
  const std::string& data_;
  size_t pos_ = 0;
};

TEST(CopyEncoderTest, BatchFormatTwoHasEveryColumnButReasonClass) {
  EXPECT_EQ(EventColumnsOf(kBatchFormat), kEventColumns);
  EXPECT_EQ(std::string(EventColumnsOf(kBatchFormatV2)) + ", reason_class", kEventColumns);
}

TEST(CopyEncoderTest, HeaderRowAndTrailerFollowTheBinaryFormat) {
  EventRow row;
  row.received_at_us = 946'684'800'000'001;  // 2000-01-01T00:00:00.000001Z
  row.program = "postfix/smtpd";
  row.pid = 42;
  row.is_reject = true;
  row.client_ip = "192.0.2.7";
  row.smtp_code = 554;
  row.raw = "<22>raw line";
  row.reason_class = "other";
  std::string out;
  CopyEncoder::AppendHeader(out);
  CopyEncoder::AppendRow(out, row, 77);
  CopyEncoder::AppendTrailer(out);

  Reader r(out);
  r.Skip(11);
  EXPECT_EQ(r.Int(4), 0);  // flags
  EXPECT_EQ(r.Int(4), 0);  // extension
  EXPECT_EQ(r.Int(2), 21);
  EXPECT_EQ(r.Int(4), 8);
  EXPECT_EQ(r.Int(8), 1);                 // received_at, µs after 2000-01-01
  EXPECT_EQ(r.Field(), "<null>");         // logged_at
  EXPECT_EQ(r.Field(), "<null>");         // host
  EXPECT_EQ(r.Field(), "postfix/smtpd");  // program
  EXPECT_EQ(r.Int(4), 4);
  EXPECT_EQ(r.Int(4), 42);                                      // pid
  EXPECT_EQ(r.Field(), "<null>");                               // mta
  EXPECT_EQ(r.Field(), "<null>");                               // stage
  EXPECT_EQ(r.Field(), std::string(1, '\1'));                   // is_reject
  EXPECT_EQ(r.Field(), std::string("\2\40\0\4\300\0\2\7", 8));  // inet 192.0.2.7/32
  for (int i = 0; i < 4; ++i) EXPECT_EQ(r.Field(), "<null>");   // client_name..recipient
  EXPECT_EQ(r.Int(4), 2);
  EXPECT_EQ(r.Int(2), 554);                                    // smtp_code
  for (int i = 0; i < 3; ++i) EXPECT_EQ(r.Field(), "<null>");  // dsn, reason, rbl
  EXPECT_EQ(r.Field(), "<22>raw line");
  EXPECT_EQ(r.Field(), std::string(1, '\0'));  // malformed = false
  EXPECT_EQ(r.Int(4), 8);
  EXPECT_EQ(r.Int(8), 77);        // batch_id
  EXPECT_EQ(r.Field(), "other");  // reason_class, last: older formats are a prefix
  EXPECT_EQ(r.Int(2), -1);        // trailer
  EXPECT_EQ(r.pos(), out.size());
}

TEST(CopyEncoderTest, EmptyRawIsAnEmptyStringNotNull) {
  EventRow row;
  std::string out;
  CopyEncoder::AppendRow(out, row, 1);
  Reader r(out);
  r.Skip(2 + 12);  // count, received_at
  for (int i = 0; i < 16; ++i) r.Field();
  EXPECT_EQ(r.Int(4), 0);  // raw: length 0, not -1
}

TEST(CopyEncoderTest, Ipv6AndInvalidAddresses) {
  EventRow row;
  row.client_ip = "2001:db8::1";
  std::string v6;
  CopyEncoder::AppendRow(v6, row, 1);
  EXPECT_NE(v6.find(std::string("\3\200\0\20\x20\x01\x0d\xb8", 8)), std::string::npos);
  row.client_ip = "not-an-ip";
  std::string bad;
  CopyEncoder::AppendRow(bad, row, 1);
  EXPECT_EQ(bad.find("not-an-ip"), std::string::npos);
}

}  // namespace
}  // namespace sluice::format
