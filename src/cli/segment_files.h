#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::cli {

// The segment files (*.sgz) in spool directory `dir`, sorted by name (oldest first), then,
// with `quarantined`, those in its quarantine/ (if it exists). When the directory cannot be
// read, prints "sluice VERB: DIR: why" on stderr and returns nullopt. Thread-safe.
std::optional<std::vector<std::filesystem::path>> ListSegmentFiles(const std::string& dir,
                                                                   std::string_view verb,
                                                                   bool quarantined);

}  // namespace sluice::cli
