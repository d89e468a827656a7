// libFuzzer target: any bytes as a log file for `sluice import`: plain, gzip (several members)
// or zstd, told apart by magic bytes. Beyond "no crash", it checks that no line holds a
// newline (a compressed input may expand to far more lines than it has bytes, so their number
// is not bounded here; a read that never ends is libFuzzer's timeout).
// Seeds: test/fuzz/corpus/log_source_fuzzer/ (made by make_fuzz_seeds).
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/log_source.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const int fd = ::memfd_create("log", 0);
  if (fd < 0 || ::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) {
    std::abort();
  }
  auto source = sluice::cli::LogSource::Open("/proc/self/fd/" + std::to_string(fd));
  if (!source) return 0;
  while (true) {
    auto line = (*source)->NextLine();
    if (!line || !*line) break;
    if ((*line)->find('\n') != std::string_view::npos) {
      std::fprintf(stderr, "log_source_fuzzer: a line with a newline\n");
      std::abort();
    }
  }
  return 0;
}
