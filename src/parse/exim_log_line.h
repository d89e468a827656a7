#pragma once

#include <optional>
#include <string_view>

#include "parse/syslog_frame.h"

namespace sluice::parse {

// The program of rows from Exim's own log files (static storage: not part of the line).
inline constexpr std::string_view kEximProgram = "exim";

// A line of Exim's own log files (mainlog, rejectlog; what Debian's exim4 writes under
// /var/log/exim4/): "YYYY-MM-DD hh:mm:ss[.fff][ ±hhmm] [[pid] ]message", no syslog header.
// The time is local unless a zone follows it (log_timezone); fractional seconds come with
// +millisec, the [pid] with +pid. Returns the frame of such a line with program "exim", so
// that the Exim parser reads its message as it reads a syslog one; nullopt for any other
// line, including syslog file lines that start with such a stamp ("2024-01-31 12:00:00 mx1
// exim[42]: ..."). Thread-safe if `resolver` is not shared.
std::optional<SyslogFrame> ParseEximLogLine(std::string_view line,
                                            const TimestampResolver& resolver);

// Whether `line` is such a line (the first of an Exim log entry: a rejectlog entry goes on
// with lines that are not, its message's header lines). Thread-safe.
bool IsEximLogLine(std::string_view line);

}  // namespace sluice::parse
