#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace sluice::testing {

// A fresh directory under /tmp with a short name (Unix socket paths must fit in 108 bytes),
// removed with its contents on destruction. Not thread-safe.
class TempDir {
 public:
  TempDir() : TempDir("/tmp") {}
  // Under `parent` instead (say /dev/shm, a tmpfs).
  explicit TempDir(const std::string& parent) {
    std::string templ = parent + "/sl.XXXXXX";
    char* made = ::mkdtemp(templ.data());
    path_ = made != nullptr ? made : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace sluice::testing
