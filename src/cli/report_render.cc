#include "cli/report_render.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <sstream>
#include <vector>

#include "cli/row_json.h"

namespace sluice::cli {
namespace {

using Table = ReportTable;

std::string Percent(uint64_t part, uint64_t whole) {
  if (whole == 0) return "-";
  char text[16];
  std::snprintf(text, sizeof text, "%.1f %%",
                100.0 * static_cast<double>(part) / static_cast<double>(whole));
  return text;
}

Table CountTable(const std::string& title, const std::string& what,
                 const std::vector<Count>& counts, uint64_t whole) {
  Table table{title, {what, "rejects", "share"}, {}};
  for (const auto& [name, n] : counts)
    table.rows.push_back({name, Thousands(n), Percent(n, whole)});
  return table;
}

}  // namespace

std::vector<ReportTable> ReportTables(const ReportData& d) {
  std::vector<Table> tables;
  tables.push_back(
      {"Totals",
       {"", "events"},
       {{"rejects (detail + aggregated)", Thousands(d.rejects)},
        {"stored one by one (detail rows)", Thousands(d.detail)},
        {"counted under flood (aggregates)", Thousands(d.aggregated)},
        {"shed: dropped and counted", Thousands(d.shed)},
        {"other lines stored (malformed; all, with ingest.keep = all)", Thousands(d.not_rejects)},
        {"rows they took in the database", Thousands(d.rows)}}});
  tables.push_back(CountTable("Rejects by class", "class", d.by_class, d.rejects));
  Table over{
      "Rejects by " + BucketName(d.bucket_s) + " (UTC)", {"from", "busiest class", "rejects"}, {}};
  for (const Bucket& bucket : d.over_time) {
    uint64_t total = 0;
    const Count* busiest = nullptr;
    for (const Count& count : bucket.by_class) {
      total += count.second;
      if (busiest == nullptr || count.second > busiest->second) busiest = &count;
    }
    over.rows.push_back(
        {UtcMinute(bucket.start), busiest != nullptr ? busiest->first : "", Thousands(total)});
  }
  tables.push_back(std::move(over));
  tables.push_back(CountTable("Top client addresses", "address", d.clients, d.rejects));
  tables.push_back(CountTable("Top networks (/24, /64)", "network", d.networks, d.rejects));
  tables.push_back(CountTable("Top RBLs", "RBL", d.rbls, d.rejects));
  tables.push_back(
      CountTable("Top targeted recipients (detail rows)", "recipient", d.recipients, d.detail));
  tables.push_back(
      CountTable("Top sender domains (detail rows)", "domain", d.sender_domains, d.detail));
  tables.push_back(CountTable("By MTA host", "host", d.hosts, d.rejects));
  Table floods{"Flood periods (rejects aggregated)", {"from", "to", "minutes"}, {}};
  for (const auto& [start, end] : d.floods) {
    floods.rows.push_back(
        {UtcMinute(start), UtcMinute(end), std::to_string((end - start + 59) / 60)});
  }
  tables.push_back(std::move(floods));
  return tables;
}

std::string ReportHeading(const ReportData& d) {
  return "sluice report: " + d.from + " to " + d.to + " (" +
         (d.host.empty() ? std::string("all MTA hosts") : "MTA host " + d.host) + ")";
}

std::string Thousands(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string BucketName(int64_t seconds) {
  if (seconds % 86400 == 0)
    return seconds == 86400 ? "day" : std::to_string(seconds / 86400) + " days";
  if (seconds % 3600 == 0)
    return seconds == 3600 ? "hour" : std::to_string(seconds / 3600) + " hours";
  return seconds == 60 ? "minute" : std::to_string(seconds / 60) + " minutes";
}

std::string UtcMinute(int64_t unix_s) {
  std::time_t t = unix_s;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M", &tm);
  return text;
}

std::string ReportText(const ReportData& data) {
  std::ostringstream out;
  out << ReportHeading(data) << "\n";
  for (const Table& table : ReportTables(data)) {
    out << "\n" << table.title << "\n";
    if (table.rows.empty()) {
      out << "  (none)\n";
      continue;
    }
    std::vector<size_t> width(table.headers.size(), 0);
    for (const auto& row : table.rows) {
      for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
    }
    for (const auto& row : table.rows) {
      out << " ";
      for (size_t i = 0; i < row.size(); ++i) {
        const std::string pad(width[i] - row[i].size(), ' ');
        out << " " << (i == 0 ? row[i] + pad : pad + row[i]);
      }
      out << "\n";
    }
  }
  return out.str();
}

std::string ReportMarkdown(const ReportData& data) {
  std::ostringstream out;
  out << "# " << ReportHeading(data) << "\n";
  for (const Table& table : ReportTables(data)) {
    out << "\n## " << table.title << "\n\n";
    if (table.rows.empty()) {
      out << "(none)\n";
      continue;
    }
    out << "|";
    for (const std::string& header : table.headers) out << " " << header << " |";
    out << "\n|";
    for (size_t i = 0; i < table.headers.size(); ++i) out << (i == 0 ? "---|" : "---:|");
    out << "\n";
    for (const auto& row : table.rows) {
      out << "|";
      for (const std::string& cell : row) {
        std::string escaped;
        for (char c : cell) escaped += c == '|' ? std::string("\\|") : std::string(1, c);
        out << " " << escaped << " |";
      }
      out << "\n";
    }
  }
  return out.str();
}

std::string ReportJson(const ReportData& d) {
  auto counts = [](const std::vector<Count>& list) {
    std::string out = "[";
    for (const auto& [name, n] : list) {
      if (out.size() > 1) out += ",";
      out += "{\"name\":";
      out += JsonString(name);
      out += ",\"rejects\":";
      out += std::to_string(n);
      out += "}";
    }
    return out + "]";
  };
  std::ostringstream out;
  out << "{\"from\":" << JsonString(d.from) << ",\"to\":" << JsonString(d.to)
      << ",\"host\":" << (d.host.empty() ? "null" : JsonString(d.host))
      << ",\"rejects\":" << d.rejects << ",\"detail\":" << d.detail
      << ",\"aggregated\":" << d.aggregated << ",\"shed\":" << d.shed
      << ",\"not_rejects\":" << d.not_rejects << ",\"rows\":" << d.rows
      << ",\"by_class\":" << counts(d.by_class) << ",\"bucket_seconds\":" << d.bucket_s
      << ",\"over_time\":[";
  for (size_t i = 0; i < d.over_time.size(); ++i) {
    out << (i > 0 ? "," : "") << "{\"start\":" << JsonString(UtcMinute(d.over_time[i].start))
        << ",\"by_class\":" << counts(d.over_time[i].by_class) << "}";
  }
  out << "],\"clients\":" << counts(d.clients) << ",\"networks\":" << counts(d.networks)
      << ",\"rbls\":" << counts(d.rbls) << ",\"recipients\":" << counts(d.recipients)
      << ",\"sender_domains\":" << counts(d.sender_domains) << ",\"hosts\":" << counts(d.hosts)
      << ",\"floods\":[";
  for (size_t i = 0; i < d.floods.size(); ++i) {
    out << (i > 0 ? "," : "") << "{\"from\":" << JsonString(UtcMinute(d.floods[i].first))
        << ",\"to\":" << JsonString(UtcMinute(d.floods[i].second)) << "}";
  }
  out << "]}\n";
  return out.str();
}

}  // namespace sluice::cli
