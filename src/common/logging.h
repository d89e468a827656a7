#pragma once

#include <string_view>

namespace sluice {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Sets the lowest level written to stderr. Thread-safe (SIGHUP changes it while running).
void SetLogLevel(LogLevel level);

// Whether stderr is connected to the systemd journal: $JOURNAL_STREAM names the device and
// inode of stderr (a service's stderr the journal reads), as systemd.exec(5) says to check.
bool StderrIsJournal();
// With `journal`, lines are "<N>message", N the syslog priority (3 error, 4 warn, 6 info,
// 7 debug) and no time stamp (the journal keeps its own), so that `journalctl -p warning`
// selects them. Call once at start-up, before threads start.
void SetJournalFormat(bool journal);

// Writes one line "<UTC time> sluice <level>: <message>" to stderr (or its journal form) with a
// single write(2), so lines from different threads never interleave. Thread-safe. On the
// receive path only once per episode (a forward target gone, and back), never per datagram.
void Log(LogLevel level, std::string_view message);

inline void LogInfo(std::string_view m) { Log(LogLevel::kInfo, m); }
inline void LogWarn(std::string_view m) { Log(LogLevel::kWarn, m); }
inline void LogError(std::string_view m) { Log(LogLevel::kError, m); }

}  // namespace sluice
