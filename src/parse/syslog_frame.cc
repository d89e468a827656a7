#include "parse/syslog_frame.h"

#include <time.h>

#include <array>
#include <charconv>

namespace sluice::parse {
namespace {

constexpr int64_t kMicros = 1'000'000;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int64_t CivilToEpochSeconds(int64_t y, int mo, int d, int h, int mi, int s) {
  return DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `n` digits at `pos`.
std::optional<int> Digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!IsDigit(s[i])) return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

std::optional<int> MonthNumber(std::string_view s) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (s == kMonths[i]) return static_cast<int>(i + 1);
  }
  return std::nullopt;
}

struct Stamp {
  int64_t us;
  size_t length;  // characters consumed, not counting the following space
};

// "hh:mm:ss" at `pos`, returned as seconds of the day.
std::optional<int> TimeOfDay(std::string_view s, size_t pos) {
  auto h = Digits(s, pos, 2), m = Digits(s, pos + 3, 2), sec = Digits(s, pos + 6, 2);
  if (!h || !m || !sec || s[pos + 2] != ':' || s[pos + 5] != ':') return std::nullopt;
  if (*h > 23 || *m > 59 || *sec > 60) return std::nullopt;
  return *h * 3600 + *m * 60 + *sec;
}

// "Mmm dd hh:mm:ss", "Mmm  d hh:mm:ss" or "Mmm d hh:mm:ss".
std::optional<Stamp> Rfc3164Stamp(std::string_view s, const TimestampResolver& resolver) {
  if (s.size() < 14 || s[3] != ' ') return std::nullopt;
  auto month = MonthNumber(s.substr(0, 3));
  if (!month) return std::nullopt;
  size_t pos = 4;
  if (s[pos] == ' ') ++pos;
  int day = 0;
  size_t start = pos;
  while (pos < s.size() && IsDigit(s[pos]) && pos - start < 2) day = day * 10 + (s[pos++] - '0');
  if (pos == start || day < 1 || day > 31 || pos >= s.size() || s[pos] != ' ') return std::nullopt;
  auto tod = TimeOfDay(s, pos + 1);
  if (!tod) return std::nullopt;
  int64_t us = resolver.LocalToEpochMicros(*month, day, *tod / 3600, *tod / 60 % 60, *tod % 60);
  return Stamp{us, pos + 9};
}

// "YYYY-MM-DDThh:mm:ss[.frac](Z|±hh:mm)" (RFC 3339) or "YYYY-MM-DD hh:mm:ss" (local time).
std::optional<Stamp> IsoStamp(std::string_view s, const TimestampResolver& resolver) {
  auto y = Digits(s, 0, 4), mo = Digits(s, 5, 2), d = Digits(s, 8, 2);
  if (!y || !mo || !d || s.size() < 19 || s[4] != '-' || s[7] != '-') return std::nullopt;
  if (*mo < 1 || *mo > 12 || *d < 1 || *d > 31) return std::nullopt;
  if (s[10] != 'T' && s[10] != ' ') return std::nullopt;
  auto tod = TimeOfDay(s, 11);
  if (!tod) return std::nullopt;
  size_t pos = 19;
  int64_t frac_us = 0;
  if (pos < s.size() && s[pos] == '.') {
    int64_t scale = 100000;
    for (++pos; pos < s.size() && IsDigit(s[pos]); ++pos, scale /= 10) {
      frac_us += (s[pos] - '0') * scale;
    }
  }
  int64_t local_seconds = CivilToEpochSeconds(*y, *mo, *d, 0, 0, 0) + *tod;
  int64_t offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    auto oh = Digits(s, pos + 1, 2), om = Digits(s, pos + 4, 2);
    if (!oh || !om || s[pos + 3] != ':') return std::nullopt;
    offset = (*oh * 3600 + *om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else if (s[10] == 'T') {
    return std::nullopt;  // RFC 3339 requires a zone
  } else {
    offset = resolver.utc_offset_seconds();  // "YYYY-MM-DD hh:mm:ss": the daemon's local time
  }
  // "0000-..." and a zone that moves 0001-01-01 before it are not stamps a row can hold.
  const int64_t us = (local_seconds - offset) * kMicros + frac_us;
  if (us < kFirstStorableMicros || us >= kEndOfStorableMicros) return std::nullopt;
  return Stamp{us, pos};
}

std::string_view NextToken(std::string_view s, size_t& pos) {
  size_t end = s.find(' ', pos);
  if (end == std::string_view::npos) end = s.size();
  std::string_view token = s.substr(pos, end - pos);
  pos = end < s.size() ? end + 1 : end;
  return token;
}

// Splits "name[pid]:" or "name:" into program and pid; false when `token` is not a tag.
bool ParseTag(std::string_view token, SyslogFrame& frame) {
  if (token.size() < 2 || token.back() != ':') return false;
  token.remove_suffix(1);
  size_t open = token.find('[');
  if (open == std::string_view::npos) {
    if (token.find(']') != std::string_view::npos) return false;
    frame.program = token;
    return true;
  }
  if (open == 0 || token.back() != ']') return false;
  std::string_view digits = token.substr(open + 1, token.size() - open - 2);
  int32_t pid = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || digits.empty()) return false;
  frame.program = token.substr(0, open);
  frame.pid = pid;
  return true;
}

std::string_view Nil(std::string_view field) { return field == "-" ? std::string_view() : field; }

std::optional<SyslogFrame> ParseRfc5424(std::string_view s, SyslogFrame frame,
                                        const TimestampResolver& resolver) {
  size_t pos = 0;
  std::string_view stamp = NextToken(s, pos);
  if (stamp != "-") {
    auto parsed = IsoStamp(stamp, resolver);
    if (!parsed || parsed->length != stamp.size()) return std::nullopt;
    frame.logged_at_us = parsed->us;
  }
  frame.host = Nil(NextToken(s, pos));
  frame.program = Nil(NextToken(s, pos));
  std::string_view procid = Nil(NextToken(s, pos));
  int32_t pid = 0;
  auto [ptr, ec] = std::from_chars(procid.data(), procid.data() + procid.size(), pid);
  if (!procid.empty() && ec == std::errc() && ptr == procid.data() + procid.size()) frame.pid = pid;
  NextToken(s, pos);                      // MSGID
  if (pos < s.size() && s[pos] == '[') {  // structured data: one or more [id k="v" ...]
    bool in_quotes = false;
    while (pos < s.size()) {
      char c = s[pos++];
      if (in_quotes && c == '\\') {
        ++pos;
      } else if (c == '"') {
        in_quotes = !in_quotes;
      } else if (!in_quotes && c == ']' && (pos >= s.size() || s[pos] != '[')) {
        break;
      }
    }
    if (pos < s.size() && s[pos] == ' ') ++pos;
  } else {
    NextToken(s, pos);  // "-"
  }
  std::string_view message = s.substr(std::min(pos, s.size()));
  if (message.starts_with("\xEF\xBB\xBF")) message.remove_prefix(3);
  frame.message = message;
  return frame;
}

}  // namespace

void TimestampResolver::SetNow(int64_t now_us) {
  now_us_ = now_us;
  time_t now_s = now_us / kMicros;
  tm local{};
  localtime_r(&now_s, &local);
  year_ = local.tm_year + 1900;
  utc_offset_s_ = local.tm_gmtoff;
}

int64_t TimestampResolver::LocalToEpochMicros(int month, int day, int hour, int minute,
                                              int second) const {
  int64_t s = CivilToEpochSeconds(year_, month, day, hour, minute, second) - utc_offset_s_;
  if (s * kMicros > now_us_ + 86400 * kMicros) {
    s = CivilToEpochSeconds(year_ - 1, month, day, hour, minute, second) - utc_offset_s_;
  }
  return s * kMicros;
}

std::optional<SyslogFrame> ParseSyslogFrame(std::string_view line,
                                            const TimestampResolver& resolver) {
  SyslogFrame frame;
  std::string_view s = line;
  if (s.starts_with('<')) {
    size_t close = s.find('>');
    int pri = 0;
    auto [ptr, ec] = std::from_chars(s.data() + 1, s.data() + std::min(close, s.size()), pri);
    if (close == std::string_view::npos || close < 2 || close > 4 || ec != std::errc() ||
        ptr != s.data() + close || pri > 191) {
      return std::nullopt;
    }
    frame.priority = pri;
    s.remove_prefix(close + 1);
    if (s.size() > 2 && s[0] == '1' && s[1] == ' ')
      return ParseRfc5424(s.substr(2), frame, resolver);
  }

  std::optional<Stamp> stamp = Rfc3164Stamp(s, resolver);
  if (!stamp) stamp = IsoStamp(s, resolver);
  if (stamp && stamp->length < s.size() && s[stamp->length] != ' ') stamp.reset();  // "…:52x"
  if (stamp) {
    frame.logged_at_us = stamp->us;
    s.remove_prefix(std::min(s.size(), stamp->length + 1));
  }

  size_t pos = 0;
  std::string_view first = NextToken(s, pos);
  if (ParseTag(first, frame)) {
    frame.message = s.substr(pos);
    return frame;
  }
  size_t after_first = pos;
  std::string_view second = NextToken(s, pos);
  if (!first.empty() && ParseTag(second, frame)) {
    frame.host = first;
    frame.message = s.substr(pos);
    return frame;
  }
  if (!frame.priority && !frame.logged_at_us) return std::nullopt;
  if (frame.logged_at_us && !first.empty()) {
    frame.host = first;
    frame.message = s.substr(after_first);
  } else {
    frame.message = s;
  }
  return frame;
}

std::optional<int64_t> ParseLocalDateTime(std::string_view text,
                                          const TimestampResolver& resolver) {
  if (text.size() != 19 || text[10] != ' ') return std::nullopt;
  auto stamp = IsoStamp(text, resolver);
  if (!stamp || stamp->length != 19) return std::nullopt;
  return stamp->us;
}

}  // namespace sluice::parse
