#include "cli/report_command.h"

#include <fstream>
#include <iostream>

#include "cli/report_html.h"
#include "cli/report_render.h"
#include "sink/pg_connection.h"

namespace sluice::cli {

int RunReport(const config::Settings& settings, const ReportOptions& options) {
  if (options.format != "text" && options.format != "markdown" && options.format != "json" &&
      options.format != "html") {
    std::cerr << "sluice report: --format " << options.format
              << ": expected text, markdown, json or html\n";
    return 1;
  }
  if (options.top < 1 || options.top > 1000) {
    std::cerr << "sluice report: --top must be 1 to 1000\n";
    return 1;
  }
  auto conn = sink::PgConnection::Connect(settings.database.conninfo, "sluice report");
  if (!conn) {
    std::cerr << "sluice report: " << conn.error().message() << "\n";
    return 1;
  }
  auto data = FetchReport(**conn, options.period, options.host, options.top);
  if (!data) {
    std::cerr << "sluice report: " << data.error().message() << "\n";
    return 1;
  }
  std::string text = options.format == "text"       ? ReportText(*data)
                     : options.format == "markdown" ? ReportMarkdown(*data)
                     : options.format == "json"     ? ReportJson(*data)
                                                    : ReportHtml(*data);
  if (options.output.empty()) {
    std::cout << text;
    return 0;
  }
  std::ofstream out(options.output, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    std::cerr << "sluice report: cannot write " << options.output << "\n";
    return 1;
  }
  return 0;
}

}  // namespace sluice::cli
