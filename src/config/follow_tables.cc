#include "config/follow_tables.h"

#include <algorithm>
#include <sstream>

namespace sluice::config {
namespace {

Error Refuse(std::string_view file_name, const toml::node& node, std::string_view problem) {
  std::ostringstream where;
  where << file_name << ":" << node.source().begin.line << ": key 'follow': " << problem;
  return Error(ErrorCode::kInvalidArgument, where.str());
}

}  // namespace

Result<std::vector<std::string>> ParseFollowTables(const toml::node& follow,
                                                   std::string_view file_name) {
  const toml::array* tables = follow.as_array();
  if (tables == nullptr || !tables->is_array_of_tables()) {
    return tl::unexpected(
        Refuse(file_name, follow, "expected [[follow]] tables, each with path = \"/var/log/...\""));
  }
  std::vector<std::string> paths;
  for (const toml::node& node : *tables) {
    const toml::table& table = *node.as_table();
    for (auto&& [key, value] : table) {
      if (key.str() != "path") {
        return tl::unexpected(
            Refuse(file_name, value, "unknown key '" + std::string(key.str()) + "'"));
      }
    }
    std::optional<std::string> path = table["path"].value_exact<std::string>();
    if (!path) return tl::unexpected(Refuse(file_name, node, "path: missing, or not a string"));
    if (path->empty() || path->front() != '/' || path->find('\n') != std::string::npos) {
      return tl::unexpected(
          Refuse(file_name, node, "path: expected an absolute path, got \"" + *path + "\""));
    }
    if (std::find(paths.begin(), paths.end(), *path) != paths.end()) {
      return tl::unexpected(Refuse(file_name, node, "path: " + *path + " is followed twice"));
    }
    paths.push_back(*path);
  }
  return paths;
}

}  // namespace sluice::config
