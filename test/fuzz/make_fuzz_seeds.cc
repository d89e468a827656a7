// Writes the seed inputs of the fuzz targets into DIR/<target>/, one input per file, from the
// project's own code and corpora: one reject line per file from test/parse/corpus, a real
// spool segment, a real events COPY stream, the example config and variations of it, and
// logs as plain text, gzip and zstd. Run once to (re)make test/fuzz/corpus:
//   build/fuzz/test/make_fuzz_seeds SOURCE_DIR test/fuzz/corpus
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <zstd.h>

#include "common/posix_file_system.h"
#include "format/copy_encoder.h"
#include "pipeline/batcher.h"
#include "pipeline/event_builder.h"
#include "spool/segment_writer.h"

namespace {

namespace fs = std::filesystem;

void Write(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string Read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> CorpusLines(const fs::path& source) {
  std::vector<std::string> lines;
  for (const auto& entry : fs::directory_iterator(source / "test/parse/corpus")) {
    std::istringstream in(Read(entry.path()));
    for (std::string line; std::getline(in, line);) {
      if (line.starts_with("line: ")) lines.push_back(line.substr(6));
    }
  }
  return lines;
}

std::string Gzip(const std::string& text) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, static_cast<uLong>(text.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string Zstd(const std::string& text) {
  std::string out(ZSTD_compressBound(text.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), text.data(), text.size(), 3));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: make_fuzz_seeds SOURCE_DIR OUT_DIR\n";
    return 2;
  }
  const fs::path source = argv[1], out = argv[2];
  std::vector<std::string> lines = CorpusLines(source);

  for (size_t i = 0; i < lines.size(); ++i) {
    Write(out / "row_builder_fuzzer" / ("line-" + std::to_string(i)), lines[i]);
  }

  // A batch of the corpus lines as the pipeline makes it: its COPY stream, and a segment.
  std::vector<sluice::format::Batch> batches;
  sluice::pipeline::Batcher batcher(
      40, std::chrono::hours(1), 1,
      [&](sluice::format::Batch&& batch) { batches.push_back(std::move(batch)); });
  sluice::pipeline::EventBuilder builder;
  builder.SetNow(1'795'867'200'000'000);
  for (const std::string& line : lines) {
    batcher.Add(builder.Build({line, 1'795'867'200'000'000, false}),
                sluice::pipeline::Batcher::Clock::now());
  }
  batcher.Flush();
  for (size_t i = 0; i < 3 && i < batches.size(); ++i) {
    Write(out / "copy_decoder_fuzzer" / ("batch-" + std::to_string(i)), batches[i].copy_data);
  }
  sluice::PosixFileSystem posix;
  fs::path segment = out / "segment_reader_fuzzer" / "segment-2-batches";
  fs::create_directories(segment.parent_path());
  fs::remove(segment);
  auto writer = sluice::spool::SegmentWriter::Create(posix, segment.string(), 3, "mx1:/run/s");
  if (!writer) return 1;
  for (size_t i = 0; i < 2 && i < batches.size(); ++i) {
    if (!(*writer)->Append(batches[i])) return 1;
  }

  std::string config = Read(source / "conf/sluice.toml");
  Write(out / "config_loader_fuzzer" / "example", config);
  Write(out / "config_loader_fuzzer" / "minimal", "[database]\nconninfo = \"\"\n");
  Write(out / "config_loader_fuzzer" / "flood",
        "[database]\nconninfo = \"host=/run/pg\"\n[flood]\nmode = \"always\"\n"
        "key = [\"client_ip\", \"host\"]\nmax_keys = 1000\n");

  std::string log;
  for (size_t i = 0; i < 20 && i < lines.size(); ++i) log += lines[i] + "\n";
  Write(out / "log_source_fuzzer" / "plain", log);
  Write(out / "log_source_fuzzer" / "gzip", Gzip(log));
  Write(out / "log_source_fuzzer" / "gzip-two-members", Gzip(log) + Gzip("last line\n"));
  Write(out / "log_source_fuzzer" / "zstd", Zstd(log));
  return 0;
}
