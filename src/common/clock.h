#pragma once

#include <time.h>

#include <cstdint>

namespace sluice {

// Wall-clock time, microseconds since the Unix epoch. Thread-safe; a vDSO call, no syscall.
inline int64_t WallMicros() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
}

// Coarse monotonic time (a few ms of resolution), microseconds. Thread-safe and cheap enough
// for the receive loop.
inline int64_t CoarseMonotonicMicros() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
}

}  // namespace sluice
