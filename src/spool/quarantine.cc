#include "spool/quarantine.h"

#include <filesystem>

#include "common/logging.h"

namespace sluice::spool {

std::string QuarantineDir(const std::string& spool_dir) { return spool_dir + "/quarantine"; }

void MoveToQuarantine(FileSystem& fs, const std::string& spool_dir, const std::string& path) {
  std::string moved =
      QuarantineDir(spool_dir) + "/" + std::filesystem::path(path).filename().string();
  if (Status renamed = fs.Rename(path, moved); !renamed) {
    LogError("spool: " + renamed.error().message());
  } else {
    LogWarn("spool: " + path + " moved to " + moved);
  }
}

}  // namespace sluice::spool
