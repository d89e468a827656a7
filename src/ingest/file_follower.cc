#include "ingest/file_follower.h"

#include <memory>

#include "common/logging.h"
#include "common/thread_name.h"
#include "ingest/followed_file.h"

namespace sluice::ingest {
namespace {

constexpr std::chrono::milliseconds kIdlePoll{200};
constexpr std::chrono::seconds kRetryAfterError{1};

// One followed file and how it is doing.
struct Followed {
  explicit Followed(const std::string& path) : file(path) {}
  FollowedFile file;
  bool started = false;  // opened once, at its resume position
  bool waiting_logged = false;
  bool failing = false;
  Clock::TimePoint retry_at{};
};

}  // namespace

FileFollower::FileFollower(Options options, FollowedChunkQueue& queue, Counters& counters,
                           const Clock& clock)
    : options_(std::move(options)),
      queue_(queue),
      counters_(counters),
      clock_(clock),
      heartbeat_(clock),
      thread_([this](std::stop_token stop) { Run(stop); }) {}

FileFollower::~FileFollower() { Stop(); }

void FileFollower::Stop() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

void FileFollower::Run(std::stop_token stop) {
  SetCurrentThreadName("sluice-follow");
  std::vector<std::unique_ptr<Followed>> files;
  for (const std::string& path : options_.paths) files.push_back(std::make_unique<Followed>(path));
  Mutex sleep_mu;
  std::condition_variable_any sleep_cv;
  while (!stop.stop_requested()) {
    heartbeat_.Beat();
    bool read_any = false;
    for (auto& f : files) {
      if (stop.stop_requested()) break;
      if (f->failing && clock_.Now() < f->retry_at) continue;
      const std::string& path = f->file.path();
      auto fail = [&](const Error& error) {
        counters_.follow_errors.fetch_add(1, std::memory_order_relaxed);
        if (!f->failing) {
          LogError("follow: " + error.message() + "; trying again every second");
        }
        f->failing = true;
        f->retry_at = clock_.Now() + kRetryAfterError;
      };
      if (!f->started) {
        auto resume = options_.resume.find(path);
        FilePosition at = resume == options_.resume.end() ? FilePosition{} : resume->second;
        auto opened = f->file.Open(at);
        if (!opened) {
          fail(opened.error());
          continue;
        }
        if (!*opened) {
          if (!f->waiting_logged) LogInfo("follow: waiting for " + path + " to appear");
          f->waiting_logged = true;
          continue;
        }
        f->started = true;
        LogInfo("follow: reading " + path + " from byte " +
                std::to_string(f->file.position().offset) +
                (f->file.position() == at && at.offset > 0 ? " (where it was left)" : ""));
      }
      FollowedChunk chunk;
      chunk.source = path;
      auto end = f->file.Read(chunk.lines, options_.max_lines, options_.max_bytes);
      if (!end) {
        fail(end.error());
        continue;
      }
      if (f->failing) LogInfo("follow: reading " + path + " works again");
      f->failing = false;
      if (chunk.lines.empty()) continue;
      read_any = true;
      chunk.end = *end;
      chunk.read_at_us = clock_.WallMicros();
      heartbeat_.Waiting();  // for room: the pipeline sets the pace
      if (!queue_.Push(std::move(chunk), stop)) return;
      heartbeat_.Beat();
    }
    if (read_any) continue;
    heartbeat_.Waiting();
    MutexLock lock(sleep_mu);
    clock_.WaitFor(sleep_cv, lock, stop, kIdlePoll, [] { return false; });
  }
}

}  // namespace sluice::ingest
