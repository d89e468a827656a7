#pragma once

#include <functional>
#include <string>
#include <vector>

#include "config/settings.h"

namespace sluice::daemon {

// What SIGHUP does: reads the config file again and applies the keys that can change while
// sluiced runs (log.level, metrics.listen and the flood thresholds: flood.enter_rate,
// leave_rate, rate_window_ms, enter_backlog, leave_backlog, leave_after_ms); every other
// changed key is named in the log as needing a restart, and keeps its running value.
// A file that no longer loads is refused with its error; nothing changes.
// Not thread-safe: owned by the thread that waits for signals.
class ConfigReloader {
 public:
  // `apply` is called with the new settings and the reloadable keys that changed.
  using Apply = std::function<void(const config::Settings&, const std::vector<std::string>&)>;

  // `path`: the config file; `text`: what it held when sluiced started.
  ConfigReloader(std::string path, std::string text, Apply apply);

  // Reads the file and applies it as above; logs what happened, in one line.
  void Reload();

  // Whether `key` ("table.key") takes effect on SIGHUP.
  static bool Reloadable(const std::string& key);

 private:
  const std::string path_;
  const std::string started_text_;  // restart-only keys are compared with this
  std::string applied_text_;        // reloadable keys with this
  Apply apply_;
};

}  // namespace sluice::daemon
