#include "cli/stats_command.h"

#include <httplib.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "cli/metrics_page.h"
#include "config/listen_address.h"

namespace sluice::cli {
namespace {

struct Scrape {
  MetricsPage metrics;
  std::string health;  // /healthz's body, without its newline
  std::chrono::steady_clock::time_point at;
};

std::optional<Scrape> Fetch(httplib::Client& client, std::string& error) {
  auto metrics = client.Get("/metrics");
  if (!metrics || metrics->status != 200) {
    error = metrics ? "GET /metrics answered " + std::to_string(metrics->status)
                    : "no answer (" + httplib::to_string(metrics.error()) + ")";
    return std::nullopt;
  }
  auto health = client.Get("/healthz");
  std::string health_text = health ? health->body : "no answer";
  while (!health_text.empty() && health_text.back() == '\n') health_text.pop_back();
  return Scrape{MetricsPage::Parse(metrics->body), health_text, std::chrono::steady_clock::now()};
}

// 1234567 → "1,234,567".
std::string Grouped(double value) {
  std::string digits = std::to_string(static_cast<long long>(value + (value < 0 ? -0.5 : 0.5)));
  std::string grouped;
  size_t lead = digits.front() == '-' ? 1 : 0;
  for (size_t i = 0; i < digits.size(); ++i) {
    grouped += digits[i];
    size_t left = digits.size() - 1 - i;
    if (i >= lead && left > 0 && left % 3 == 0) grouped += ',';
  }
  return grouped;
}

std::string Mib(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", bytes / (1 << 20));
  return text;
}

std::string Duration(double seconds) {
  auto s = static_cast<long long>(seconds);
  char text[48];
  if (s >= 86400) {
    std::snprintf(text, sizeof text, "%lldd %lldh", s / 86400, s % 86400 / 3600);
  } else if (s >= 3600) {
    std::snprintf(text, sizeof text, "%lldh %lldm", s / 3600, s % 3600 / 60);
  } else if (s >= 60) {
    std::snprintf(text, sizeof text, "%lldm %llds", s / 60, s % 60);
  } else {
    std::snprintf(text, sizeof text, "%.1f s", seconds);
  }
  return text;
}

std::string Page(const std::string& where, const Scrape& now, const Scrape* before) {
  const MetricsPage& m = now.metrics;
  std::ostringstream out;
  double uptime = static_cast<double>(::time(nullptr)) - m.Get("sluice_start_time_seconds");
  out << "sluiced at " << where << ": up " << Duration(uptime) << ", health: " << now.health
      << "\n\n";
  char line[160];
  std::snprintf(line, sizeof line, "%-32s %16s %14s\n", "", "total", "per second");
  out << line;
  const double seconds = before ? std::chrono::duration<double>(now.at - before->at).count() : 0.0;
  auto row = [&](const char* label, double total, double previous) {
    std::string rate = seconds > 0 ? Grouped((total - previous) / seconds) : "-";
    std::snprintf(line, sizeof line, "%-32s %16s %14s\n", label, Grouped(total).c_str(),
                  rate.c_str());
    out << line;
  };
  auto counter = [&](const char* label, const std::string& sample) {
    row(label, m.Get(sample), before ? before->metrics.Get(sample) : 0);
  };
  counter("datagrams received", "sluice_datagrams_received_total");
  counter("events stored as detail rows", "sluice_events_stored_total");
  counter("malformed, stored raw", "sluice_events_malformed_total");
  counter("events aggregated", "sluice_events_aggregated_total");
  counter("rows dead-lettered", "sluice_events_dead_lettered_total");
  counter("lines ignored (not rejects)", "sluice_events_ignored_total");
  row("events shed", m.Sum("sluice_events_shed_total"),
      before ? before->metrics.Sum("sluice_events_shed_total") : 0);
  std::string causes;
  for (const auto& [cause, value] : m.ByLabel("sluice_events_shed_total", "cause")) {
    if (value > 0) causes += "  " + cause + " " + Grouped(value);
  }
  if (!causes.empty()) out << "  by cause:" << causes << "\n";
  counter("batches committed", "sluice_batches_total{outcome=\"committed\"}");
  counter("database errors (retried)", "sluice_database_errors_total");
  counter("connections closed when idle", "sluice_database_idle_disconnects_total");
  out << "\n";
  double oldest = m.Get("sluice_spool_oldest_event_age_seconds");
  out << "spool           " << Grouped(m.Get("sluice_spool_events")) << " events waiting"
      << (oldest > 0 ? ", oldest " + Duration(oldest) : "") << "; "
      << Mib(m.Get("sluice_spool_disk_bytes")) << " on disk, "
      << Mib(m.Get("sluice_spool_memory_bytes")) << " in memory\n";
  out << "ingest queue    " << Mib(m.Get("sluice_ingest_queue_bytes")) << " of "
      << Mib(m.Get("sluice_ingest_queue_capacity_bytes")) << " in use\n";
  static const char* const kSteps[] = {
      "?", "detail rows", "aggregating", "aggregates only", "coarser keys", "count only"};
  auto step = static_cast<size_t>(m.Get("sluice_flood_ladder_step", 1));
  out << "flood           " << (m.Get("sluice_flood") > 0 ? "yes" : "no") << " (ladder step "
      << step << ": " << kSteps[step < 6 ? step : 0] << ")\n";
  out << "database        " << Grouped(m.Get("sluice_database_connections")) << " of "
      << Grouped(m.Get("sluice_writers")) << " writers connected, "
      << Grouped(m.Get("sluice_writers_alive")) << " alive\n";
  return out.str();
}

}  // namespace

int RunStats(const config::Settings& settings, const StatsOptions& options) {
  auto address = config::ParseListenAddress(settings.metrics.listen);
  if (!address) {
    std::cerr << "sluice stats: metrics.listen is off in the config; sluice stats reads the "
                 "running sluiced's /metrics (set [metrics] listen and reload it with SIGHUP)\n";
    return 1;
  }
  const std::string where = settings.metrics.listen;
  httplib::Client client(address->host == "localhost" ? "127.0.0.1" : address->host, address->port);
  client.set_connection_timeout(3);
  client.set_read_timeout(10);
  std::string error;
  auto before = Fetch(client, error);
  if (!before) {
    std::cerr << "sluice stats: " << where << ": " << error << "; is sluiced running?\n";
    return 1;
  }
  const bool clear = options.watch && ::isatty(STDOUT_FILENO) != 0;
  for (int pages = 0;;) {
    std::this_thread::sleep_for(options.interval);
    auto now = Fetch(client, error);
    if (!now) {
      std::cerr << "sluice stats: " << where << ": " << error << "\n";
      return 1;
    }
    if (clear) std::cout << "\033[H\033[2J";
    std::cout << Page(where, *now, &*before) << std::flush;
    ++pages;
    if (!options.watch || (options.count > 0 && pages >= options.count)) return 0;
    if (!clear) std::cout << "\n";
    before = std::move(now);
  }
}

}  // namespace sluice::cli
