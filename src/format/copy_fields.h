#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

// Field writers for PostgreSQL's binary COPY format
// (https://www.postgresql.org/docs/15/sql-copy.html, "Binary Format"), shared by the encoders
// of sluice.events, sluice.aggregates and sluice.shed rows. Stateless and thread-safe.
namespace sluice::format::copy {

// Microseconds between the Unix epoch and PostgreSQL's epoch, 2000-01-01 UTC.
inline constexpr int64_t kPostgresEpochOffsetUs = 946'684'800'000'000;

template <typename T>
void PutBigEndian(std::string& out, T value) {
  auto v = static_cast<std::make_unsigned_t<T>>(value);
  for (int shift = static_cast<int>(sizeof(T)) * 8 - 8; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xFF));
  }
}

// The 19-byte header of a COPY stream, and its end-of-data marker.
void PutHeader(std::string& out);
void PutTrailer(std::string& out);
// A tuple's field count.
inline void PutFieldCount(std::string& out, int16_t count) { PutBigEndian<int16_t>(out, count); }

inline void PutNull(std::string& out) { PutBigEndian<int32_t>(out, -1); }

// Empty text is NULL. The text must be valid UTF-8 without NUL (see parse/raw_text.h).
inline void PutText(std::string& out, std::string_view text) {
  if (text.empty()) return PutNull(out);
  PutBigEndian<int32_t>(out, static_cast<int32_t>(text.size()));
  out.append(text);
}

// timestamptz from microseconds since the Unix epoch.
void PutTimestamp(std::string& out, std::optional<int64_t> unix_us);

template <typename T>
void PutInteger(std::string& out, std::optional<T> value) {
  if (!value) return PutNull(out);
  PutBigEndian<int32_t>(out, sizeof(T));
  PutBigEndian<T>(out, *value);
}

inline void PutBool(std::string& out, std::optional<bool> value) {
  if (!value) return PutNull(out);
  PutBigEndian<int32_t>(out, 1);
  out.push_back(*value ? 1 : 0);
}

// inet from "192.0.2.1", "2001:db8::1" or a network such as "198.18.3.0/24"; anything that
// is not an address is written as NULL.
void PutInet(std::string& out, std::string_view text);

}  // namespace sluice::format::copy
