#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/counters.h"

namespace sluice::pipeline {

// Turns the shed counters into rows for sluice.shed, so the database holds the whole
// accounting: each call to Take() returns what was shed per cause since the last call, and
// a batch that could not be kept gives its counts back to be reported again.
// Not thread-safe: owned by the pipeline thread (the counters themselves are atomics that any
// thread may raise).
class ShedReporter {
 public:
  struct Count {
    std::string_view cause;  // "queue_full", "spool_full", ...
    uint64_t events = 0;
  };

  explicit ShedReporter(Counters& counters);

  // The events shed per cause and not reported yet (causes with none left out).
  std::vector<Count> Take();
  // `counts` (from Take()) did not reach the spool: report them again.
  void GiveBack(const std::vector<Count>& counts);

 private:
  struct Cause {
    std::string_view name;
    const std::atomic<uint64_t>* counter;
    uint64_t reported;
  };
  std::vector<Cause> causes_;
};

}  // namespace sluice::pipeline
