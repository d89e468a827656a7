// libFuzzer target: any datagram through the row builder (syslog framing, then the Postfix,
// Exim or Sendmail parser) and the binary COPY encoder. Beyond "no crash, no out-of-bounds
// read" (AddressSanitizer, UndefinedBehaviorSanitizer), it checks what PostgreSQL relies on:
// every text field is valid UTF-8 without NUL, and the encoded row decodes back to the same
// raw line. Seeds: the `line:` values of test/parse/corpus/*.txt (see test/CMakeLists.txt).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "format/copy_decoder.h"
#include "format/copy_encoder.h"
#include "parse/raw_text.h"
#include "parse/reason_class.h"
#include "pipeline/event_builder.h"

namespace {

void Require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "row_builder_fuzzer: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice;
  static pipeline::EventBuilder* builder = [] {
    auto* made = new pipeline::EventBuilder;
    made->SetNow(1'795'867'200'000'000);  // 2026-11-28T12:00:00Z
    return made;
  }();
  std::string_view payload(reinterpret_cast<const char*>(data), size);
  format::EventRow row = builder->Build({payload, 1'795'867'200'000'000, false});

  Require(parse::IsStorableText(row.raw), "raw is not storable text");
  for (std::string_view field :
       {row.host, row.program, row.mta, row.stage, row.client_ip, row.client_name, row.helo,
        row.sender, row.recipient, row.dsn, row.reason, row.rbl}) {
    Require(parse::IsStorableText(field), "a parsed field is not storable text");
  }
  Require(row.reason_class.empty() == (row.is_reject != true),
          "a reject without a class, or a class without a reject");
  Require(row.reason_class.empty() ||
              std::find(std::begin(parse::kReasonClasses), std::end(parse::kReasonClasses),
                        row.reason_class) != std::end(parse::kReasonClasses),
          "a class outside the documented set");

  std::string copy;
  format::CopyEncoder::AppendHeader(copy);
  format::CopyEncoder::AppendRow(copy, row, 1);
  format::CopyEncoder::AppendTrailer(copy);
  auto tuples = format::CopyDecoder::SplitTuples(copy);
  Require(tuples && tuples->size() == 1, "the encoded row does not split back");
  auto fields = format::CopyDecoder::DecodeTuple(tuples->front());
  Require(fields.has_value(), "the encoded row does not decode");
  Require(format::FieldText(*fields, "raw") == row.raw, "raw does not round-trip");
  return 0;
}
