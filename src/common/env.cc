#include "common/env.h"

#include "common/posix_file_system.h"

namespace sluice {

Env& DefaultEnv() {
  static PosixFileSystem* fs = new PosixFileSystem();
  static RealClock* clock = new RealClock();
  static Env* env = new Env{*fs, *clock};
  return *env;
}

}  // namespace sluice
