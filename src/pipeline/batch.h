#pragma once

#include <cstdint>
#include <string>

namespace sluice::pipeline {

// A batch of rows for sluice.events, already encoded as one complete PostgreSQL binary COPY
// stream (header, tuples, trailer), so the spool and the writers move opaque bytes.
// Value type; thread-compatible.
struct Batch {
  uint64_t id = 0;         // unique per instance; the ledger key
  std::string copy_data;   // the COPY ... FROM STDIN (FORMAT binary) payload
  uint32_t rows = 0;       // tuples in copy_data
  uint32_t malformed = 0;  // of which malformed datagrams kept raw
};

}  // namespace sluice::pipeline
