#include "cli/period.h"

#include <charconv>

namespace sluice::cli {

std::optional<std::string> IntervalText(const std::string& since) {
  if (since.size() < 2) return std::nullopt;
  long long amount = 0;
  auto [end, error] = std::from_chars(since.data(), since.data() + since.size() - 1, amount);
  if (error != std::errc() || end != since.data() + since.size() - 1 || amount <= 0) {
    return std::nullopt;
  }
  switch (since.back()) {
    case 's':
      return std::to_string(amount) + " seconds";
    case 'm':
      return std::to_string(amount) + " minutes";
    case 'h':
      return std::to_string(amount) + " hours";
    case 'd':
      return std::to_string(amount) + " days";
    default:
      return std::nullopt;
  }
}

}  // namespace sluice::cli
