#include "parse/exim_log_line.h"

#include <algorithm>
#include <charconv>

namespace sluice::parse {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Whether `token` is a syslog tag: "name:" or "name[pid]:".
bool IsTag(std::string_view token) {
  if (token.size() < 2 || token.back() != ':') return false;
  size_t open = token.find('[');
  return open == std::string_view::npos || (open > 0 && token[token.size() - 2] == ']');
}

}  // namespace

std::optional<SyslogFrame> ParseEximLogLine(std::string_view line,
                                            const TimestampResolver& resolver) {
  if (line.size() < 20 || !IsDigit(line[0])) return std::nullopt;
  std::optional<int64_t> stamp = ParseLocalDateTime(line.substr(0, 19), resolver);
  if (!stamp) return std::nullopt;
  int64_t logged_at_us = *stamp;
  size_t pos = 19;
  if (line[pos] == '.') {  // +millisec: ".123"
    int64_t scale = 100000, frac_us = 0;
    for (++pos; pos < line.size() && IsDigit(line[pos]); ++pos, scale /= 10) {
      frac_us += (line[pos] - '0') * scale;
    }
    logged_at_us += frac_us;
  }
  if (pos >= line.size() || line[pos] != ' ') return std::nullopt;
  ++pos;
  if (pos + 5 <= line.size() && (line[pos] == '+' || line[pos] == '-') && IsDigit(line[pos + 1]) &&
      IsDigit(line[pos + 4]) &&
      (pos + 5 == line.size() || line[pos + 5] == ' ')) {  // log_timezone: "+0100"
    int hh = (line[pos + 1] - '0') * 10 + (line[pos + 2] - '0');
    int mm = (line[pos + 3] - '0') * 10 + (line[pos + 4] - '0');
    int64_t offset_s = (hh * 3600 + mm * 60) * (line[pos] == '-' ? -1 : 1);
    // The stamp was read as the daemon's local time: make it the zone's instead.
    logged_at_us += (resolver.utc_offset_seconds() - offset_s) * 1'000'000;
    pos = std::min(line.size(), pos + 6);
  }
  if (logged_at_us < kFirstStorableMicros || logged_at_us >= kEndOfStorableMicros) {
    return std::nullopt;
  }
  std::string_view rest = line.substr(pos);
  // A syslog file line with this stamp names a host and a tag next: not Exim's own format.
  size_t first_end = rest.find(' ');
  std::string_view first = rest.substr(0, first_end);
  std::string_view second;
  if (first_end != std::string_view::npos) {
    second = rest.substr(first_end + 1);
    second = second.substr(0, second.find(' '));
  }
  if (IsTag(first) || IsTag(second)) return std::nullopt;

  SyslogFrame frame;
  frame.logged_at_us = logged_at_us;
  frame.program = kEximProgram;
  if (rest.starts_with('[')) {  // +pid: "[1234] "
    size_t close = rest.find("] ");
    int32_t pid = 0;
    if (close != std::string_view::npos) {
      auto [end, error] = std::from_chars(rest.data() + 1, rest.data() + close, pid);
      if (error == std::errc() && end == rest.data() + close) {
        frame.pid = pid;
        rest.remove_prefix(close + 2);
      }
    }
  }
  frame.message = rest;
  return frame;
}

bool IsEximLogLine(std::string_view line) {
  static const TimestampResolver kResolver;  // only whether it parses matters here
  return ParseEximLogLine(line, kResolver).has_value();
}

}  // namespace sluice::parse
