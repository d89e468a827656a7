// Parser throughput per MTA, in lines per second on one core: the reject lines of each
// corpus file (test/parse/corpus/), framed and parsed as the pipeline does, against the
// syslog framing alone on the same lines (the part every line pays, whatever its MTA).
#include <fstream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "format/event_row.h"
#include "parse/mta_line.h"
#include "parse/syslog_frame.h"

namespace {

// The `line:` values of a corpus file whose case says `is_reject: true`.
std::vector<std::string> RejectLines(const std::string& mta) {
  std::ifstream in(std::string(SLUICE_SOURCE_DIR) + "/test/parse/corpus/" + mta + ".txt");
  std::vector<std::string> lines;
  std::string text, line;
  while (std::getline(in, text)) {
    if (text.starts_with("line: ")) line = text.substr(6);
    if (text == "is_reject: true") lines.push_back(line);
  }
  return lines;
}

void Run(benchmark::State& state, const std::string& mta, bool parse_mta) {
  std::vector<std::string> lines = RejectLines(mta);
  if (lines.empty()) return state.SkipWithError("no corpus lines");
  sluice::parse::TimestampResolver resolver;
  resolver.SetNow(1'795'867'200'000'000);
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const std::string& line = lines[i++ % lines.size()];
    bytes += line.size();
    sluice::format::EventRow row;
    auto frame = sluice::parse::ParseSyslogFrame(line, resolver);
    if (parse_mta && frame) sluice::parse::ParseMtaLine(frame->program, frame->message, row);
    benchmark::DoNotOptimize(frame);
    benchmark::DoNotOptimize(row);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

void BM_FrameOnly(benchmark::State& state, const char* mta) { Run(state, mta, false); }
void BM_FrameAndReject(benchmark::State& state, const char* mta) { Run(state, mta, true); }

BENCHMARK_CAPTURE(BM_FrameOnly, postfix, "postfix");
BENCHMARK_CAPTURE(BM_FrameAndReject, postfix, "postfix");
BENCHMARK_CAPTURE(BM_FrameOnly, exim, "exim");
BENCHMARK_CAPTURE(BM_FrameAndReject, exim, "exim");
BENCHMARK_CAPTURE(BM_FrameOnly, sendmail, "sendmail");
BENCHMARK_CAPTURE(BM_FrameAndReject, sendmail, "sendmail");

}  // namespace

BENCHMARK_MAIN();
