#include "common/logging.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

namespace sluice {
namespace {

std::atomic<LogLevel> g_min_level{LogLevel::kInfo};
std::atomic<bool> g_journal{false};

// The syslog priority of `level`, as sd-daemon(3)'s SD_ERR... prefixes.
char Priority(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return '7';
    case LogLevel::kInfo:
      return '6';
    case LogLevel::kWarn:
      return '4';
    case LogLevel::kError:
      return '3';
  }
  return '6';
}

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

LogLevel CurrentLogLevel() { return g_min_level.load(std::memory_order_relaxed); }

bool StderrIsJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  unsigned long long dev = 0, ino = 0;  // NOLINT(google-runtime-int): sscanf's types
  if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) != 0) return false;
  return st.st_dev == dev && st.st_ino == ino;
}

void SetJournalFormat(bool journal) { g_journal.store(journal, std::memory_order_relaxed); }

void Log(LogLevel level, std::string_view message) {
  if (level < g_min_level.load(std::memory_order_relaxed)) return;
  if (g_journal.load(std::memory_order_relaxed)) {
    std::string line = {'<', Priority(level), '>'};
    line.append(message);
    // One journal entry per line: a message's own line breaks (libpq's) would start entries
    // without a priority.
    std::replace(line.begin() + 3, line.end(), '\n', ' ');
    line.push_back('\n');
    (void)!::write(STDERR_FILENO, line.data(), line.size());
    return;
  }
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
