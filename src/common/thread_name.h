#pragma once

#include <pthread.h>

#include <string>

namespace sluice {

// Names the calling thread (as shown by top -H, ps -L and gdb); at most 15 characters are kept.
inline void SetCurrentThreadName(const std::string& name) {
  (void)pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());  // only fails if too long
}

}  // namespace sluice
