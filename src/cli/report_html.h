#pragma once

#include <string>

#include "cli/report_data.h"

namespace sluice::cli {

// The report as one self-contained HTML page (no script, no stylesheet or font from anywhere):
// the tables of ReportTables, and charts as inline SVG: rejects over time stacked by class with
// the flood periods shaded, and a bar chart of each top list. Thread-safe.
std::string ReportHtml(const ReportData& data);

}  // namespace sluice::cli
