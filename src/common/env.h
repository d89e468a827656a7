#pragma once

#include "common/clock.h"
#include "common/file_system.h"

namespace sluice {

// The operating-system services a part may use: files and time. Passed by reference to every
// part that touches the disk or waits (spool, segment reader and writer, writer pool, flood
// ladder, pipeline, daemon); the daemon and the CLI use DefaultEnv(), tests wrap its file
// system in a fault-injecting one and replace the clock with a fake. Both members must outlive
// every user of the Env. Thread-safe.
struct Env {
  FileSystem& fs;
  Clock& clock;
};

// The machine's: PosixFileSystem and RealClock. Lives for the whole process.
Env& DefaultEnv();

}  // namespace sluice
