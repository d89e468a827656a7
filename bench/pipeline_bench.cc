// Cost per row of turning a datagram into a binary COPY tuple (frame parse, UTF-8 check,
// encoding), against copying the same bytes (the floor any pipeline pays).
#include <cstring>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "format/copy_encoder.h"
#include "ingest/datagram_block.h"
#include "pipeline/event_builder.h"
#include "reject_lines.h"

namespace {

// 1024 reject datagrams, each from an address of its own.
std::vector<std::string> Lines() { return sluice::attack::RejectLines(1024, 1024, 0); }

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
