#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/counters.h"
#include "common/heartbeat.h"
#include "common/mutex.h"
#include "format/batch.h"
#include "sink/pg_connection.h"
#include "spool/spool.h"

namespace sluice::sink {

class BatchWriter;

// At most this many batches, and bytes of them, share one transaction (when a backlog waits):
// 64 batches of 5,000 rows drained 1.3x faster than 16 (bench/throughput, BENCHMARKS.md).
inline constexpr size_t kMaxBatchesPerTransaction = 64;
inline constexpr size_t kMaxBytesPerTransaction = 64 << 20;

struct WriterPoolOptions {
  std::string conninfo;
  std::string application_name = "sluiced";
  std::string instance_id;  // this daemon's name in the batch ledger
  int writers = 2;          // threads, each with at most one connection
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{10000};
  int partitions_ahead_days = 3;
  int ledger_keep_days = 30;
  int retention_days = 0;  // > 0: the hourly upkeep also drops older data (DropExpired)
  // A statement not answered this long after it was sent is given up on, and its connection
  // dropped (PgConnection::Connect); 0: wait as long as the server takes.
  std::chrono::milliseconds statement_timeout{60'000};
  // A writer that has had no batch for this long closes its connection (counted:
  // db_idle_disconnects) and opens one when batches wait, or when the upkeep is due; and only
  // the upkeep writer connects at start. 0: every writer connects at start and stays connected.
  std::chrono::milliseconds idle_disconnect{0};
};

// A fixed pool of writer threads, each owning at most one PostgreSQL connection at any time
// (so never more than `writers` connections, reconnects included), loading the batches that
// wait in `spool` with BatchWriter. A writer that cannot connect or write backs off
// (exponential, jittered) and retries; batches wait in the spool meanwhile.
// Backoff sleeps and upkeep times are on `clock`.
// Thread-safe: Submit() from any thread; Drain()/Stop() from one thread. `spool`, `counters`
// and `clock` must outlive this.
class WriterPool {
 public:
  WriterPool(WriterPoolOptions options, spool::Spool& spool, Counters& counters,
             const Clock& clock);
  ~WriterPool();
  WriterPool(const WriterPool&) = delete;
  WriterPool& operator=(const WriterPool&) = delete;

  // Hands `batch` to the spool; false, keeping nothing, when the spool has no room.
  // Never blocks on the database.
  bool Submit(format::Batch&& batch);

  // Waits until every submitted batch is committed, or until `deadline`. True if all were.
  bool Drain(Clock::TimePoint deadline);

  // Writers that have been neither waiting for work nor making progress for longer than
  // `limit` (README "Watching it": the watchdog and /healthz). Thread-safe.
  size_t StuckWriters(std::chrono::nanoseconds limit) const;
  // Writers waiting for batches now (idle). Thread-safe.
  size_t WaitingWriters() const;
  // Writers with an open connection now. Thread-safe.
  size_t Connections() const EXCLUDES(mu_);
  size_t writers() const { return heartbeats_.size(); }

  // Stops the writers, aborting statements in progress (without waiting for the server, which
  // may not answer), and joins them. What they had not written stays in the spool. Idempotent.
  void Stop() EXCLUDES(mu_);

 private:
  struct Slot {                          // what a writer thread shares with Stop()
    PgConnection* connection = nullptr;  // the live connection, for Cancel()
  };

  // The thread: Work(), started again should it ever throw (logged, writer_restarts).
  void Run(std::stop_token stop, size_t index);
  // Connects, takes batches from the spool and writes them until `stop`.
  void Work(std::stop_token stop, size_t index);
  // Writer `index` sleeps up to `delay` (waiting, for its heartbeat), returning early when stop
  // is requested.
  void Sleep(std::stop_token stop, size_t index, std::chrono::milliseconds delay) EXCLUDES(mu_);
  void SetConnection(size_t index, PgConnection* connection) EXCLUDES(mu_);

  const WriterPoolOptions options_;
  spool::Spool& spool_;
  Counters& counters_;
  const Clock& clock_;
  mutable Mutex mu_;
  std::condition_variable_any cv_;  // for backoff sleeps: woken by stop
  std::vector<Slot> slots_ GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Heartbeat>> heartbeats_;  // one a writer; fixed at construction
  std::vector<std::jthread> threads_;                   // last member: joined first on destruction
};

}  // namespace sluice::sink
