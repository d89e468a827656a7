#pragma once

#include <string>
#include <string_view>
#include <vector>

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
// The text of the config file at `path`; kInvalidArgument when it cannot be read.
Result<std::string> ReadConfigFile(const std::string& path);

// The keys ("table.key") whose values differ between two config texts, sorted; a key set in
// one and left to its default in the other counts as changed. For SIGHUP: both texts are
// expected to have passed ParseConfig (text that does not parse has no keys). Thread-safe.
std::vector<std::string> ChangedKeys(std::string_view old_text, std::string_view new_text);

}  // namespace sluice::config
