#include "common/logging.h"

#include <unistd.h>

#include <atomic>
#include <ctime>
#include <string>

namespace sluice {
namespace {

std::atomic<LogLevel> g_min_level{LogLevel::kInfo};

std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "?";
}

}  // namespace

void SetLogLevel(LogLevel level) { g_min_level.store(level, std::memory_order_relaxed); }

void Log(LogLevel level, std::string_view message) {
  if (level < g_min_level.load(std::memory_order_relaxed)) return;
  char stamp[32];
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  size_t n = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::string line;
  line.reserve(message.size() + 48);
  line.append(stamp, n).append(" sluice ").append(LevelName(level)).append(": ");
  line.append(message).push_back('\n');
  // A failed write to stderr has nowhere better to be reported.
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace sluice
