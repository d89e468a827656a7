#include "support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace sluice::testing {
namespace {

// `listen_fd` >= 0: passed as systemd passes an activated socket, as fd 3 with LISTEN_FDS=1
// and LISTEN_PID set to the child's pid (written after the fork without allocating).
pid_t Spawn(const std::vector<std::string>& argv, int out_fd, int in_fd, int listen_fd = -1) {
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (listen_fd < 0 || (std::strncmp(*e, "LISTEN_", 7) != 0)) env.push_back(*e);
  }
  char listen_fds[] = "LISTEN_FDS=1";
  char listen_pid[32] = "LISTEN_PID=";
  if (listen_fd >= 0) {
    env.push_back(listen_fds);
    env.push_back(listen_pid);
  }
  env.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  ::dup2(out_fd, STDOUT_FILENO);
  ::dup2(out_fd, STDERR_FILENO);
  if (in_fd >= 0) ::dup2(in_fd, STDIN_FILENO);
  if (listen_fd >= 0) {
    if (listen_fd == 3) {
      ::fcntl(3, F_SETFD, 0);  // dup2 onto itself would keep close-on-exec
    } else {
      ::dup2(listen_fd, 3);  // the copy is not close-on-exec
    }
    char digits[16];
    int n = 0;
    for (pid_t self = ::getpid(); self > 0; self /= 10)
      digits[n++] = static_cast<char>('0' + self % 10);
    char* at = listen_pid + std::strlen(listen_pid);
    while (n > 0) *at++ = digits[--n];
    *at = '\0';
  }
  // Signals the test blocked must not stay blocked in the child.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execvpe(args[0], args.data(), env.data());
  ::_exit(127);
}

ProcessResult Reap(pid_t pid, std::chrono::seconds timeout) {
  ProcessResult result;
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    struct timespec ts {
      0, 10'000'000
    };
    nanosleep(&ts, nullptr);
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

}  // namespace

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

ProcessResult RunProcess(const std::vector<std::string>& argv, std::chrono::seconds timeout,
                         const std::string& stdin_file) {
  char templ[] = "/tmp/sl.out.XXXXXX";
  int out_fd = ::mkstemp(templ);
  int in_fd = stdin_file.empty() ? -1 : ::open(stdin_file.c_str(), O_RDONLY | O_CLOEXEC);
  pid_t pid = Spawn(argv, out_fd, in_fd);
  ProcessResult result = Reap(pid, timeout);
  result.output = ReadFile(templ);
  ::close(out_fd);
  if (in_fd >= 0) ::close(in_fd);
  ::unlink(templ);
  return result;
}

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv,
                                     const std::string& output_file, int listen_fd)
    : output_file_(output_file) {
  int out_fd = ::open(output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  pid_ = Spawn(argv, out_fd, -1, listen_fd);
  ::close(out_fd);
}

BackgroundProcess::~BackgroundProcess() {
  if (!reaped_) {
    ::kill(pid_, SIGKILL);
    (void)Wait(std::chrono::seconds(10));
  }
}

void BackgroundProcess::Signal(int sig) const { ::kill(pid_, sig); }

ProcessResult BackgroundProcess::Wait(std::chrono::seconds timeout) {
  if (!reaped_) {
    result_ = Reap(pid_, timeout);
    reaped_ = true;
  }
  result_.output = Output();
  return result_;
}

std::string BackgroundProcess::Output() const { return ReadFile(output_file_); }

}  // namespace sluice::testing
