#pragma once

#include <string>
#include <vector>

#include "format/copy_decoder.h"

namespace sluice::cli {

// `fields` as one JSON object with the non-NULL columns; strings escaped per RFC 8259.
// Stateless and thread-safe.
std::string FieldsToJson(const std::vector<format::DecodedField>& fields);

}  // namespace sluice::cli
