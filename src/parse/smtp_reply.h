#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace sluice::parse {

// Removes `prefix` from the front of `text`; false (text unchanged) if it is not there.
inline bool ConsumePrefix(std::string_view& text, std::string_view prefix) {
  if (!text.starts_with(prefix)) return false;
  text.remove_prefix(prefix.size());
  return true;
}

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// An SMTP reply as MTAs log it, "554 5.7.1 text", as views into the logged line.
struct SmtpReply {
  std::optional<int16_t> code;  // the 3-digit reply code; some lines carry none
  std::string_view dsn;         // the enhanced status code, "5.7.1" (also "5.12.345")
  std::string_view text;        // what follows them
};

// Splits the leading reply code and enhanced status code off `reply`; each may be missing
// (a Postfix milter reject logs "5.7.1 text", an Exim ACL reject only text). Pure function.
SmtpReply SplitSmtpReply(std::string_view reply);

// The DNSBL zone that `text` names literally: "blocked using ZONE" (Postfix), "in a black list
// at ZONE" (Exim), "listed at ZONE" (Sendmail's dnsbl feature, Exim ACL messages). Empty when
// none is named, or when what follows does not look like a domain name ("IP in Barracuda").
// Pure function; the result points into `text`.
std::string_view NamedRblZone(std::string_view text);

}  // namespace sluice::parse
