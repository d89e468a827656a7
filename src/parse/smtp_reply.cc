#include "parse/smtp_reply.h"

#include <array>

namespace sluice::parse {
namespace {

bool IsDomainChar(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '-' ||
         c == '_';
}

}  // namespace

SmtpReply SplitSmtpReply(std::string_view reply) {
  SmtpReply parts;
  if (reply.size() >= 4 && IsDigit(reply[0]) && IsDigit(reply[1]) && IsDigit(reply[2]) &&
      reply[3] == ' ') {
    parts.code =
        static_cast<int16_t>((reply[0] - '0') * 100 + (reply[1] - '0') * 10 + (reply[2] - '0'));
    reply.remove_prefix(4);
  }
  if (reply.size() >= 5 && IsDigit(reply[0]) && reply[1] == '.') {
    size_t end = reply.find(' ');
    std::string_view dsn = reply.substr(0, end);
    if (dsn.find_first_not_of("0123456789.") == std::string_view::npos &&
        dsn.find('.', 2) != std::string_view::npos && !dsn.ends_with('.')) {
      parts.dsn = dsn;
      reply.remove_prefix(end == std::string_view::npos ? reply.size() : end + 1);
    }
  }
  parts.text = reply;
  return parts;
}

std::string_view NamedRblZone(std::string_view text) {
  static constexpr std::array<std::string_view, 3> kWordings = {
      "blocked using ", "in a black list at ", "listed at "};
  for (std::string_view wording : kWordings) {
    size_t at = text.find(wording);
    if (at == std::string_view::npos) continue;
    std::string_view rest = text.substr(at + wording.size());
    size_t end = 0;
    while (end < rest.size() && IsDomainChar(rest[end])) ++end;
    std::string_view zone = rest.substr(0, end);
    while (zone.ends_with('.')) zone.remove_suffix(1);  // end of a sentence, or a rooted name
    if (zone.find('.') != std::string_view::npos && !zone.starts_with('.')) return zone;
  }
  return {};
}

}  // namespace sluice::parse
