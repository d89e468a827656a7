#pragma once

#include <optional>
#include <string>

namespace sluice::cli {

// "90m", "24h", "7d", "30s" (a positive count and s, m, h or d) as the text of a PostgreSQL
// interval ("90 minutes"); nullopt if it is not one.
std::optional<std::string> IntervalText(const std::string& since);

}  // namespace sluice::cli
