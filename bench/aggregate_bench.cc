// Aggregation under flood, on one core: events/s through row building + aggregation against
// row building + detail-row encoding on the same lines (what every event costs outside a
// flood); rows written per million events with the ladder aggregating; and the memory an
// aggregation window takes per distinct key.
#include <malloc.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "common/counters.h"
#include "format/copy_encoder.h"
#include "pipeline/aggregator.h"
#include "pipeline/event_builder.h"
#include "pipeline/flood_ladder.h"
#include "reject_lines.h"
#include "support/fake_clock.h"

namespace {

using sluice::pipeline::Aggregator;

// Reject datagrams from `distinct` addresses, Zipf-distributed (exponent 1).
std::vector<std::string> Lines(size_t count, uint32_t distinct) {
  return sluice::attack::RejectLines(count, distinct, 1.0);
}

// Baseline: each line becomes a detail row (sluice.events, binary COPY).
void BM_BuildAndEncodeDetail(benchmark::State& state) {
  auto lines = Lines(1 << 16, static_cast<uint32_t>(state.range(0)));
  sluice::pipeline::EventBuilder builder;
  std::string out;
  out.reserve(2 << 20);
  size_t i = 0;
  for (auto _ : state) {
    if (out.size() > (1 << 20)) out.clear();  // about one batch, as the batcher sends them
    const std::string& line = lines[i++ & (lines.size() - 1)];
    sluice::format::CopyEncoder::AppendRow(out, builder.Build({line, 1, false}), 1);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BuildAndEncodeDetail)->Arg(1'000)->Arg(100'000);

// Under flood: each line is counted in its key's aggregate instead.
void BM_BuildAndAggregate(benchmark::State& state) {
  auto lines = Lines(1 << 16, static_cast<uint32_t>(state.range(0)));
  sluice::pipeline::EventBuilder builder;
  Aggregator aggregator({});
  size_t i = 0;
  for (auto _ : state) {
    const std::string& line = lines[i++ & (lines.size() - 1)];
    benchmark::DoNotOptimize(aggregator.Add(builder.Build({line, 1, false})));
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["keys"] = static_cast<double>(aggregator.keys());
}
BENCHMARK(BM_BuildAndAggregate)->Arg(1'000)->Arg(100'000);

// Rows the database receives per million rejects with the ladder aggregating (flood.mode
// "always", 1 detail row in 100, one 10 s window per 200,000 events as at 20 k events/s),
// for 1 k to 5 M distinct addresses; and the window's peak keys.
void BM_RowsPerMillionEventsUnderFlood(benchmark::State& state) {
  const auto distinct = static_cast<uint32_t>(state.range(0));
  auto lines = Lines(1'000'000, distinct);
  for (auto _ : state) {
    sluice::Counters counters;
    uint64_t rows = 0, next_id = 1;
    sluice::pipeline::FloodLadder::Options options;
    options.detector.mode = sluice::pipeline::FloodMode::kAlways;
    sluice::testing::FakeClock clock(1'000'000);
    sluice::pipeline::FloodLadder ladder(
        options, counters, clock, [&] { return next_id++; },
        [&](sluice::format::Batch&& batch) {
          rows += batch.aggregate_rows + batch.shed_rows;
          return true;
        },
        nullptr);
    sluice::pipeline::EventBuilder builder;
    for (size_t i = 0; i < lines.size(); ++i) {
      if (ladder.TakeReject(builder.Build({lines[i], 1, false}))) ++rows;
      if ((i + 1) % 200'000 == 0) {
        clock.Advance(std::chrono::seconds(10));
        ladder.Flush();
      }
    }
    clock.Advance(std::chrono::microseconds(1));
    ladder.Flush();
    state.counters["rows_per_million"] = static_cast<double>(rows);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(lines.size()));
}
BENCHMARK(BM_RowsPerMillionEventsUnderFlood)
    ->Arg(1'000)
    ->Arg(100'000)
    ->Arg(5'000'000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

// Bytes the heap hands out now.
size_t HeapInUse() { return mallinfo2().uordblks; }

// Memory of one window with `keys` distinct keys (each its own address, a 250-byte sample
// line each), measured as the growth of the heap in use.
void BM_WindowMemoryPerKey(benchmark::State& state) {
  const auto keys = static_cast<uint32_t>(state.range(0));
  std::vector<std::string> ips;
  ips.reserve(keys);
  for (uint32_t k = 0; k < keys; ++k) ips.push_back(sluice::attack::ClientAddress((1u << 17) + k));
  std::string raw(250, 'x');  // a typical reject line's length, for the sample
  for (auto _ : state) {
    size_t before = HeapInUse();
    Aggregator::Options options;
    options.max_keys = keys;
    Aggregator aggregator(options);
    sluice::format::EventRow row;
    row.is_reject = true;
    row.host = "mx1";
    row.reason_class = "rbl";
    row.rbl = "zen.spamhaus.org";
    row.raw = raw;
    for (const std::string& ip : ips) {
      row.client_ip = ip;
      aggregator.Add(row);
    }
    size_t after = HeapInUse();
    state.counters["bytes_per_key"] = static_cast<double>(after - before) / keys;
    state.counters["keys"] = static_cast<double>(aggregator.keys());
  }
}
BENCHMARK(BM_WindowMemoryPerKey)
    ->Arg(10'000)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
