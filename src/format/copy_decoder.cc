#include "format/copy_decoder.h"

#include <arpa/inet.h>

#include <array>
#include <cinttypes>
#include <cstdio>
#include <ctime>

#include "format/copy_encoder.h"
#include "format/copy_fields.h"

namespace sluice::format {
namespace {

constexpr size_t kHeaderSize = 19;
constexpr size_t kColumnCount = 21;
constexpr size_t kColumnCountV2 = 20;  // batch format 2: no reason_class

// The column names, split out of kEventColumns.
const std::vector<std::string_view>& ColumnNames() {
  static const auto* names = [] {
    auto* list = new std::vector<std::string_view>;
    std::string_view rest = kEventColumns;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      list->push_back(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? "" : rest.substr(comma + 2);
    }
    return list;
  }();
  return *names;
}

enum class Kind { kTimestamp, kText, kInt32, kInt16, kInt64, kBool, kInet };

constexpr std::array<Kind, kColumnCount> kKinds = {
    Kind::kTimestamp, Kind::kTimestamp, Kind::kText, Kind::kText, Kind::kInt32, Kind::kText,
    Kind::kText,      Kind::kBool,      Kind::kInet, Kind::kText, Kind::kText,  Kind::kText,
    Kind::kText,      Kind::kInt16,     Kind::kText, Kind::kText, Kind::kText,  Kind::kText,
    Kind::kBool,      Kind::kInt64,     Kind::kText};

// Reads a big-endian integer of `width` bytes at `at`, advancing it; false past the end.
bool ReadBigEndian(std::string_view bytes, size_t& at, size_t width, uint64_t& value) {
  if (at > bytes.size() || bytes.size() - at < width) return false;
  value = 0;
  for (size_t i = 0; i < width; ++i) value = value << 8 | static_cast<uint8_t>(bytes[at + i]);
  at += width;
  return true;
}

tl::unexpected<Error> Corrupt(const std::string& what) {
  return Fail(ErrorCode::kCorruption, "COPY stream: " + what);
}

// Microseconds from the PostgreSQL epoch to 0001-01-01 and to 10000-01-01: what a timestamp
// sluice writes can hold (PostgreSQL's own range is wider, but no log line is dated outside).
constexpr int64_t kMinPgMicros = -63'082'281'600'000'000;
constexpr int64_t kMaxPgMicros = 252'455'616'000'000'000;

Result<std::string> Timestamp(int64_t pg_us) {
  if (pg_us < kMinPgMicros || pg_us >= kMaxPgMicros) return Corrupt("timestamp out of range");
  int64_t unix_us = pg_us + copy::kPostgresEpochOffsetUs;
  time_t seconds = unix_us / 1'000'000;
  int64_t micros = unix_us % 1'000'000;
  if (micros < 0) micros += 1'000'000, --seconds;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  std::array<char, 48> out{};
  size_t n = std::strftime(out.data(), out.size(), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(out.data() + n, out.size() - n, ".%06" PRId64 "Z", micros);
  return std::string(out.data());
}

// PostgreSQL's inet binary form: family (2 = IPv4, 3 = IPv6), prefix bits, is_cidr, address
// length (4 or 16), the address.
Result<std::string> Inet(std::string_view value) {
  const bool v4 = value.size() == 8 && value[0] == 2 && value[3] == 4;
  const bool v6 = value.size() == 20 && value[0] == 3 && value[3] == 16;
  if (!v4 && !v6) return Corrupt("bad inet value");
  int family = v4 ? AF_INET : AF_INET6;
  std::array<char, 64> out{};
  if (inet_ntop(family, value.data() + 4, out.data(), out.size()) == nullptr) {
    return Corrupt("bad inet address");
  }
  return std::string(out.data());
}

}  // namespace

Result<std::vector<std::string_view>> CopyDecoder::SplitTuples(std::string_view copy_data) {
  std::string header;
  CopyEncoder::AppendHeader(header);
  if (copy_data.substr(0, kHeaderSize) != header) return Corrupt("bad header");
  std::vector<std::string_view> tuples;
  size_t at = kHeaderSize;
  while (true) {
    size_t start = at;
    uint64_t fields = 0;
    if (!ReadBigEndian(copy_data, at, 2, fields)) return Corrupt("no trailer");
    if (fields == 0xFFFF) break;
    if (fields != kColumnCount && fields != kColumnCountV2) return Corrupt("bad field count");
    for (uint64_t i = 0; i < fields; ++i) {
      uint64_t length = 0;
      if (!ReadBigEndian(copy_data, at, 4, length)) return Corrupt("cut short");
      if (length == 0xFFFFFFFF) continue;
      if (length > copy_data.size() - at) return Corrupt("field too long");
      at += length;
    }
    tuples.push_back(copy_data.substr(start, at - start));
  }
  if (at != copy_data.size()) return Corrupt("bytes after the trailer");
  return tuples;
}

std::string CopyDecoder::Assemble(const std::vector<std::string_view>& tuples) {
  std::string out;
  CopyEncoder::AppendHeader(out);
  for (std::string_view tuple : tuples) out.append(tuple);
  CopyEncoder::AppendTrailer(out);
  return out;
}

Result<std::vector<DecodedField>> CopyDecoder::DecodeTuple(std::string_view tuple) {
  std::vector<DecodedField> fields;
  size_t at = 0;
  uint64_t count = 0;
  if (!ReadBigEndian(tuple, at, 2, count)) return Corrupt("cut short");
  if (count != kColumnCount && count != kColumnCountV2) return Corrupt("bad field count");
  for (size_t i = 0; i < count; ++i) {
    DecodedField field;
    field.name = ColumnNames()[i];
    uint64_t length = 0;
    if (!ReadBigEndian(tuple, at, 4, length)) return Corrupt("cut short");
    if (length != 0xFFFFFFFF) {
      if (length > tuple.size() - at) return Corrupt("field too long");
      std::string_view value = tuple.substr(at, length);
      at += length;
      size_t pos = 0;
      uint64_t number = 0;
      field.null = false;
      field.quoted = false;
      switch (kKinds[i]) {
        case Kind::kTimestamp:
          if (!ReadBigEndian(value, pos, 8, number)) return Corrupt("timestamp");
          if (auto text = Timestamp(static_cast<int64_t>(number))) {
            field.text = std::move(*text);
          } else {
            return tl::unexpected(text.error());
          }
          field.quoted = true;
          break;
        case Kind::kInt16:
          if (!ReadBigEndian(value, pos, 2, number)) return Corrupt("int2");
          field.text = std::to_string(static_cast<int16_t>(number));
          break;
        case Kind::kInt32:
          if (!ReadBigEndian(value, pos, 4, number)) return Corrupt("int4");
          field.text = std::to_string(static_cast<int32_t>(number));
          break;
        case Kind::kInt64:
          if (!ReadBigEndian(value, pos, 8, number)) return Corrupt("int8");
          field.text = std::to_string(static_cast<int64_t>(number));
          break;
        case Kind::kBool:
          if (value.size() != 1) return Corrupt("bool");
          field.text = value[0] != 0 ? "true" : "false";
          break;
        case Kind::kInet: {
          auto text = Inet(value);
          if (!text) return tl::unexpected(text.error());
          field.text = *text;
          field.quoted = true;
          break;
        }
        case Kind::kText:
          field.text = value;
          field.quoted = true;
          break;
      }
    }
    fields.push_back(std::move(field));
  }
  if (at != tuple.size()) return Corrupt("bytes after the last field");
  return fields;
}

std::string_view FieldText(const std::vector<DecodedField>& fields, std::string_view name) {
  for (const DecodedField& field : fields) {
    if (field.name == name) return field.text;
  }
  return "";
}

}  // namespace sluice::format
