// libFuzzer target: any bytes as a spool segment file, as recovery and `sluice spool` read
// them. Beyond "no crash, no out-of-bounds read", it checks what recovery relies on: every
// intact batch lies inside the file, in order, and the file's valid end is inside it too.
// Seeds: test/fuzz/corpus/segment_reader_fuzzer/ (made by make_fuzz_seeds).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "spool/segment_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view file(reinterpret_cast<const char*>(data), size);
  auto contents = sluice::spool::ParseSegment(file, "fuzz");
  if (!contents) return 0;
  uint64_t end = 0;
  for (const auto& spooled : contents->batches) {
    if (spooled.offset < end || spooled.offset + spooled.stored_bytes > size) {
      std::fprintf(stderr, "segment_reader_fuzzer: a batch outside the file or out of order\n");
      std::abort();
    }
    end = spooled.offset + spooled.stored_bytes;
  }
  if (contents->valid_end > size) {
    std::fprintf(stderr, "segment_reader_fuzzer: valid end past the file\n");
    std::abort();
  }
  return 0;
}
