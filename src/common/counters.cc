#include "common/counters.h"

#include <sstream>

namespace sluice {

std::string Counters::Summary() const {
  auto get = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  std::ostringstream out;
  out << "received=" << get(received) << " stored=" << get(stored)
      << " malformed=" << get(malformed) << " aggregated=" << get(aggregated)
      << " dead_lettered=" << get(dead_lettered) << " shed=" << get(shed)
      << " (queue_full=" << get(shed_queue_full) << " spool_full=" << get(shed_spool_full)
      << " aggregate_full=" << get(shed_aggregate_full) << " shutdown=" << get(shed_shutdown)
      << " spool_damaged=" << get(shed_spool_damaged) << " rejected=" << get(shed_rejected)
      << " ring_torn=" << get(shed_ring_torn) << ") ignored=" << get(ignored)
      << " aggregate_rows=" << get(aggregate_rows) << " shed_rows=" << get(shed_rows)
      << " forwarded=" << get(forwarded) << " forward_dropped=" << get(forward_dropped)
      << " forward_refused=" << get(forward_refused) << " followed=" << get(followed)
      << " follow_errors=" << get(follow_errors)
      << " follow_mark_errors=" << get(follow_mark_errors) << " follow_held=" << get(follow_held)
      << " ring_replayed=" << get(ring_replayed)
      << " ring_early_flushes=" << get(ring_early_flushes) << " bytes=" << get(bytes)
      << " batches=" << get(batches_committed) << " skipped=" << get(batches_skipped)
      << " db_errors=" << get(db_errors) << " writer_restarts=" << get(writer_restarts)
      << " idle_disconnects=" << get(db_idle_disconnects) << " spooled=" << get(spooled_batches)
      << " spooled_bytes=" << get(spooled_bytes) << " syncs=" << get(spool_syncs)
      << " sync_failures=" << get(spool_sync_failures) << " rewritten=" << get(spool_rewritten)
      << " at_risk=" << get(spool_at_risk_events) << " recovered=" << get(recovered_batches)
      << " quarantined=" << get(quarantined_segments)
      << " spool_read_errors=" << get(spool_read_errors)
      << " spool_memory_bytes=" << get(spool_memory_bytes)
      << " spool_disk_bytes=" << get(spool_disk_bytes) << " spool_events=" << get(spool_events)
      << " ladder_step=" << get(ladder_step) << " flood=" << get(flood)
      << " granularity=" << get(granularity) << " db_refusals=" << get(db_refusals);
  std::map<std::string, uint64_t> refusals = RefusalsByClass();
  if (!refusals.empty()) {
    out << " (";
    for (auto it = refusals.begin(); it != refusals.end(); ++it) {
      out << (it == refusals.begin() ? "" : " ") << "sqlstate_" << it->first << "=" << it->second;
    }
    out << ")";
  }
  return out.str();
}

void Counters::CountRefusal(std::string_view sqlstate) {
  db_refusals.fetch_add(1, std::memory_order_relaxed);
  MutexLock lock(refusals_mu_);
  ++refusals_by_class_[std::string(sqlstate.substr(0, 2))];
}

std::map<std::string, uint64_t> Counters::RefusalsByClass() const {
  MutexLock lock(refusals_mu_);
  return refusals_by_class_;
}

}  // namespace sluice
