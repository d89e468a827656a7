#include "config/listen_address.h"

#include <arpa/inet.h>

#include <charconv>

namespace sluice::config {

std::optional<ListenAddress> ParseListenAddress(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string host(text.substr(0, colon));
  std::string_view port_text = text.substr(colon + 1);
  int port = 0;
  auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (error != std::errc() || end != port_text.data() + port_text.size() || port < 1 ||
      port > 65535) {
    return std::nullopt;
  }
  unsigned char address[16];
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    if (inet_pton(AF_INET6, host.c_str(), address) != 1) return std::nullopt;
  } else if (host != "localhost" && inet_pton(AF_INET, host.c_str(), address) != 1) {
    return std::nullopt;
  }
  return ListenAddress{host, port};
}

}  // namespace sluice::config
