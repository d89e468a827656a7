// sluice: the operator's command line. Wiring only: one <verb>_command.cc per subcommand.
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/blocklist_command.h"
#include "cli/check_command.h"
#include "cli/follow_command.h"
#include "cli/import_command.h"
#include "cli/lookup_command.h"
#include "cli/migrate_command.h"
#include "cli/prune_command.h"
#include "cli/replay_command.h"
#include "cli/report_command.h"
#include "cli/spool_command.h"
#include "cli/stats_command.h"
#include "common/version.h"
#include "config/config_loader.h"

namespace {

constexpr int kExitBadConfig = 2;

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sluice: operate sluiced's database and spool"};
  app.require_subcommand(1);
  app.set_version_flag("-V,--version", "sluice " + std::string(sluice::Version()));
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
  bool follow = false;
  import->add_flag("-f,--follow", follow,
                   "follow growing files like tail -F until SIGINT/SIGTERM, through rotation, "
                   "exactly once across restarts");
  CLI::App* stats = app.add_subcommand(
      "stats", "the running sluiced's counters, rates, spool, flood and connections");
  sluice::cli::StatsOptions stats_options;
  double interval_s = 2;
  stats->add_flag("-w,--watch", stats_options.watch, "refresh every --interval until Ctrl-C");
  stats->add_option("-i,--interval", interval_s, "seconds between scrapes (rates are over it)")
      ->check(CLI::Range(0.1, 3600.0));
  stats->add_option("-n,--count", stats_options.count, "with --watch: stop after N pages");
  CLI::App* lookup = app.add_subcommand(
      "lookup", "rejects of one address, sender or recipient, details and aggregates alike");
  sluice::cli::LookupQuery lookup_query;
  lookup->add_option("--ip", lookup_query.ip, "client address");
  lookup->add_option("--sender", lookup_query.sender, "envelope sender");
  lookup->add_option("--recipient", lookup_query.recipient, "envelope recipient");
  lookup->add_option("--since", lookup_query.since, "how far back: 90m, 24h, 7d (default 7d)");
  CLI::App* blocklist = app.add_subcommand(
      "blocklist", "addresses or networks with many rejects, as a Postfix cidr: table or nftables");
  sluice::cli::BlocklistQuery blocklist_query;
  blocklist->add_option("--since", blocklist_query.since, "period: 90m, 1h, 7d (default 1h)");
  blocklist->add_option("--min-events", blocklist_query.min_events,
                        "rejects in the period to be listed (default 100)");
  blocklist->add_option("--prefix", blocklist_query.prefix,
                        "IPv4 networks listed: /N, 8 to 32 (default 32: addresses)");
  blocklist->add_option("--prefix6", blocklist_query.prefix6,
                        "IPv6 networks listed: /N, 16 to 128 (default 128)");
  blocklist->add_option("--format", blocklist_query.format,
                        "postfix-cidr (default), nftables or plain");
  blocklist->add_option("-o,--output", blocklist_query.output,
                        "file to replace atomically (default: standard output)");
  blocklist->add_option("--never", blocklist_query.never,
                        "allow list: addresses or networks never listed, one per line");
  blocklist->add_flag("--list-loopback", blocklist_query.list_loopback,
                      "list loopback addresses too (a lab's or a test's MTA)");
  CLI::App* report = app.add_subcommand(
      "report", "rejects of a period by class, hour, client, network, RBL, recipient, host");
  sluice::cli::ReportOptions report_options;
  report->add_option("--since", report_options.period.since, "period: 24h (default), 7d, 90m");
  report->add_option("--from", report_options.period.from,
                     "start instead, e.g. '2026-12-01 00:00'");
  report->add_option("--to", report_options.period.to, "end, with --from");
  report->add_option("--host", report_options.host, "one MTA host only");
  report->add_option("--format", report_options.format, "text (default), markdown, json or html");
  report->add_option("-o,--output", report_options.output, "file (default: standard output)");
  report->add_option("--top", report_options.top, "entries per top list (default 10)");
  CLI::App* prune = app.add_subcommand(
      "prune", "drop data older than --days (default database.retention_days), once");
  int prune_days = 0;
  prune->add_option("-d,--days", prune_days, "days to keep")->check(CLI::Range(1, 36500));
  CLI::App* check = app.add_subcommand(
      "check", "check the config, directories, database, schema and privileges; exit 1 if wrong");
  for (CLI::App* verb : {spool_ls, spool_verify, spool_cat, replay, import, stats, lookup,
                         blocklist, report, prune, check}) {
    verb->add_option("-c,--config", config_path, "TOML config file")->required();
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kExitBadConfig;
  }
  if (check->parsed()) return sluice::cli::RunCheck(config_path);  // reports a bad config itself
  auto settings = sluice::config::LoadConfig(config_path);
  if (!settings) {
    std::cerr << "sluice: " << settings.error().message() << "\n";
    return kExitBadConfig;
  }
  if (migrate->parsed()) return sluice::cli::RunMigrate(*settings);
  if (prune->parsed()) return sluice::cli::RunPrune(*settings, prune_days);
  if (lookup->parsed()) return sluice::cli::RunLookup(*settings, lookup_query);
  if (blocklist->parsed()) return sluice::cli::RunBlocklist(*settings, blocklist_query);
  if (report->parsed()) return sluice::cli::RunReport(*settings, report_options);
  if (spool_ls->parsed()) return sluice::cli::RunSpoolList(*settings);
  if (spool_verify->parsed()) return sluice::cli::RunSpoolVerify(*settings);
  if (replay->parsed()) return sluice::cli::RunReplay(*settings, replay_segments);
  if (import->parsed() && follow) return sluice::cli::RunFollow(*settings, logs);
  if (import->parsed()) return sluice::cli::RunImport(*settings, logs);
  if (stats->parsed()) {
    stats_options.interval = std::chrono::milliseconds(static_cast<int64_t>(interval_s * 1000));
    return sluice::cli::RunStats(*settings, stats_options);
  }
  if (spool_cat->parsed()) return sluice::cli::RunSpoolCat(*settings, segments, json);
  return 1;
}
