#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "sink/pg_connection.h"

namespace sluice::cli {

// A name and how many rejects it stands for (a class, an address, an RBL, ...).
using Count = std::pair<std::string, uint64_t>;

// One bar of the time chart: rejects per class in [start, start + bucket).
struct Bucket {
  int64_t start;  // Unix seconds, UTC
  std::vector<Count> by_class;
};

// What `sluice report` says about a period, read from sluice.rejects and sluice.shed.
struct ReportData {
  std::string from;  // the period, as the database printed it (UTC)
  std::string to;
  std::string host;  // "" = every MTA host
  int64_t from_s = 0;
  int64_t to_s = 0;
  uint64_t rejects = 0;      // sum(events): detail + aggregated
  uint64_t detail = 0;       // stored one by one
  uint64_t aggregated = 0;   // counted in aggregates under flood
  uint64_t shed = 0;         // dropped and counted (sluice.shed)
  uint64_t not_rejects = 0;  // other rows of sluice.events: malformed lines, and with
                             // ingest.keep = "all" every other line (not counted as rejects)
  uint64_t rows = 0;         // rows of sluice.rejects they took
  std::vector<Count> by_class;
  int64_t bucket_s = 3600;  // a minute to a day: 72 bars at most
  std::vector<Bucket> over_time;
  std::vector<Count> clients;   // single addresses
  std::vector<Count> networks;  // /24 and /64
  std::vector<Count> rbls;
  std::vector<Count> recipients;                    // detail rows only: aggregates have none
  std::vector<Count> sender_domains;                // likewise
  std::vector<Count> hosts;                         // MTA hosts
  std::vector<std::pair<int64_t, int64_t>> floods;  // aggregation periods, Unix seconds
};

// Where a report's period comes from: `since` ("24h") or `from` and `to` (anything PostgreSQL
// reads as a timestamptz, such as "2026-12-01 00:00").
struct ReportPeriod {
  std::string since = "24h";
  std::string from;
  std::string to;
};

// Reads the report for `period` (and only MTA `host`, if not empty), the `top` largest of each
// list. An error for a bad period or a failed query, with the reason.
Result<ReportData> FetchReport(sink::PgConnection& db, const ReportPeriod& period,
                               const std::string& host, int top);

}  // namespace sluice::cli
