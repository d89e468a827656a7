#pragma once

#include <string>
#include <vector>

#include "cli/report_data.h"

namespace sluice::cli {

// A titled table of the report; the last column is a count (or a share), right-aligned.
struct ReportTable {
  std::string title;
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;
};

// The report's tables in order: totals, by class, over time, the top lists, flood periods.
std::vector<ReportTable> ReportTables(const ReportData& data);
// Its title line: the period and the host(s).
std::string ReportHeading(const ReportData& data);

// The report as aligned plain text, as markdown tables, or as one JSON object (the same
// figures: totals, by class, over time, the top lists, flood periods). Thread-safe.
std::string ReportText(const ReportData& data);
std::string ReportMarkdown(const ReportData& data);
std::string ReportJson(const ReportData& data);

// "1,234,567".
std::string Thousands(uint64_t n);
// A bucket's length in words: "minute", "5 minutes", "hour", "3 hours", "day".
std::string BucketName(int64_t seconds);
// Unix seconds as "2026-12-02 17:00" (UTC).
std::string UtcMinute(int64_t unix_s);

}  // namespace sluice::cli
