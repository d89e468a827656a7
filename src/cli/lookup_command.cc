#include "cli/lookup_command.h"

#include <iostream>
#include <optional>

#include "cli/period.h"
#include "sink/pg_connection.h"

namespace sluice::cli {
namespace {

constexpr int kMaxLines = 1000;

}  // namespace

int RunLookup(const config::Settings& settings, const LookupQuery& query) {
  const int given = !query.ip.empty() + !query.sender.empty() + !query.recipient.empty();
  if (given != 1) {
    std::cerr << "sluice lookup: give one of --ip, --sender, --recipient\n";
    return 1;
  }
  auto interval = IntervalText(query.since);
  if (!interval) {
    std::cerr << "sluice lookup: --since " << query.since
              << ": expected a number and s, m, h or d, such as 24h or 7d\n";
    return 1;
  }
  auto conn = sink::PgConnection::Connect(settings.database.conninfo, "sluice lookup");
  if (!conn) {
    std::cerr << "sluice lookup: " << conn.error().message() << "\n";
    return 1;
  }
  sink::PgConnection& db = **conn;
  const std::string period = "at >= now() - interval " + db.Literal(*interval);
  std::string match;
  if (!query.ip.empty()) {
    // Detail rows hold addresses (indexed: <<= reads the btree), aggregates networks too; in
    // the view's detail branch the first test folds to the indexed one.
    const std::string ip = db.Literal(query.ip) + "::inet";
    match = "((source = 'detail' AND client_ip <<= " + ip +
            ") OR (source <> 'detail' AND client_ip >>= " + ip + "))";
  } else {
    const std::string column = query.sender.empty() ? "recipient" : "sender";
    match = "lower(" + column + ") = lower(" +
            db.Literal(query.sender.empty() ? query.recipient : query.sender) + ")";
  }
  auto lines = db.ExecColumn(
      "SELECT concat_ws(' | ', to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), source, "
      "events || CASE WHEN events = 1 THEN ' event' ELSE ' events' END, "
      "CASE WHEN masklen(client_ip) IN (32, 128) THEN host(client_ip) ELSE client_ip::text END, "
      "reason_class, rbl, 'from ' || sender, 'to ' || recipient, line) FROM sluice.rejects WHERE " +
      period + " AND " + match + " ORDER BY at LIMIT " + std::to_string(kMaxLines + 1));
  if (!lines) {
    std::cerr << "sluice lookup: " << lines.error().message() << "\n";
    return 1;
  }
  const size_t shown = std::min<size_t>(lines->size(), kMaxLines);
  for (size_t i = 0; i < shown; ++i) std::cout << (*lines)[i] << "\n";
  if (lines->size() > kMaxLines) {
    std::cout << "(more than " << kMaxLines << " lines: narrow --since)\n";
  }
  if (lines->empty()) std::cout << "no rejects in the last " << query.since << "\n";
  if (query.ip.empty()) {
    auto unsearchable = db.ExecColumn("SELECT coalesce(sum(events), 0) FROM sluice.rejects WHERE " +
                                      period + " AND source LIKE 'aggregate:%'");
    if (unsearchable && !unsearchable->empty() && unsearchable->front() != "0") {
      std::cout << "note: " << unsearchable->front()
                << " rejects of the period were aggregated under flood, without sender or "
                   "recipient; look them up by --ip\n";
    }
  }
  return 0;
}

}  // namespace sluice::cli
