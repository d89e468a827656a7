// libFuzzer target: any bytes as a batch's events COPY stream, as `sluice spool cat` and the
// writers' bisection decode it. Beyond "no crash, no out-of-bounds read", it checks that
// assembling the tuples it split gives a stream that splits into the same tuples.
// Seeds: test/fuzz/corpus/copy_decoder_fuzzer/ (made by make_fuzz_seeds).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "format/copy_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using sluice::format::CopyDecoder;
  std::string_view stream(reinterpret_cast<const char*>(data), size);
  auto tuples = CopyDecoder::SplitTuples(stream);
  if (!tuples) return 0;
  for (std::string_view tuple : *tuples) (void)CopyDecoder::DecodeTuple(tuple);
  std::string again = CopyDecoder::Assemble(*tuples);
  auto resplit = CopyDecoder::SplitTuples(again);
  if (!resplit || *resplit != *tuples) {
    std::fprintf(stderr, "copy_decoder_fuzzer: reassembled tuples do not split the same\n");
    std::abort();
  }
  return 0;
}
