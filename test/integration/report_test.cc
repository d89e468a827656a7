// sluice report on a database filled by a real flood through sluiced, the ladder aggregating:
// its totals equal the accounting, whatever the format; the HTML page stands alone, and
// headless Chromium (where installed) draws its charts.
#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "support/daemon_harness.h"
#include "support/paths.h"
#include "support/pg_sandbox.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace sluice {
namespace {

using testing::DaemonHarness;
using testing::RunProcess;
using testing::WaitUntil;

testing::PgSandbox& pg() { return testing::SharedPgSandbox(); }

long long Accounted() {
  return std::stoll(
      pg().Query("SELECT detail_events + aggregated_events + shed_events FROM sluice.accounting"));
}

// The number after "KEY": in a JSON text (the first one).
long long JsonNumber(const std::string& json, const std::string& key) {
  std::smatch match;
  if (!std::regex_search(json, match, std::regex("\"" + key + "\":([0-9]+)"))) return -1;
  return std::stoll(match[1]);
}

class ReportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(pg().started()) << pg().start_output();
    pg().Migrate();
    pg().Query("TRUNCATE sluice.events, sluice.aggregates, sluice.shed, sluice.batches");
    // 20,000 rejects from 300 addresses, Zipf, Postfix, Exim and Sendmail wording, every one
    // through the flood ladder (1 in 10 a detail row), in windows of a second.
    DaemonHarness flooded(
        pg(),
        {{"flood.mode", "\"always\""}, {"flood.detail_sample", "10"}, {"flood.window_ms", "1000"}});
    ASSERT_TRUE(flooded.Start()) << flooded.Output();
    auto sent = RunProcess({SLUICE_ATTACK, flooded.socket_path(), "--count", "20000", "--ips",
                            "300", "--mta", "mix", "--rate", "20000"});
    ASSERT_EQ(sent.exit_code, 0) << sent.output;
    ASSERT_TRUE(WaitUntil([] { return Accounted() >= 20000; }, std::chrono::seconds(60)));
    ASSERT_EQ(flooded.Stop().exit_code, 0);
  }

  testing::ProcessResult Report(std::vector<std::string> args) {
    args.insert(args.begin(), {SLUICE_CLI, "report", "--config", reader_.config_path()});
    return RunProcess(args);
  }

  testing::TempDir dir_;
  DaemonHarness reader_{pg(), testing::ReaderConfig(pg())};
};

TEST_F(ReportTest, TheTotalsAreTheAccountingsInEveryFormat) {
  const long long detail = std::stoll(pg().Query("SELECT detail_events FROM sluice.accounting"));
  const long long aggregated =
      std::stoll(pg().Query("SELECT aggregated_events FROM sluice.accounting"));
  ASSERT_EQ(detail + aggregated, 20000);
  ASSERT_GT(aggregated, 0) << "the ladder aggregated";

  // sluice-attack's wording mix holds a few lines that are not rejects (or that no parser
  // reads, kept raw): rows, but not rejects.
  const long long not_rejects =
      std::stoll(pg().Query("SELECT count(*) FROM sluice.events WHERE is_reject IS NOT TRUE"));
  const long long rejects = 20000 - not_rejects;

  auto json = Report({"--format", "json", "--since", "1h"});
  ASSERT_EQ(json.exit_code, 0) << json.output;
  EXPECT_EQ(JsonNumber(json.output, "rejects"), rejects) << json.output;
  EXPECT_EQ(JsonNumber(json.output, "detail"), detail - not_rejects);
  EXPECT_EQ(JsonNumber(json.output, "aggregated"), aggregated);
  EXPECT_EQ(JsonNumber(json.output, "shed"), 0);
  EXPECT_EQ(JsonNumber(json.output, "not_rejects"), not_rejects);
  EXPECT_NE(json.output.find("\"floods\":[{\"from\":"), std::string::npos) << json.output;
  // The classes add up to the total.
  long long by_class = 0;
  const std::string classes = json.output.substr(json.output.find("\"by_class\":"));
  const std::string first = classes.substr(0, classes.find(']'));
  std::regex count("\"rejects\":([0-9]+)");
  for (auto it = std::sregex_iterator(first.begin(), first.end(), count);
       it != std::sregex_iterator(); ++it) {
    by_class += std::stoll((*it)[1]);
  }
  EXPECT_EQ(by_class, rejects) << first;

  auto text = Report({"--since", "1h"});
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("rejects (detail + aggregated)"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("Top client addresses"), std::string::npos);
  EXPECT_NE(text.output.find("Flood periods"), std::string::npos);
  auto markdown = Report({"--since", "1h", "--format", "markdown", "--top", "3"});
  ASSERT_EQ(markdown.exit_code, 0) << markdown.output;
  EXPECT_NE(markdown.output.find("| rejects (detail + aggregated) | "), std::string::npos)
      << markdown.output;
  EXPECT_NE(
      markdown.output.find("| other lines stored (malformed; all, with ingest.keep = all) | " +
                           std::to_string(not_rejects) + " |"),
      std::string::npos)
      << markdown.output;
}

TEST_F(ReportTest, AnAddressOnlyEverAggregatedIsInTheTopListsAndFoundByLookup) {
  // The busiest address: most of its rejects are aggregated, so only the view finds them all.
  const std::string busiest = pg().Query(
      "SELECT host(client_ip) FROM sluice.rejects WHERE masklen(client_ip) IN (32, 128) "
      "GROUP BY 1 ORDER BY sum(events) DESC, 1 LIMIT 1");
  auto text = Report({"--since", "1h", "--top", "1"});
  EXPECT_NE(text.output.find("Top client addresses\n  " + busiest), std::string::npos)
      << text.output;
  auto lookup = RunProcess(
      {SLUICE_CLI, "lookup", "--config", reader_.config_path(), "--ip", busiest, "--since", "1h"});
  EXPECT_EQ(lookup.exit_code, 0) << lookup.output;
  EXPECT_NE(lookup.output.find(" | aggregate:"), std::string::npos) << lookup.output;
}

TEST_F(ReportTest, TheHtmlPageStandsAloneAndChromiumDrawsItsCharts) {
  const std::string page = dir_.File("report.html");
  auto html = Report({"--since", "1h", "--format", "html", "--output", page});
  ASSERT_EQ(html.exit_code, 0) << html.output;
  const std::string text = testing::ReadFile(page);
  EXPECT_EQ(text.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(text.find("aria-label=\"rejects over time by class\""), std::string::npos);
  EXPECT_NE(text.find("class=\"flood\""), std::string::npos) << "flood periods are marked";
  EXPECT_EQ(text.find("<script"), std::string::npos);
  EXPECT_EQ(text.find("<link"), std::string::npos);
  EXPECT_EQ(std::regex_search(text, std::regex("(src|href)=")), false) << "nothing from elsewhere";
  // Well formed: Python's parser sees every element it opens closed, in order.
  auto parsed = RunProcess({"python3", "-c",
                            "import html.parser, sys\n"
                            "void = {'meta', 'br', 'img', 'input', 'link', 'hr'}\n"
                            "class P(html.parser.HTMLParser):\n"
                            "    stack = []\n"
                            "    def handle_starttag(self, tag, attrs):\n"
                            "        if tag not in void: self.stack.append(tag)\n"
                            "    def handle_startendtag(self, tag, attrs): pass\n"
                            "    def handle_endtag(self, tag):\n"
                            "        assert self.stack and self.stack.pop() == tag, tag\n"
                            "p = P(); p.feed(open(sys.argv[1]).read()); p.close()\n"
                            "assert not p.stack, p.stack\n"
                            "print('well formed')\n",
                            page});
  EXPECT_EQ(parsed.output, "well formed\n") << parsed.output;

  if (!std::filesystem::exists("/usr/bin/chromium")) {
    GTEST_SKIP() << "chromium is not installed (tools/install-deps installs it)";
  }
  const std::string png = dir_.File("report.png");
  auto shot =
      RunProcess({"chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                  "--window-size=1024,1400", "--screenshot=" + png, "file://" + page},
                 std::chrono::seconds(120));
  ASSERT_TRUE(std::filesystem::exists(png)) << shot.output;
  if (const char* keep = std::getenv("SLUICE_REPORT_KEEP")) {  // a directory: for the docs
    std::filesystem::copy_file(png, std::string(keep) + "/report.png",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(page, std::string(keep) + "/report.html",
                               std::filesystem::copy_options::overwrite_existing);
  }
  auto seen = RunProcess(
      {"python3", std::string(SLUICE_SOURCE_DIR) + "/test/integration/png_check.py", png});
  ASSERT_EQ(seen.exit_code, 0) << seen.output;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(seen.output, match, std::regex("colours=([0-9]+) ink=([0-9.]+)")))
      << seen.output;
  EXPECT_GE(std::stoi(match[1]), 8) << "the chart's classes in their colours: " << seen.output;
  EXPECT_GT(std::stod(match[2]), 0.05) << "not a blank page: " << seen.output;
}

}  // namespace
}  // namespace sluice
