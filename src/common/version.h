#pragma once

#include <string_view>

namespace sluice {

// The version of this build ("0.1.0"), from CMakeLists.txt's project(). Thread-safe.
std::string_view Version();

}  // namespace sluice
