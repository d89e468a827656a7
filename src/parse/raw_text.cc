#include "parse/raw_text.h"

#include <cstdint>
#include <cstring>

namespace sluice::parse {
namespace {

// Length of the valid UTF-8 sequence starting at `i`, or 0 when it is invalid there.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  uint8_t b = byte(i);
  if (b < 0x80) return 1;
  size_t len;
  uint32_t min;
  if (b >= 0xC2 && b <= 0xDF) {
    len = 2, min = 0x80;
  } else if (b >= 0xE0 && b <= 0xEF) {
    len = 3, min = 0x800;
  } else if (b >= 0xF0 && b <= 0xF4) {
    len = 4, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  uint32_t cp = b & (0xFFu >> (len + 1));
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

}  // namespace

bool IsStorableText(std::string_view bytes) {
  constexpr uint64_t kLow = 0x0101010101010101, kHigh = 0x8080808080808080;
  for (size_t i = 0; i < bytes.size();) {
    if (i + 8 <= bytes.size()) {  // eight ASCII bytes, none of them NUL, at a time
      uint64_t word;
      std::memcpy(&word, bytes.data() + i, sizeof word);
      if ((word & kHigh) == 0 && ((word - kLow) & ~word & kHigh) == 0) {
        i += 8;
        continue;
      }
    }
    if (bytes[i] == '\0') return false;
    size_t len = Utf8SequenceLength(bytes, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

std::string EscapeRaw(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 8);
  for (size_t i = 0; i < bytes.size();) {
    auto b = static_cast<uint8_t>(bytes[i]);
    size_t len = Utf8SequenceLength(bytes, i);
    if (b == '\\') {
      out += "\\\\";
    } else if (len == 0 || (b < 0x20 && b != '\t') || b == 0x7F) {
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
      len = 1;
    } else {
      out.append(bytes.substr(i, len));
    }
    i += len;
  }
  return out;
}

}  // namespace sluice::parse
