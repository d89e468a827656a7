#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sluice::config {

// A TCP address to listen on or connect to: "HOST:PORT", HOST an IPv4 address, a bracketed
// IPv6 address ("[::1]:9926") or "localhost". Value type.
struct ListenAddress {
  std::string host;  // without brackets
  int port = 0;
};

// Parses `text`; nullopt when it is not of that form or the port is not 1..65535.
// Thread-safe.
std::optional<ListenAddress> ParseListenAddress(std::string_view text);

}  // namespace sluice::config
