#include "cli/segment_files.h"

#include <algorithm>
#include <iostream>

namespace sluice::cli {

namespace fs = std::filesystem;

std::optional<std::vector<fs::path>> ListSegmentFiles(const std::string& dir, std::string_view verb,
                                                      bool quarantined) {
  std::vector<fs::path> files;
  for (const std::string& where : {dir, dir + "/quarantine"}) {
    if (where != dir && !quarantined) break;
    std::error_code missing;
    if (where != dir && !fs::is_directory(where, missing)) continue;
    std::vector<fs::path> here;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(where, ec)) {
      if (entry.path().extension() == ".sgz") here.push_back(entry.path());
    }
    if (ec) {
      std::cerr << "sluice " << verb << ": " << dir << ": " << ec.message() << "\n";
      return std::nullopt;
    }
    std::sort(here.begin(), here.end());
    files.insert(files.end(), here.begin(), here.end());
  }
  return files;
}

}  // namespace sluice::cli
