#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/histogram.h"
#include "common/mutex.h"

namespace sluice {

// The accounting of invariant 3. Every datagram read from the socket is `received`; once the
// pipeline is idle, received + followed + ring_replayed == stored + malformed + aggregated +
// dead_lettered + shed + ignored (`ring_replayed`: datagrams a previous run had received
// and not stored, found in the ingest ring at start) (`aggregated`: events counted in committed
// rows of sluice.aggregates). `malformed` datagrams are stored too (raw, escaped), so rows in
// sluice.events == stored + malformed; dead-lettered rows are in sluice.dead_letters; `ignored`
// lines were not rejects under ingest.keep = "rejects". Forwarding (ingest.forward) is counted
// apart: forwarded + forward_dropped + forward_refused == received (each datagram is passed on as
// it is read, before the queue could shed it). Thread-safe: every field is an independent atomic
// counter, updated with relaxed ordering; a snapshot is therefore only consistent once the daemon
// is idle.
struct Counters {
  alignas(64) std::atomic<uint64_t> received{0};  // datagrams read from the socket
  std::atomic<uint64_t> bytes{0};                 // their payload bytes
  alignas(64) std::atomic<uint64_t> stored{0};    // well-formed rows committed
  std::atomic<uint64_t> malformed{0};             // malformed rows committed (kept raw)
  std::atomic<uint64_t> ignored{0};               // not rejects, not kept (ingest.keep)
  std::atomic<uint64_t> aggregated{0};            // events in committed aggregate rows
  std::atomic<uint64_t> aggregate_rows{0};        // committed rows of sluice.aggregates
  std::atomic<uint64_t> shed_rows{0};             // committed rows of sluice.shed
  alignas(64) std::atomic<uint64_t> shed{0};      // events dropped, counted: see shed_* causes
  std::atomic<uint64_t> shed_queue_full{0};       // the ingest queue had no room
  std::atomic<uint64_t> shed_spool_full{0};       // no room in memory or on disk for a batch
  std::atomic<uint64_t> shed_aggregate_full{0};   // no aggregation key left (flood.max_keys)
  std::atomic<uint64_t> shed_shutdown{0};         // still unwritten at the shutdown deadline
  std::atomic<uint64_t> shed_spool_damaged{0};    // spooled batches that no longer read back
  std::atomic<uint64_t> shed_rejected{0};         // refused rows the dead-letter table refused too
  std::atomic<uint64_t> shed_ring_torn{0};        // ring records found damaged or cut at start
  std::atomic<uint64_t> dead_lettered{0};         // rows refused by the database, kept aside
  std::atomic<uint64_t> forwarded{0};             // passed on to ingest.forward
  std::atomic<uint64_t> forward_dropped{0};       // not passed on: the target was full (EAGAIN)
  std::atomic<uint64_t> forward_refused{0};       // not passed on: the target was gone or refused
  std::atomic<uint64_t> followed{0};            // lines of followed files taken as events (an Exim
                                                // rejectlog entry's header lines are not)
  std::atomic<uint64_t> follow_errors{0};       // followed files that could not be opened or read
                                                // (retried)
  std::atomic<uint64_t> follow_mark_errors{0};  // follow.marks could not be saved (spool dir)
  std::atomic<uint64_t> follow_held{0};  // followed batches the spool refused (held, offered again)
  std::atomic<uint64_t> ring_replayed{0};       // datagrams of a previous run found in the ring
  std::atomic<uint64_t> ring_early_flushes{0};  // batches and windows closed early: half the
                                                // ring's blocks were waiting for them
  std::atomic<uint64_t> batches_committed{0};
  std::atomic<uint64_t> batches_skipped{0};      // sent again, found in the ledger: not rewritten
  std::atomic<uint64_t> db_errors{0};            // failed connects and writes (each retried)
  std::atomic<uint64_t> writer_restarts{0};      // writer threads started again after an exception
  std::atomic<uint64_t> db_idle_disconnects{0};  // connections closed for want of work
  std::atomic<uint64_t> db_refusals{0};          // statements the server refused for a reason other
                                                 // than the rows' content (retried); by SQLSTATE
                                                 // class in RefusalsByClass()
  std::atomic<uint64_t> spooled_batches{0};      // batches written to spool segments
  std::atomic<uint64_t> spooled_bytes{0};        // their bytes on disk (compressed)
  std::atomic<uint64_t> spool_syncs{0};          // fdatasync rounds over appended segments
  std::atomic<uint64_t> spool_sync_failures{0};  // segments whose fdatasync failed
  std::atomic<uint64_t> spool_rewritten{0};      // batches written again after one (from memory)
  std::atomic<uint64_t> spool_at_risk_events{0};  // events that may not be on disk after one
                                                  // (not in memory, so not rewritten)
  std::atomic<uint64_t> recovered_batches{0};     // batches found in the spool at start
  std::atomic<uint64_t> quarantined_segments{0};  // damaged spool segments
  std::atomic<uint64_t> spool_read_errors{0};     // spooled batches the disk failed to read
                                                  // (kept, read again later)
  std::atomic<uint64_t> spool_memory_bytes{0};    // now: batches held in memory (a gauge)
  std::atomic<uint64_t> spool_disk_bytes{0};      // now: segment files' size (a gauge)
  std::atomic<uint64_t> spool_events{0};          // now: events waiting in the spool (a gauge)
  // The degradation ladder now (gauges; README "Under flood"): the step (1 detail,
  // 2 aggregating, 3 aggregates only: the spool refuses details, 4 coarser keys, 5 count
  // only), whether under flood, and the aggregation granularity (0 key, 1 prefix, 2 class).
  std::atomic<uint64_t> ladder_step{1};
  std::atomic<uint64_t> flood{0};
  std::atomic<uint64_t> granularity{0};

  // Seconds a writer took to commit a transaction of batches, and the age of a batch's oldest
  // event when it was committed (batches made by this process only: one read back from a
  // spool segment has no receive time).
  Histogram commit_seconds{{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}};
  Histogram event_age_seconds{
      {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400}};

  // Adds `n` to `shed` and to one cause counter.
  void Shed(std::atomic<uint64_t>& cause, uint64_t n) {
    cause.fetch_add(n, std::memory_order_relaxed);
    shed.fetch_add(n, std::memory_order_relaxed);
  }

  // Counts a refusal with `sqlstate` in db_refusals and under its class (its first two
  // characters). Takes a lock: for refusals, which are rare, not for events.
  void CountRefusal(std::string_view sqlstate) EXCLUDES(refusals_mu_);
  // Refusals so far by SQLSTATE class ("25", "42", ...).
  std::map<std::string, uint64_t> RefusalsByClass() const EXCLUDES(refusals_mu_);

  // One line: "received=… stored=… malformed=… aggregated=… dead_lettered=… shed=…
  // (queue_full=… …) ignored=… aggregate_rows=… shed_rows=… forwarded=… forward_dropped=…
  // forward_refused=… bytes=… batches=… skipped=… db_errors=… spooled=… spooled_bytes=… syncs=…
  // recovered=… quarantined=… spool_memory_bytes=… spool_disk_bytes=… spool_events=… ladder_step=…
  // flood=… granularity=… db_refusals=… (CLASS=… …)" (the refusals by class only when there
  // are any).
  std::string Summary() const;

 private:
  mutable Mutex refusals_mu_;
  std::map<std::string, uint64_t> refusals_by_class_ GUARDED_BY(refusals_mu_);
};

}  // namespace sluice
