#include "pipeline/network_prefix.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>

namespace sluice::pipeline {

void NetworkOf(std::string_view address, std::string& out) {
  out.clear();
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (address.empty() || address.size() >= text.size()) return;
  address.copy(text.data(), address.size());
  std::array<unsigned char, 16> bytes{};
  std::array<char, INET6_ADDRSTRLEN> network{};
  if (inet_pton(AF_INET, text.data(), bytes.data()) == 1) {
    bytes[3] = 0;
    inet_ntop(AF_INET, bytes.data(), network.data(), network.size());
    out.append(network.data()).append("/24");
  } else if (inet_pton(AF_INET6, text.data(), bytes.data()) == 1) {
    std::fill(bytes.begin() + 8, bytes.end(), 0);
    inet_ntop(AF_INET6, bytes.data(), network.data(), network.size());
    out.append(network.data()).append("/64");
  }
}

}  // namespace sluice::pipeline
