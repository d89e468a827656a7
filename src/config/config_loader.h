#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "config/settings.h"

namespace sluice::config {

// Parses TOML text into Settings. Unknown keys, wrong types, out-of-range values and a missing
// `database.conninfo` are refused with kInvalidArgument and a message of the form
// "FILE:LINE: key 'table.key': what is wrong". `file_name` is only used in messages.
// Thread-safe (no shared state).
Result<Settings> ParseConfig(std::string_view toml_text, std::string_view file_name);

// Reads `path` and parses it as ParseConfig does. A missing or unreadable file is kInvalidArgument.
Result<Settings> LoadConfig(const std::string& path);

}  // namespace sluice::config
