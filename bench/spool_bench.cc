// Spool segment write and read speed, and bytes on disk per event, on realistic reject
// lines; the baseline is write() of the same uncompressed COPY bytes to a file.
// Figures: bytes_per_second counts uncompressed COPY bytes; "ratio" is COPY bytes per byte
// on disk; "disk_B/event" is what one event costs on disk.
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "common/env.h"
#include "format/batch.h"
#include "format/copy_encoder.h"
#include "ingest/datagram_block.h"
#include "pipeline/event_builder.h"
#include "reject_lines.h"
#include "spool/segment_reader.h"
#include "spool/segment_writer.h"

namespace {

constexpr int kRowsPerBatch = 5000;  // database.batch_rows' default
constexpr int kBatches = 20;

std::vector<sluice::format::Batch> Batches() {
  // Reject lines as a flood sends them: Zipf-skewed client addresses, the attack's wordings.
  const std::vector<std::string> lines =
      sluice::attack::RejectLines(kBatches * kRowsPerBatch, 100'000, 1.0, 20261128);
  sluice::pipeline::EventBuilder builder;
  builder.SetNow(1'795'867'200'000'000);
  std::vector<sluice::format::Batch> batches;
  for (int b = 0; b < kBatches; ++b) {
    sluice::format::Batch batch;
    batch.id = static_cast<uint64_t>(b + 1);
    sluice::format::CopyEncoder::AppendHeader(batch.copy_data);
    for (int r = 0; r < kRowsPerBatch; ++r) {
      const std::string& line = lines[static_cast<size_t>(b * kRowsPerBatch + r)];
      sluice::ingest::Datagram datagram{line, 1'795'867'200'000'000 + r, false};
      sluice::format::CopyEncoder::AppendRow(batch.copy_data, builder.Build(datagram),
                                             static_cast<int64_t>(batch.id));
    }
    sluice::format::CopyEncoder::AppendTrailer(batch.copy_data);
    batch.rows = kRowsPerBatch;
    batches.push_back(std::move(batch));
  }
  return batches;
}

const std::vector<sluice::format::Batch>& SharedBatches() {
  static const auto* batches = new std::vector<sluice::format::Batch>(Batches());
  return *batches;
}

// A file in a directory of this process's own, removed (with the directory) at exit.
std::string TempPath(const std::string& name) {
  struct Dir {
    std::string path;
    Dir() {
      std::string templ = (std::filesystem::temp_directory_path() / "sluice-bench.XXXXXX").string();
      const char* made = ::mkdtemp(templ.data());
      path = made != nullptr ? made : std::filesystem::temp_directory_path().string();
    }
    ~Dir() {
      std::error_code ec;
      if (path != std::filesystem::temp_directory_path().string()) {
        std::filesystem::remove_all(path, ec);
      }
    }
  };
  static const Dir dir;
  return dir.path + "/" + name;
}

uint64_t RawBytes() {
  uint64_t bytes = 0;
  for (const auto& batch : SharedBatches()) bytes += batch.copy_data.size();
  return bytes;
}

void BM_FileWriteBaseline(benchmark::State& state) {
  const auto& batches = SharedBatches();
  std::string path = TempPath("baseline");
  for (auto _ : state) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    for (const auto& batch : batches) {
      benchmark::DoNotOptimize(::write(fd, batch.copy_data.data(), batch.copy_data.size()));
    }
    ::close(fd);
  }
  ::unlink(path.c_str());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(RawBytes()));
  state.SetItemsProcessed(state.iterations() * kBatches * kRowsPerBatch);
}
BENCHMARK(BM_FileWriteBaseline)->Unit(benchmark::kMillisecond);

void BM_SegmentAppend(benchmark::State& state) {
  const auto& batches = SharedBatches();
  std::string path = TempPath("append");
  uint64_t disk = 0;
  for (auto _ : state) {
    ::unlink(path.c_str());
    auto writer = sluice::spool::SegmentWriter::Create(sluice::DefaultEnv().fs, path,
                                                       static_cast<int>(state.range(0)),
                                                       "bench:/run/sluice/sluice.sock");
    if (!writer) {
      state.SkipWithError(writer.error().message().c_str());
      return;
    }
    for (const auto& batch : batches) benchmark::DoNotOptimize((*writer)->Append(batch));
    disk = (*writer)->bytes();
  }
  ::unlink(path.c_str());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(RawBytes()));
  state.SetItemsProcessed(state.iterations() * kBatches * kRowsPerBatch);
  state.counters["ratio"] = static_cast<double>(RawBytes()) / static_cast<double>(disk);
  state.counters["disk_B/event"] = static_cast<double>(disk) / (kBatches * kRowsPerBatch);
  state.counters["copy_B/event"] = static_cast<double>(RawBytes()) / (kBatches * kRowsPerBatch);
}
BENCHMARK(BM_SegmentAppend)->Arg(1)->Arg(3)->Arg(9)->Unit(benchmark::kMillisecond);

void BM_SegmentRead(benchmark::State& state) {
  std::string path = TempPath("read");
  {
    ::unlink(path.c_str());
    auto writer = sluice::spool::SegmentWriter::Create(sluice::DefaultEnv().fs, path, 3);
    for (const auto& batch : SharedBatches()) (void)(*writer)->Append(batch);
  }
  for (auto _ : state) {
    auto contents = sluice::spool::ReadSegment(sluice::DefaultEnv().fs, path);
    if (!contents || contents->batches.size() != kBatches) {
      state.SkipWithError("segment did not read back whole");
      return;
    }
    benchmark::DoNotOptimize(contents->batches.data());
  }
  ::unlink(path.c_str());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(RawBytes()));
  state.SetItemsProcessed(state.iterations() * kBatches * kRowsPerBatch);
}
BENCHMARK(BM_SegmentRead)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
