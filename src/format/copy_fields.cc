#include "format/copy_fields.h"

#include <arpa/inet.h>

#include <array>
#include <charconv>

namespace sluice::format::copy {
namespace {

constexpr uint8_t kPgsqlAfInet = 2;  // PostgreSQL's own codes, not the OS's AF_*
constexpr uint8_t kPgsqlAfInet6 = 3;

}  // namespace

void PutHeader(std::string& out) {
  static constexpr char kSignature[] = "PGCOPY\n\377\r\n";  // 11 bytes with its NUL
  out.append(kSignature, sizeof kSignature);
  PutBigEndian<int32_t>(out, 0);  // flags: no OIDs
  PutBigEndian<int32_t>(out, 0);  // header extension length
}

void PutTrailer(std::string& out) { PutBigEndian<int16_t>(out, -1); }

void PutTimestamp(std::string& out, std::optional<int64_t> unix_us) {
  if (!unix_us) return PutNull(out);
  PutBigEndian<int32_t>(out, 8);
  PutBigEndian<int64_t>(out, *unix_us - kPostgresEpochOffsetUs);
}

// inet's binary form: family, prefix bits, is_cidr, address length, address bytes.
void PutInet(std::string& out, std::string_view text) {
  std::array<char, 64> buffer{};
  int bits = -1;
  if (size_t slash = text.find('/'); slash != std::string_view::npos) {
    std::string_view digits = text.substr(slash + 1);
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
    if (error != std::errc() || end != digits.data() + digits.size()) return PutNull(out);
    text = text.substr(0, slash);
  }
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
  if (bits < 0) bits = static_cast<int>(length * 8);
  if (bits > static_cast<int>(length * 8)) return PutNull(out);
  PutBigEndian<int32_t>(out, static_cast<int32_t>(4 + length));
  out.push_back(static_cast<char>(family));
  out.push_back(static_cast<char>(bits));
  out.push_back(0);
  out.push_back(static_cast<char>(length));
  out.append(reinterpret_cast<const char*>(addr.data()), length);
}

}  // namespace sluice::format::copy
