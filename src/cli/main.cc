// sluice: the operator's command line. Wiring only: one <verb>_command.cc per subcommand.
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/import_command.h"
#include "cli/migrate_command.h"
#include "cli/replay_command.h"
#include "cli/spool_command.h"
#include "config/config_loader.h"

namespace {

constexpr int kExitBadConfig = 2;

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sluice: operate sluiced's database and spool"};
  app.require_subcommand(1);
  std::string config_path;
  CLI::App* migrate = app.add_subcommand("migrate", "create or upgrade the database schema");
  migrate->add_option("-c,--config", config_path, "TOML config file")->required();
  CLI::App* spool = app.add_subcommand("spool", "inspect the spool directory");
  spool->require_subcommand(1);
  CLI::App* spool_ls = spool->add_subcommand("ls", "list segments: batches, rows, bytes, ratio");
  CLI::App* spool_verify =
      spool->add_subcommand("verify", "check every record's checksum; exit 1 on damage");
  CLI::App* spool_cat = spool->add_subcommand(
      "cat", "print the spooled rows: received_at<TAB>raw, or JSON lines with --json");
  std::vector<std::string> segments;
  bool json = false;
  spool_cat->add_option("segments", segments, "segment files (default: all in spool.dir)")
      ->check(CLI::ExistingFile);
  spool_cat->add_flag("--json", json, "one JSON object of all non-NULL columns per row");
  CLI::App* replay = app.add_subcommand(
      "replay", "load spooled batches into the database, exactly once (the ledger skips repeats)");
  std::vector<std::string> replay_segments;
  replay->add_option("segments", replay_segments, "segment files (default: all in spool.dir)")
      ->check(CLI::ExistingFile);
  CLI::App* import = app.add_subcommand(
      "import", "load log files (plain, gzip, zstd; - for stdin) through the parser, once each");
  std::vector<std::string> logs;
  import->add_option("logs", logs, "log files, e.g. /var/log/mail.log*; - reads stdin")->required();
  for (CLI::App* verb : {spool_ls, spool_verify, spool_cat, replay, import}) {
    verb->add_option("-c,--config", config_path, "TOML config file")->required();
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kExitBadConfig;
  }
  auto settings = sluice::config::LoadConfig(config_path);
  if (!settings) {
    std::cerr << "sluice: " << settings.error().message() << "\n";
    return kExitBadConfig;
  }
  if (migrate->parsed()) return sluice::cli::RunMigrate(*settings);
  if (spool_ls->parsed()) return sluice::cli::RunSpoolList(*settings);
  if (spool_verify->parsed()) return sluice::cli::RunSpoolVerify(*settings);
  if (replay->parsed()) return sluice::cli::RunReplay(*settings, replay_segments);
  if (import->parsed()) return sluice::cli::RunImport(*settings, logs);
  if (spool_cat->parsed()) return sluice::cli::RunSpoolCat(*settings, segments, json);
  return 1;
}
