#include "daemon/config_reloader.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "common/logging.h"
#include "config/config_loader.h"

namespace sluice::daemon {
namespace {

constexpr std::array<std::string_view, 8> kReloadable = {
    "log.level",           "metrics.listen",       "flood.enter_rate",
    "flood.leave_rate",    "flood.rate_window_ms", "flood.enter_backlog",
    "flood.leave_backlog", "flood.leave_after_ms",
};

std::string Join(const std::vector<std::string>& keys) {
  std::string joined;
  for (const std::string& key : keys) joined += (joined.empty() ? "" : ", ") + key;
  return joined;
}

}  // namespace

ConfigReloader::ConfigReloader(std::string path, std::string text, Apply apply)
    : path_(std::move(path)),
      started_text_(text),
      applied_text_(std::move(text)),
      apply_(std::move(apply)) {}

bool ConfigReloader::Reloadable(const std::string& key) {
  return std::find(kReloadable.begin(), kReloadable.end(), key) != kReloadable.end();
}

void ConfigReloader::Reload() {
  auto text = config::ReadConfigFile(path_);
  auto settings = text ? config::ParseConfig(*text, path_) : tl::unexpected(text.error());
  if (!settings) {
    LogError("SIGHUP: " + settings.error().message() + "; the running config stays as it was");
    return;
  }
  std::vector<std::string> applied;
  for (const std::string& key : config::ChangedKeys(applied_text_, *text)) {
    if (Reloadable(key)) applied.push_back(key);
  }
  std::vector<std::string> need_restart;
  for (const std::string& key : config::ChangedKeys(started_text_, *text)) {
    if (!Reloadable(key)) need_restart.push_back(key);
  }
  apply_(*settings, applied);
  applied_text_ = *text;
  std::string line = "SIGHUP: reloaded " + path_ + "; ";
  line += applied.empty() ? "nothing to apply" : "applied " + Join(applied);
  if (!need_restart.empty()) {
    line += "; changed but needing a restart (running with the old values): " + Join(need_restart);
  }
  LogInfo(line);
}

}  // namespace sluice::daemon
