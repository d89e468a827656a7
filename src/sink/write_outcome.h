#pragma once

#include <cstdint>

namespace sluice::sink {

// What happened to a batch a writer was given.
enum class WriteOutcome {
  kCommitted,
  kAlreadyCommitted,
  kRefused,  // only from RefusedRowWriter: nothing committed, every row lost
};

// What RefusedRowWriter::Write() did with a batch.
struct IsolatedWrite {
  WriteOutcome outcome = WriteOutcome::kCommitted;
  uint32_t dead_lettered = 0;        // rows put in sluice.dead_letters instead
  uint32_t lost = 0;                 // refused rows that sluice.dead_letters refused too
  uint32_t malformed_set_aside = 0;  // of dead_lettered + lost, rows flagged malformed
};

}  // namespace sluice::sink
