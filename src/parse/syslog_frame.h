#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace sluice::parse {

// The syslog header of one line, as views into the line.
struct SyslogFrame {
  std::optional<int> priority;          // <PRI>, when present
  std::optional<int64_t> logged_at_us;  // the header's timestamp, µs since the Unix epoch
  std::string_view host;                // empty when the line names none (glibc syslog(3))
  std::string_view program;             // the tag without [pid], e.g. "postfix/smtpd"
  std::optional<int32_t> pid;
  std::string_view message;  // what follows "tag[pid]: " (the whole line if unframed)
};

// The time stamps a row can hold: from 0001-01-01 up to 10000-01-01 (UTC), µs since the
// epoch, as sluice's COPY encoding of a timestamp does (format/copy_decoder.cc).
inline constexpr int64_t kFirstStorableMicros = -62'135'596'800'000'000;
inline constexpr int64_t kEndOfStorableMicros = 253'402'300'800'000'000;

// Converts RFC 3164 timestamps, which carry no year and no zone: they are read as local time
// of the daemon's zone, in the year that puts them no more than a day in the future.
// Not thread-safe: each pipeline thread owns one.
class TimestampResolver {
 public:
  // `now_us`: the current wall time; refreshes the cached year and UTC offset.
  void SetNow(int64_t now_us);
  // µs since the epoch for a month (1-12), day, hh:mm:ss in local time.
  int64_t LocalToEpochMicros(int month, int day, int hour, int minute, int second) const;
  // Seconds east of UTC of the daemon's zone at the last SetNow().
  int64_t utc_offset_seconds() const { return utc_offset_s_; }

 private:
  int64_t now_us_ = 0;
  int year_ = 1970;
  int64_t utc_offset_s_ = 0;
};

// Parses the header of an RFC 3164 line (`<PRI>Mmm dd hh:mm:ss [host] tag[pid]: msg`, with or
// without PRI, host or timestamp; also RFC 3339 and "YYYY-MM-DD hh:mm:ss" stamps) or an
// RFC 5424 line (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`). Returns nullopt when the
// line has no recognisable header; the caller then keeps it as an unframed line.
// Thread-safe if `resolver` is not shared.
std::optional<SyslogFrame> ParseSyslogFrame(std::string_view line,
                                            const TimestampResolver& resolver);

// "YYYY-MM-DD hh:mm:ss", exactly, as the daemon's local time (the stamp of syslog-ng's and
// Exim's files): µs since the epoch, or nullopt. Thread-safe if `resolver` is not shared.
std::optional<int64_t> ParseLocalDateTime(std::string_view text, const TimestampResolver& resolver);

}  // namespace sluice::parse
