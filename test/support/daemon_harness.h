#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "common/unique_fd.h"
#include "support/pg_sandbox.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace sluice::testing {

// Runs a real sluiced process against a PgSandbox with a generated config: socket in a temp
// dir, the sandbox's conninfo, flood.mode "never" (every reject a detail row), and any
// `overrides` ("table.key" → TOML value text).
// Not thread-safe.
class DaemonHarness {
 public:
  explicit DaemonHarness(const PgSandbox& pg, std::map<std::string, std::string> overrides = {});
  ~DaemonHarness();

  // Appends `toml` to the config file (for what overrides cannot say: [[follow]] tables).
  void AppendConfig(const std::string& toml);
  // From now on, Start() passes sluiced `fd` (a socket the caller bound and keeps) as the
  // service manager would with socket activation, instead of letting it bind its own.
  void PassSocket(int fd) { listen_fd_ = fd; }
  // Starts sluiced and waits until it logs that it listens. False on failure.
  bool Start();
  // SIGTERM, then waits for exit.
  ProcessResult Stop(std::chrono::seconds timeout = std::chrono::seconds(60));
  // SIGKILL, then waits for exit: a crash, as far as sluiced can tell.
  ProcessResult Kill();
  // The counters now: SIGUSR1, then the "counters: ..." line sluiced logs for it ("" if none
  // comes within 10 s). Read values with SummaryValue().
  std::string LiveCounters();

  const std::string& socket_path() const { return socket_path_; }
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  const std::string& config_path() const { return config_path_; }
  std::string Output() const { return process_ ? process_->Output() : ""; }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
  std::string socket_path_;
  std::string config_path_;
  std::unique_ptr<BackgroundProcess> process_;
  int listen_fd_ = -1;
};

// The overrides of a config whose role may read sluice's tables (an operator's reader config
// for sluice lookup, report and blocklist; sluiced's writer role may not read them).
std::map<std::string, std::string> ReaderConfig(const PgSandbox& pg);

// Size of the big tests; the sanitizer runs ask for a smaller one (SLUICE_TEST_DATAGRAMS).
long long TestScale(long long normal);
// Length of the long outages; the sanitizer runs ask for shorter ones (SLUICE_TEST_OUTAGE_S).
std::chrono::seconds TestOutage(std::chrono::seconds normal);

// The value of `key=` in sluiced's last "stopped: ..." or "counters: ..." line, or -1.
long long SummaryValue(const std::string& output, const std::string& key);

// A TCP port on 127.0.0.1 that was free a moment ago (for metrics.listen); 0 if none found.
int FreeTcpPort();

// Sends `datagram` to a Unix datagram socket; false on error.
bool SendDatagram(const std::string& socket_path, std::string_view datagram);

// A Unix datagram socket bound at `socket_path` (what a forward target or syslog would be);
// invalid on error. Reads time out after 10 s.
UniqueFd BindDatagramSocket(const std::string& socket_path);

}  // namespace sluice::testing
