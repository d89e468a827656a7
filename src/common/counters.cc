#include "common/counters.h"

#include <sstream>

namespace sluice {

std::string Counters::Summary() const {
  auto get = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  std::ostringstream out;
  out << "received=" << get(received) << " stored=" << get(stored)
      << " malformed=" << get(malformed) << " shed=" << get(shed)
      << " (queue_full=" << get(shed_queue_full) << " spool_full=" << get(shed_spool_full)
      << " shutdown=" << get(shed_shutdown) << " rejected=" << get(shed_rejected)
      << ") bytes=" << get(bytes) << " batches=" << get(batches_committed)
      << " db_errors=" << get(db_errors) << " spooled=" << get(spooled_batches)
      << " recovered=" << get(recovered_batches) << " quarantined=" << get(quarantined_segments);
  return out.str();
}

}  // namespace sluice
