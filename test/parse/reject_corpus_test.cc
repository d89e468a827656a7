// The MTA corpus (test/parse/corpus/*.txt) through the row builder the pipeline uses: syslog
// framing, then the Postfix, Exim or Sendmail parser. Each case is a `line:` and the fields
// expected from it; a field the case does not name must be NULL (false for is_reject only if
// named). The corpus files are also the fuzzer's seeds (test/fuzz/).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "parse/exim_log_line.h"
#include "pipeline/event_builder.h"
#include "support/paths.h"

namespace sluice::pipeline {
namespace {

namespace fs = std::filesystem;

struct Case {
  std::string where;  // file:line of its `line:`
  std::string line;
  std::map<std::string, std::string> expected;
};

// Reads "key: value" lines; a case starts at each "line:"; '#' lines are comments.
std::vector<Case> ReadCorpus(const fs::path& file) {
  std::vector<Case> cases;
  std::ifstream in(file);
  std::string text;
  for (int number = 1; std::getline(in, text); ++number) {
    if (text.empty() || text.starts_with('#')) continue;
    size_t colon = text.find(": ");
    if (colon == std::string::npos) {
      ADD_FAILURE() << file << ":" << number << ": not `key: value`: " << text;
      continue;
    }
    std::string key = text.substr(0, colon), value = text.substr(colon + 2);
    if (key == "line") {
      cases.push_back({file.filename().string() + ":" + std::to_string(number), value, {}});
    } else if (cases.empty() || !cases.back().expected.emplace(key, value).second) {
      ADD_FAILURE() << file << ":" << number << ": `" << key << "` outside a case or twice";
    }
  }
  return cases;
}

std::map<std::string, std::string> Fields(const format::EventRow& row) {
  std::map<std::string, std::string> fields;
  auto text = [&](const char* name, std::string_view value) {
    if (!value.empty()) fields[name] = std::string(value);
  };
  text("host", row.host);
  text("program", row.program);
  if (row.pid) fields["pid"] = std::to_string(*row.pid);
  text("mta", row.mta);
  text("stage", row.stage);
  if (row.is_reject) fields["is_reject"] = *row.is_reject ? "true" : "false";
  text("client_ip", row.client_ip);
  text("client_name", row.client_name);
  text("helo", row.helo);
  text("sender", row.sender);
  text("recipient", row.recipient);
  if (row.smtp_code) fields["smtp_code"] = std::to_string(*row.smtp_code);
  text("dsn", row.dsn);
  text("reason", row.reason);
  text("rbl", row.rbl);
  text("reason_class", row.reason_class);
  if (row.malformed) fields["malformed"] = "true";
  return fields;
}

std::string Describe(const std::map<std::string, std::string>& fields) {
  std::string out;
  for (const auto& [key, value] : fields) out += "\n  " + key + ": " + value;
  return out;
}

class RejectCorpusTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RejectCorpusTest, EveryLineGivesItsExpectedFields) {
  fs::path file = fs::path(SLUICE_SOURCE_DIR) / "test/parse/corpus" / GetParam();
  std::vector<Case> cases = ReadCorpus(file);
  ASSERT_GE(cases.size(), 10u) << file;
  EventBuilder builder;
  builder.SetNow(std::chrono::duration_cast<std::chrono::microseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count());
  int rejects = 0;
  for (const Case& c : cases) {
    ingest::Datagram datagram{c.line, 1, false};
    std::map<std::string, std::string> actual = Fields(builder.Build(datagram));
    EXPECT_EQ(Describe(actual), Describe(c.expected)) << c.where << ": " << c.line;
    rejects += c.expected.contains("is_reject") && c.expected.at("is_reject") == "true";
  }
  EXPECT_GE(rejects, 5) << "a corpus of rejects should mostly hold rejects";
}

// Every prefix of every corpus line (a datagram cut anywhere) parses, and every field points
// into the line: AddressSanitizer checks the reads.
TEST_P(RejectCorpusTest, EveryCutOfALineParsesWithinItsBytes) {
  fs::path file = fs::path(SLUICE_SOURCE_DIR) / "test/parse/corpus" / GetParam();
  EventBuilder builder;
  for (const Case& c : ReadCorpus(file)) {
    for (size_t length = 0; length <= c.line.size(); ++length) {
      std::string cut = c.line.substr(0, length);
      format::EventRow row = builder.Build({cut, 1, false});
      for (std::string_view field :
           {row.host, row.program, row.client_ip, row.client_name, row.helo, row.sender,
            row.recipient, row.dsn, row.reason, row.rbl}) {
        if (field.empty() || row.malformed) continue;
        // Rows of Exim's own files name their program with a constant, not a piece of the line.
        if (field.data() == row.program.data() && field == parse::kEximProgram) continue;
        ASSERT_GE(field.data(), cut.data()) << c.where << " cut at " << length;
        ASSERT_LE(field.data() + field.size(), cut.data() + cut.size())
            << c.where << " cut at " << length;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Mtas, RejectCorpusTest,
                         ::testing::Values("postfix.txt", "exim.txt", "sendmail.txt", "syslog.txt"),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           return param.param.substr(0, param.param.find('.'));
                         });

}  // namespace
}  // namespace sluice::pipeline
