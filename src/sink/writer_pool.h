#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "common/counters.h"
#include "common/mutex.h"
#include "pipeline/batch.h"
#include "sink/pg_connection.h"

namespace sluice::sink {

class BatchWriter;

// At most this many batches, and bytes of them, share one transaction (when a backlog waits).
inline constexpr size_t kMaxBatchesPerTransaction = 16;
inline constexpr size_t kMaxBytesPerTransaction = 64 << 20;

struct WriterPoolOptions {
  std::string conninfo;
  std::string application_name = "sluiced";
  std::string instance_id;          // this daemon's name in the batch ledger
  int writers = 2;                  // threads, each with at most one connection
  size_t memory_bytes = 256 << 20;  // cap on the bytes of batches waiting to be written
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{10000};
  int partitions_ahead_days = 3;
};

// A fixed pool of writer threads, each owning at most one PostgreSQL connection at any time
// (so never more than `writers` connections, reconnects included), loading submitted batches
// with BatchWriter. A writer that cannot connect or write backs off (exponential, jittered)
// and retries; batches wait in memory meanwhile, up to `memory_bytes`.
// Thread-safe: Submit() from any thread; Drain()/Stop() from one thread.
class WriterPool {
 public:
  WriterPool(WriterPoolOptions options, Counters& counters);
  ~WriterPool();
  WriterPool(const WriterPool&) = delete;
  WriterPool& operator=(const WriterPool&) = delete;

  // Queues `batch`; false, keeping nothing, when it would pass the memory cap or the pool is
  // stopping. Never blocks on the database.
  bool Submit(pipeline::Batch&& batch) EXCLUDES(mu_);

  // Waits until every submitted batch is committed, or until `deadline`. True if all were.
  bool Drain(std::chrono::steady_clock::time_point deadline) EXCLUDES(mu_);

  // Stops the writers, cancelling statements in progress, and joins them. Returns the batches
  // still unwritten. Idempotent.
  std::deque<pipeline::Batch> Stop() EXCLUDES(mu_);

  // Bytes of batches waiting or being written.
  size_t pending_bytes() const EXCLUDES(mu_);

 private:
  struct Slot {                          // what a writer thread shares with Stop()
    PgConnection* connection = nullptr;  // the live connection, for Cancel()
  };

  void Run(std::stop_token stop, size_t index);
  // Waits for pending batches and takes the oldest ones, up to the per-transaction limits;
  // empty when stop is requested.
  std::vector<pipeline::Batch> Take(std::stop_token stop) EXCLUDES(mu_);
  // Ends the writing of `batches`: done → released; otherwise → first in line again.
  void Finish(std::vector<pipeline::Batch>&& batches, bool done) EXCLUDES(mu_);
  // Writes `batches` in one transaction and counts them; a group the database refuses is
  // retried batch by batch so that only the refused batch is shed. Returns the error that
  // should make the writer retry (after backoff), or Ok.
  Status WriteAndCount(BatchWriter& writer, std::vector<pipeline::Batch>& batches, size_t index);
  // Sleeps up to `delay`, returning early when stop is requested.
  void Sleep(std::stop_token stop, std::chrono::milliseconds delay) EXCLUDES(mu_);
  void SetConnection(size_t index, PgConnection* connection) EXCLUDES(mu_);

  const WriterPoolOptions options_;
  Counters& counters_;
  mutable Mutex mu_;
  std::condition_variable_any cv_;  // work arrived, work finished, or stop
  std::deque<pipeline::Batch> pending_ GUARDED_BY(mu_);
  size_t pending_bytes_ GUARDED_BY(mu_) = 0;  // pending_ and batches being written
  size_t in_flight_ GUARDED_BY(mu_) = 0;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::vector<Slot> slots_ GUARDED_BY(mu_);
  std::vector<std::jthread> threads_;  // last member: joined first on destruction
};

}  // namespace sluice::sink
