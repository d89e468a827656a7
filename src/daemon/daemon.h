#pragma once

#include <string>

#include "common/counters.h"
#include "common/env.h"
#include "config/settings.h"

namespace sluice::daemon {

// Exit codes of sluiced.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;    // could not start (socket, schema), see the log
inline constexpr int kExitBadConfig = 2;  // the config file was refused

// Where the settings came from, for SIGHUP: the config file and the text it held at start.
// Empty path: no reloading.
struct ConfigSource {
  std::string path;
  std::string text;
};

// Runs sluiced with `settings` until SIGTERM or SIGINT, then flushes and returns an exit code.
// Start order: schema check → spool (lock, recovery) → writer pool → queue and pipeline →
// socket → receivers. Stop order is the reverse: receivers stop reading → the pipeline drains
// the queue and emits its last batch → writers flush within database.shutdown_timeout_ms →
// what is still in memory goes to the spool's segments for the next start.
// Prints the counters' one-line summary at exit. Call once, from the main thread, before any
// other thread exists (it blocks the signals it waits for). Files and time go through `env`.
// Under a service manager ($NOTIFY_SOCKET) it sends READY=1 once the socket is served, STATUS=
// lines, watchdog pings and STOPPING=1 (daemon/service_notifier.h); SIGHUP reloads `source`
// (daemon/config_reloader.h); metrics.listen serves /metrics and /healthz.
int RunDaemon(const config::Settings& settings, Env& env, const ConfigSource& source = {});

}  // namespace sluice::daemon
