#pragma once

#include <string>
#include <string_view>

namespace sluice::pipeline {

// Writes the /24 (IPv4) or /64 (IPv6) network of `address` to `out` as text, e.g.
// "198.18.3.0/24", or leaves `out` empty when `address` is not an IP address.
// Stateless and thread-safe.
void NetworkOf(std::string_view address, std::string& out);

}  // namespace sluice::pipeline
