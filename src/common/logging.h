#pragma once

#include <string_view>

namespace sluice {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Sets the lowest level written to stderr. Call once at start-up, before threads start.
void SetLogLevel(LogLevel level);

// Writes one line "<UTC time> sluice <level>: <message>" to stderr with a single write(2), so lines
// from different threads never interleave. Thread-safe. Never called on the receive path.
void Log(LogLevel level, std::string_view message);

inline void LogInfo(std::string_view m) { Log(LogLevel::kInfo, m); }
inline void LogWarn(std::string_view m) { Log(LogLevel::kWarn, m); }
inline void LogError(std::string_view m) { Log(LogLevel::kError, m); }

}  // namespace sluice
