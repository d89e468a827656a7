// sluiced: the daemon. Wiring only: parse the command line, load the config, run.
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "common/logging.h"
#include "common/version.h"
#include "config/config_loader.h"
#include "daemon/daemon.h"

int main(int argc, char** argv) {
  CLI::App app{"sluiced: takes MTA reject logs from a Unix datagram socket into PostgreSQL"};
  std::string config_path;
  app.set_version_flag("-V,--version", "sluiced " + std::string(sluice::Version()));
  app.add_option("-c,--config", config_path, "TOML config file (see sluice.toml(5))")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : sluice::daemon::kExitBadConfig;
  }
  auto text = sluice::config::ReadConfigFile(config_path);
  auto settings =
      text ? sluice::config::ParseConfig(*text, config_path) : tl::unexpected(text.error());
  if (!settings) {
    std::cerr << "sluiced: " << settings.error().message() << "\n";
    return sluice::daemon::kExitBadConfig;
  }
  return sluice::daemon::RunDaemon(*settings, sluice::DefaultEnv(), {config_path, *text});
}
