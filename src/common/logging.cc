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

// How each LogLevel is written: its name, and its syslog priority for the journal (as
// sd-daemon(3)'s SD_ERR... prefixes). Indexed by the enum's value.
struct LevelForm {
  std::string_view name;
  char priority;
};
constexpr LevelForm kLevelForms[] = {{"debug", '7'}, {"info", '6'}, {"warn", '4'}, {"error", '3'}};

const LevelForm& FormOf(LogLevel level) { return kLevelForms[static_cast<size_t>(level)]; }

}  // namespace

void SetLogLevel(LogLevel level) { g_min_level.store(level, std::memory_order_relaxed); }

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
    std::string line = {'<', FormOf(level).priority, '>'};
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
  line.append(stamp, n).append(" sluice ").append(FormOf(level).name).append(": ");
  line.append(message).push_back('\n');
  // A failed write to stderr has nowhere better to be reported.
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace sluice
