#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "format/copy_decoder.h"

namespace sluice::cli {

// `text` as a JSON string, quotes included, escaped per RFC 8259. Thread-safe.
std::string JsonString(std::string_view text);

// `fields` as one JSON object with the non-NULL columns; strings escaped per RFC 8259.
// Stateless and thread-safe.
std::string FieldsToJson(const std::vector<format::DecodedField>& fields);

}  // namespace sluice::cli
