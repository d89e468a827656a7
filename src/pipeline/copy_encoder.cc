#include "pipeline/copy_encoder.h"

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace sluice::pipeline {
namespace {

// Microseconds between the Unix epoch and PostgreSQL's epoch, 2000-01-01 UTC.
constexpr int64_t kPostgresEpochOffsetUs = 946'684'800'000'000;
constexpr uint8_t kPgsqlAfInet = 2;  // PostgreSQL's own codes, not the OS's AF_*
constexpr uint8_t kPgsqlAfInet6 = 3;
constexpr int16_t kColumnCount = 20;

template <typename T>
void PutBigEndian(std::string& out, T value) {
  auto v = static_cast<std::make_unsigned_t<T>>(value);
  for (int shift = static_cast<int>(sizeof(T)) * 8 - 8; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xFF));
  }
}

void PutNull(std::string& out) { PutBigEndian<int32_t>(out, -1); }

void PutText(std::string& out, std::string_view text) {
  if (text.empty()) return PutNull(out);
  PutBigEndian<int32_t>(out, static_cast<int32_t>(text.size()));
  out.append(text);
}

void PutTimestamp(std::string& out, std::optional<int64_t> unix_us) {
  if (!unix_us) return PutNull(out);
  PutBigEndian<int32_t>(out, 8);
  PutBigEndian<int64_t>(out, *unix_us - kPostgresEpochOffsetUs);
}

template <typename T>
void PutInteger(std::string& out, std::optional<T> value) {
  if (!value) return PutNull(out);
  PutBigEndian<int32_t>(out, sizeof(T));
  PutBigEndian<T>(out, *value);
}

void PutBool(std::string& out, std::optional<bool> value) {
  if (!value) return PutNull(out);
  PutBigEndian<int32_t>(out, 1);
  out.push_back(*value ? 1 : 0);
}

// inet's binary form: family, prefix bits, is_cidr, address length, address bytes.
void PutInet(std::string& out, std::string_view text) {
  std::array<char, 64> buffer{};
  if (text.empty() || text.size() >= buffer.size()) return PutNull(out);
  text.copy(buffer.data(), text.size());
  std::array<unsigned char, 16> addr{};
  size_t length;
  uint8_t family;
  if (inet_pton(AF_INET, buffer.data(), addr.data()) == 1) {
    length = 4, family = kPgsqlAfInet;
  } else if (inet_pton(AF_INET6, buffer.data(), addr.data()) == 1) {
    length = 16, family = kPgsqlAfInet6;
  } else {
    return PutNull(out);
  }
  PutBigEndian<int32_t>(out, static_cast<int32_t>(4 + length));
  out.push_back(static_cast<char>(family));
  out.push_back(static_cast<char>(length * 8));
  out.push_back(0);
  out.push_back(static_cast<char>(length));
  out.append(reinterpret_cast<const char*>(addr.data()), length);
}

}  // namespace

void CopyEncoder::AppendHeader(std::string& out) {
  static constexpr char kSignature[] = "PGCOPY\n\377\r\n";  // 11 bytes with its NUL
  out.append(kSignature, sizeof kSignature);
  PutBigEndian<int32_t>(out, 0);  // flags: no OIDs
  PutBigEndian<int32_t>(out, 0);  // header extension length
}

void CopyEncoder::AppendRow(std::string& out, const parse::EventRow& row, int64_t batch_id) {
  PutBigEndian<int16_t>(out, kColumnCount);
  PutTimestamp(out, row.received_at_us);
  PutTimestamp(out, row.logged_at_us);
  PutText(out, row.host);
  PutText(out, row.program);
  PutInteger(out, row.pid);
  PutText(out, row.mta);
  PutText(out, row.stage);
  PutBool(out, row.is_reject);
  PutInet(out, row.client_ip);
  PutText(out, row.client_name);
  PutText(out, row.helo);
  PutText(out, row.sender);
  PutText(out, row.recipient);
  PutInteger(out, row.smtp_code);
  PutText(out, row.dsn);
  PutText(out, row.reason);
  PutText(out, row.rbl);
  PutBigEndian<int32_t>(out, static_cast<int32_t>(row.raw.size()));  // raw: never NULL
  out.append(row.raw);
  PutBool(out, row.malformed);
  PutInteger<int64_t>(out, batch_id);
}

void CopyEncoder::AppendTrailer(std::string& out) { PutBigEndian<int16_t>(out, -1); }

}  // namespace sluice::pipeline
