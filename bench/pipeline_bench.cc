// Cost per row of turning a datagram into a binary COPY tuple (frame parse, UTF-8 check,
// encoding), against copying the same bytes (the floor any pipeline pays).
#include <cstring>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "ingest/datagram_block.h"
#include "format/copy_encoder.h"
#include "pipeline/event_builder.h"

namespace {

std::vector<std::string> Lines() {
  std::vector<std::string> lines;
  for (int i = 0; i < 1024; ++i) {
    std::string ip = "198.18." + std::to_string(i / 256) + "." + std::to_string(i % 256);
    lines.push_back(
        "<22>Nov 28 10:07:37 postfix/smtpd[26021]: NOQUEUE: reject: RCPT from unknown[" + ip +
        "]: 554 5.7.1 Service unavailable; Client host [" + ip +
        "] blocked using zen.spamhaus.org; from=<spam" + std::to_string(i) +
        "@example.net> to=<user@example.org> proto=ESMTP helo=<bot.example.net>");
  }
  return lines;
}

void BM_CopyBytesBaseline(benchmark::State& state) {
  std::vector<std::string> lines = Lines();
  std::string out;
  out.reserve(1 << 22);
  size_t i = 0;
  for (auto _ : state) {
    if (out.size() > (1 << 21)) out.clear();
    const std::string& line = lines[i++ % lines.size()];
    out.append(line);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CopyBytesBaseline);

void BM_BuildAndEncodeRow(benchmark::State& state) {
  std::vector<std::string> lines = Lines();
  sluice::pipeline::EventBuilder builder;
  builder.SetNow(1'795'867'200'000'000);
  std::string out;
  out.reserve(1 << 22);
  size_t i = 0;
  for (auto _ : state) {
    if (out.size() > (1 << 21)) out.clear();
    const std::string& line = lines[i++ % lines.size()];
    sluice::ingest::Datagram datagram{line, 1'795'867'200'000'000, false};
    sluice::format::CopyEncoder::AppendRow(out, builder.Build(datagram), 1);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BuildAndEncodeRow);

}  // namespace

BENCHMARK_MAIN();
