#pragma once

#include <string>

#include "cli/report_data.h"
#include "config/settings.h"

namespace sluice::cli {

// What `sluice report` covers and how it is written.
struct ReportOptions {
  ReportPeriod period;
  std::string host;             // one MTA host; "" = all
  std::string format = "text";  // text | markdown | json | html
  std::string output;           // "" = standard output
  int top = 10;                 // entries of each top list
};

// `sluice report`: what pflogsumm gives for a period, from the database, aggregates included
// (report_data.h for the figures; report_render.h and report_html.h for the formats). Exit 0,
// or 1 with the reason on a bad option or a database error.
int RunReport(const config::Settings& settings, const ReportOptions& options);

}  // namespace sluice::cli
