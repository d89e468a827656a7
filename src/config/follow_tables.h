#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "common/status.h"

namespace sluice::config {

// The `[[follow]]` tables of a config file: one per log file sluiced follows, each with
// `path` (absolute, no newline, each file once). kInvalidArgument, naming the file and line,
// for anything else. Stateless.
Result<std::vector<std::string>> ParseFollowTables(const toml::node& follow,
                                                   std::string_view file_name);

}  // namespace sluice::config
