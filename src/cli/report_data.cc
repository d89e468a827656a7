#include "cli/report_data.h"

#include <algorithm>
#include <sstream>

#include "cli/period.h"

namespace sluice::cli {
namespace {

constexpr char kSeparator = '\x1f';
constexpr int64_t kHour = 3600;
constexpr int64_t kDay = 86400;

std::vector<std::string> Split(const std::string& row) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(row);
  while (std::getline(in, field, kSeparator)) fields.push_back(field);
  if (!row.empty() && row.back() == kSeparator) fields.emplace_back();
  return fields;
}

// Runs `sql`, whose rows are "name<US>count"; the counts are non-negative integers.
Result<std::vector<Count>> Counts(sink::PgConnection& db, const std::string& sql) {
  auto rows = db.ExecColumn(sql);
  if (!rows) return tl::unexpected(rows.error());
  std::vector<Count> counts;
  for (const std::string& row : *rows) {
    std::vector<std::string> fields = Split(row);
    if (fields.size() != 2) continue;
    counts.emplace_back(fields[0], std::stoull(fields[1]));
  }
  return counts;
}

}  // namespace

Result<ReportData> FetchReport(sink::PgConnection& db, const ReportPeriod& period,
                               const std::string& host, int top) {
  std::string from_sql, to_sql;
  if (!period.from.empty() || !period.to.empty()) {
    if (period.from.empty() || period.to.empty()) {
      return Fail(ErrorCode::kInvalidArgument, "--from and --to go together");
    }
    from_sql = db.Literal(period.from) + "::timestamptz";
    to_sql = db.Literal(period.to) + "::timestamptz";
  } else {
    auto interval = IntervalText(period.since);
    if (!interval) {
      return Fail(ErrorCode::kInvalidArgument,
                  "--since " + period.since + ": expected a number and s, m, h or d, such as 24h");
    }
    from_sql = "now() - interval ";
    from_sql += db.Literal(*interval);
    to_sql = "now()";
  }
  ReportData data;
  data.host = host;
  // The bounds to the microsecond for the queries; whole seconds (floor, ceiling) for charts.
  auto bounds = db.ExecScalar(
      "SELECT concat_ws(E'\\x1f', to_char(f AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), "
      "to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), floor(extract(epoch FROM f))::bigint, "
      "ceil(extract(epoch FROM t))::bigint, f::text, t::text) FROM (SELECT " +
      from_sql + " AS f, " + to_sql + " AS t) p");
  if (!bounds) return tl::unexpected(bounds.error());
  std::vector<std::string> b = Split(*bounds);
  if (b.size() != 6) return Fail(ErrorCode::kInvalidArgument, "the period did not read back");
  data.from = b[0] + " UTC";
  data.to = b[1] + " UTC";
  data.from_s = std::stoll(b[2]);
  data.to_s = std::stoll(b[3]);
  if (data.to_s <= data.from_s) {
    return Fail(ErrorCode::kInvalidArgument, "the period ends before it begins");
  }
  const std::string f = db.Literal(b[4]) + "::timestamptz";
  const std::string t = db.Literal(b[5]) + "::timestamptz";
  std::string host_match;
  if (!host.empty()) {
    host_match = " AND host = ";
    host_match += db.Literal(host);
  }
  const std::string where = " FROM sluice.rejects WHERE at >= " + f + " AND at < " + t + host_match;
  const std::string limit = " GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT " + std::to_string(top);
  auto count = [&](const std::string& name, const std::string& condition) {
    return Counts(db, "SELECT concat_ws(E'\\x1f', k, n) FROM (SELECT " + name +
                          " AS k, sum(events) AS n" + where + condition + limit +
                          ") t ORDER BY n DESC, k");
  };

  auto totals = db.ExecScalar(
      "SELECT concat_ws(E'\\x1f', coalesce(sum(events), 0), "
      "coalesce(sum(events) FILTER (WHERE source = 'detail'), 0), "
      "coalesce(sum(events) FILTER (WHERE source <> 'detail'), 0), count(*))" +
      where);
  if (!totals) return tl::unexpected(totals.error());
  std::vector<std::string> n = Split(*totals);
  data.rejects = std::stoull(n.at(0));
  data.detail = std::stoull(n.at(1));
  data.aggregated = std::stoull(n.at(2));
  data.rows = std::stoull(n.at(3));
  auto shed =
      db.ExecScalar("SELECT coalesce(sum(events), 0) FROM sluice.shed WHERE window_start >= " + f +
                    " AND window_start < " + t + host_match);
  if (!shed) return tl::unexpected(shed.error());
  data.shed = std::stoull(*shed);
  auto not_rejects = db.ExecScalar(
      "SELECT count(*) FROM sluice.events WHERE is_reject IS NOT TRUE AND "
      "received_at >= " +
      f + " AND received_at < " + t + host_match);
  if (!not_rejects) return tl::unexpected(not_rejects.error());
  data.not_rejects = std::stoull(*not_rejects);

  struct List {
    std::vector<Count>* into;
    std::string name;
    std::string condition;
  };
  const List lists[] = {
      {&data.by_class, "coalesce(reason_class, '(unclassified)')", ""},
      {&data.clients, "host(client_ip)",
       " AND masklen(client_ip) = CASE family(client_ip) WHEN 4 "
       "THEN 32 ELSE 128 END"},
      {&data.networks,
       "network(set_masklen(client_ip, CASE family(client_ip) WHEN 4 THEN "
       "least(masklen(client_ip), "
       "24) ELSE least(masklen(client_ip), 64) END))::text",
       " AND client_ip IS NOT NULL"},
      {&data.rbls, "rbl", " AND rbl IS NOT NULL"},
      {&data.recipients, "lower(recipient)", " AND recipient IS NOT NULL"},
      {&data.sender_domains, "lower(split_part(sender, '@', 2))", " AND sender LIKE '%_@_%'"},
      {&data.hosts, "coalesce(host, '(unknown)')", ""},
  };
  for (const List& list : lists) {
    auto counts = count(list.name, list.condition);
    if (!counts) return tl::unexpected(counts.error());
    *list.into = std::move(*counts);
  }

  // About 24 to 72 bars, whatever the period.
  data.bucket_s = kDay;
  for (int64_t bucket : {int64_t{60}, int64_t{300}, int64_t{600}, int64_t{900}, int64_t{1800},
                         kHour, 3 * kHour, 6 * kHour, kDay}) {
    if ((data.to_s - data.from_s) / bucket <= 72) {
      data.bucket_s = bucket;
      break;
    }
  }
  const std::string bucket = std::to_string(data.bucket_s);
  auto series = db.ExecColumn(
      "SELECT concat_ws(E'\\x1f', b, c, n) FROM (SELECT (floor(extract(epoch FROM at) / " + bucket +
      ") * " + bucket +
      ")::bigint AS b, coalesce(reason_class, '(unclassified)') AS c, "
      "sum(events) AS n" +
      where + " GROUP BY 1, 2) t ORDER BY b, c");
  if (!series) return tl::unexpected(series.error());
  for (const std::string& row : *series) {
    std::vector<std::string> fields = Split(row);
    if (fields.size() != 3) continue;
    const int64_t start = std::stoll(fields[0]);
    if (data.over_time.empty() || data.over_time.back().start != start) {
      data.over_time.push_back(Bucket{start, {}});
    }
    data.over_time.back().by_class.emplace_back(fields[1], std::stoull(fields[2]));
  }

  // Flood periods: the aggregation windows, merged where they are less than a bar apart.
  auto windows = db.ExecColumn(
      "SELECT DISTINCT concat_ws(E'\\x1f', extract(epoch FROM window_start)::bigint, "
      "extract(epoch FROM window_end)::bigint) FROM sluice.aggregates WHERE window_start >= " +
      f + " AND window_start < " + t + host_match + " ORDER BY 1");
  if (!windows) return tl::unexpected(windows.error());
  std::vector<std::pair<int64_t, int64_t>> spans;
  for (const std::string& row : *windows) {
    std::vector<std::string> fields = Split(row);
    if (fields.size() == 2) spans.emplace_back(std::stoll(fields[0]), std::stoll(fields[1]));
  }
  std::sort(spans.begin(), spans.end());
  for (const auto& span : spans) {
    if (!data.floods.empty() && span.first <= data.floods.back().second + data.bucket_s) {
      data.floods.back().second = std::max(data.floods.back().second, span.second);
    } else {
      data.floods.push_back(span);
    }
  }
  return data;
}

}  // namespace sluice::cli
