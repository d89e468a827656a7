// direct-writer: the way the incident happened, as a baseline for bench/incident. Each of
// --processes MTA processes (threads here) writes every reject it logs straight into
// PostgreSQL over a connection of its own, one INSERT per reject, and waits for it before it
// goes on with its mail, as the provider's logging hook did. Rejects fall due at --rate in all
// for --seconds; a process that cannot connect (max_connections reached, or the database down)
// retries once a second, and everything due meanwhile waits. Reports, as JSON: rejects due and
// written, how late they were written (the time the MTA process was held: p50, p99, p99.9,
// max), the processes that never got a connection, and the connection errors. The table
// direct_rejects (received_at timestamptz, client_ip inet, reason text, raw text) must exist.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <libpq-fe.h>

#include "reject_lines.h"

namespace {

const sluice::attack::LineGenerator kLines(sluice::attack::Mta::kPostfix,
                                           sluice::attack::Framing::kRfc3164);

using Clock = std::chrono::steady_clock;

struct Result {
  uint64_t written = 0, failed = 0, connect_errors = 0;
  bool ever_connected = false;
  std::vector<double> late_ms;  // per reject written: how long after it fell due
  uint64_t undone = 0;          // due but not written when time ran out (mail still waiting)
  double blocked_s = 0;         // time spent connecting, waiting to reconnect and inserting
};

void Process(int id, const std::string& conninfo, double rate, Clock::time_point start,
             Clock::time_point end, Result& result) {
  PGconn* conn = nullptr;
  const double interval = 1.0 / rate;
  uint64_t next = 0;  // the next reject due
  while (true) {
    auto due = start + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(interval * static_cast<double>(next)));
    if (due >= end) break;
    auto now = Clock::now();
    if (now >= end) {
      // Time is up: count what fell due and was never written.
      auto elapsed = std::chrono::duration<double>(end - start).count();
      result.undone += static_cast<uint64_t>(elapsed / interval) - next;
      break;
    }
    if (due > now) std::this_thread::sleep_until(due);
    auto blocked_from = Clock::now();
    auto add_blocked = [&] {
      result.blocked_s += std::chrono::duration<double>(Clock::now() - blocked_from).count();
    };
    if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
      if (conn != nullptr) PQfinish(conn);
      conn = PQconnectdb(conninfo.c_str());
      if (PQstatus(conn) != CONNECTION_OK) {
        ++result.connect_errors;
        PQfinish(conn);
        conn = nullptr;
        std::this_thread::sleep_for(std::chrono::seconds(1));  // the MTA process waits
        add_blocked();
        continue;
      }
      result.ever_connected = true;
      PQsetNoticeProcessor(
          conn, [](void*, const char*) {}, nullptr);  // shutdown notices
    }
    std::string ip = sluice::attack::ClientAddress(static_cast<uint32_t>(next & 0xFFFF));
    std::string raw;
    kLines.AppendRejectMessage(raw, next * sluice::attack::kPostfixWordings,
                               ip);  // RBL wording; no quotes
    raw += " (MTA process " + std::to_string(id) + ")";
    std::string sql =
        "INSERT INTO direct_rejects (received_at, client_ip, reason, raw) VALUES (now(), '" + ip +
        "', 'blocked using zen.spamhaus.org', '" + raw + "')";
    PGresult* res = PQexec(conn, sql.c_str());
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    add_blocked();
    if (!ok) {
      ++result.failed;
      PQfinish(conn);
      conn = nullptr;
      continue;  // the same reject again, once reconnected
    }
    ++result.written;
    result.late_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - due).count());
    ++next;
  }
  if (conn != nullptr) PQfinish(conn);
}

double Quantile(std::vector<double>& values, double q) {
  if (values.empty()) return 0;
  auto at =
      static_cast<size_t>(std::min<double>(static_cast<double>(values.size()) - 1,
                                           std::ceil(q * static_cast<double>(values.size())) - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(at), values.end());
  return values[at];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"direct-writer: MTA processes writing each reject straight into PostgreSQL"};
  std::string conninfo;
  int processes = 50;
  double rate = 1000, seconds = 30;
  app.add_option("conninfo", conninfo, "libpq conninfo")->required();
  app.add_option("--processes", processes, "MTA processes, one connection each")
      ->check(CLI::Range(1, 2000));
  app.add_option("--rate", rate, "rejects per second in all")->check(CLI::Range(1.0, 1e7));
  app.add_option("--seconds", seconds, "how long rejects keep falling due")
      ->check(CLI::Range(0.1, 3600.0));
  CLI11_PARSE(app, argc, argv);

  std::vector<Result> results(static_cast<size_t>(processes));
  std::vector<std::thread> threads;
  auto start = Clock::now() + std::chrono::milliseconds(100);
  auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (int i = 0; i < processes; ++i) {
    threads.emplace_back(Process, i, std::cref(conninfo), rate / processes, start, end,
                         std::ref(results[static_cast<size_t>(i)]));
  }
  for (auto& thread : threads) thread.join();

  Result all;
  int never = 0;
  for (Result& r : results) {
    all.written += r.written, all.failed += r.failed, all.connect_errors += r.connect_errors;
    all.undone += r.undone;
    all.blocked_s += r.blocked_s;
    never += r.ever_connected ? 0 : 1;
    all.late_ms.insert(all.late_ms.end(), r.late_ms.begin(), r.late_ms.end());
  }
  double max_late =
      all.late_ms.empty() ? 0 : *std::max_element(all.late_ms.begin(), all.late_ms.end());
  std::printf(
      "{\"processes\": %d, \"rate\": %.0f, \"seconds\": %.1f, \"due\": %llu, \"written\": %llu, "
      "\"not_written\": %llu, \"insert_errors\": %llu, \"connect_errors\": %llu, "
      "\"processes_never_connected\": %d, \"held_ms\": {\"p50\": %.1f, \"p99\": %.1f, "
      "\"p99_9\": %.1f, \"max\": %.1f}, \"blocked_total_s\": %.1f}\n",
      processes, rate, seconds, static_cast<unsigned long long>(all.written + all.undone),
      static_cast<unsigned long long>(all.written), static_cast<unsigned long long>(all.undone),
      static_cast<unsigned long long>(all.failed),
      static_cast<unsigned long long>(all.connect_errors), never, Quantile(all.late_ms, 0.5),
      Quantile(all.late_ms, 0.99), Quantile(all.late_ms, 0.999), max_late, all.blocked_s);
  return 0;
}
