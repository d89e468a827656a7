#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace sluice::testing {

// Result of a finished child process.
struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string output;  // stdout and stderr, interleaved
};

// The whole file at `path` ("" if it cannot be read).
std::string ReadFile(const std::string& path);

// Runs `argv` to completion (bounded by `timeout`, then SIGKILL), capturing its output.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         std::chrono::seconds timeout = std::chrono::seconds(120),
                         const std::string& stdin_file = "");

// A child process running in the background with its output in a file. Not thread-safe.
class BackgroundProcess {
 public:
  // `listen_fd` >= 0 is passed to the child as systemd passes an activated socket: as fd 3,
  // with LISTEN_FDS=1 and LISTEN_PID=its pid.
  BackgroundProcess(const std::vector<std::string>& argv, const std::string& output_file,
                    int listen_fd = -1);
  ~BackgroundProcess();  // SIGKILLs the child if it is still running
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int sig) const;
  // Waits for the child to exit, at most `timeout` (then SIGKILL). Idempotent.
  ProcessResult Wait(std::chrono::seconds timeout = std::chrono::seconds(60));
  // The output so far.
  std::string Output() const;

 private:
  pid_t pid_ = -1;
  std::string output_file_;
  bool reaped_ = false;
  ProcessResult result_;
};

// Polls `done` every 20 ms until it returns true or `timeout` passes; returns its last value.
template <typename Fn>
bool WaitUntil(Fn&& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    struct timespec ts {
      0, 20'000'000
    };
    nanosleep(&ts, nullptr);
  }
  return true;
}

}  // namespace sluice::testing
