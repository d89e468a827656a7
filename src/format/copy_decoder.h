#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sluice::format {

// One column of a decoded sluice.events row.
struct DecodedField {
  std::string_view name;  // as in kEventColumns
  bool null = true;
  std::string text;    // PostgreSQL's text form: ISO 8601 UTC timestamps, "t"/"f", addresses
  bool quoted = true;  // false for numbers and booleans (JSON writes them bare)
};

// Reads back the binary COPY streams CopyEncoder writes, for tools that show or split a
// spooled batch. Stateless and thread-safe.
class CopyDecoder {
 public:
  // The tuples of `copy_data`, each a view of its bytes (field count included), in order.
  // kCorruption when the stream is not one CopyEncoder wrote.
  static Result<std::vector<std::string_view>> SplitTuples(std::string_view copy_data);
  // A complete COPY stream (header, `tuples`, trailer) of the given tuples.
  static std::string Assemble(const std::vector<std::string_view>& tuples);
  // The columns of one tuple from SplitTuples (20 in batch format 2, 21 now). kCorruption when it
  // does not decode.
  static Result<std::vector<DecodedField>> DecodeTuple(std::string_view tuple);
};

// The text of the column `name` in `fields` ("" when NULL or absent).
std::string_view FieldText(const std::vector<DecodedField>& fields, std::string_view name);

}  // namespace sluice::format
