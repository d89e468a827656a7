#include "sink/writer_pool.h"

#include <algorithm>
#include <mutex>
#include <utility>

#include "common/logging.h"
#include "common/thread_name.h"
#include "sink/backoff.h"
#include "sink/batch_accounting.h"
#include "sink/batch_writer.h"
#include "sink/migrations.h"

namespace sluice::sink {
namespace {

constexpr std::chrono::hours kPartitionUpkeepInterval{1};
constexpr std::chrono::milliseconds kIdleUpkeepCheck{60'000};

// The upkeep writer's hourly round (and its first, right after it connects): partitions ahead, the
// ledger trimmed, finished days indexed, and with database.retention_days, old data dropped
// (logged when there was some).
Status Upkeep(PgConnection& conn, const WriterPoolOptions& options) {
  SLUICE_RETURN_IF_ERROR(EnsurePartitions(conn, options.partitions_ahead_days));
  SLUICE_RETURN_IF_ERROR(PruneLedger(conn, options.ledger_keep_days));
  auto indexed = IndexClosedDays(conn);
  if (!indexed) return tl::unexpected(indexed.error());
  if (*indexed > 0) {
    LogInfo("indexed " + std::to_string(*indexed) +
            " day partition(s) of sluice.events whose "
            "day is over (client_ip, sender, recipient)");
  }
  if (options.retention_days <= 0) return Ok();
  auto dropped = DropExpired(conn, options.retention_days);
  if (!dropped) return tl::unexpected(dropped.error());
  if (!dropped->empty()) {
    LogInfo("retention (database.retention_days " + std::to_string(options.retention_days) +
            "): " + *dropped);
  }
  return Ok();
}

Result<std::unique_ptr<BatchWriter>> OpenWriter(const WriterPoolOptions& options, bool upkeep) {
  auto conn =
      PgConnection::Connect(options.conninfo, options.application_name, options.statement_timeout);
  if (!conn) return tl::unexpected(conn.error());
  SLUICE_RETURN_IF_ERROR(CheckSchemaVersion(**conn));
  SLUICE_RETURN_IF_ERROR(CheckSchemaColumns(**conn));
  if (upkeep) SLUICE_RETURN_IF_ERROR(EnsurePartitions(**conn, options.partitions_ahead_days));
  return std::make_unique<BatchWriter>(std::move(*conn), options.instance_id);
}

}  // namespace

WriterPool::WriterPool(WriterPoolOptions options, spool::Spool& spool, Counters& counters,
                       const Clock& clock)
    : options_(std::move(options)), spool_(spool), counters_(counters), clock_(clock) {
  {
    MutexLock lock(mu_);
    slots_.resize(static_cast<size_t>(options_.writers));
  }
  for (int i = 0; i < options_.writers; ++i) {
    heartbeats_.push_back(std::make_unique<Heartbeat>(clock_));
  }
  for (size_t i = 0; i < static_cast<size_t>(options_.writers); ++i) {
    threads_.emplace_back([this, i](std::stop_token stop) { Run(stop, i); });
  }
}

WriterPool::~WriterPool() { Stop(); }

bool WriterPool::Submit(format::Batch&& batch) { return spool_.Add(std::move(batch)); }

bool WriterPool::Drain(Clock::TimePoint deadline) { return spool_.WaitEmpty(deadline); }

void WriterPool::Stop() {
  {
    MutexLock lock(mu_);
    for (Slot& slot : slots_) {
      if (slot.connection != nullptr) slot.connection->Abort();
    }
  }
  for (auto& thread : threads_) thread.request_stop();
  cv_.notify_all();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

size_t WriterPool::StuckWriters(std::chrono::nanoseconds limit) const {
  return static_cast<size_t>(
      std::count_if(heartbeats_.begin(), heartbeats_.end(),
                    [limit](const auto& beat) { return beat->Stuck(limit); }));
}

size_t WriterPool::WaitingWriters() const {
  return static_cast<size_t>(std::count_if(heartbeats_.begin(), heartbeats_.end(),
                                           [](const auto& beat) { return beat->waiting(); }));
}

size_t WriterPool::Connections() const {
  MutexLock lock(mu_);
  return static_cast<size_t>(std::count_if(
      slots_.begin(), slots_.end(), [](const Slot& slot) { return slot.connection != nullptr; }));
}

void WriterPool::Sleep(std::stop_token stop, size_t index, std::chrono::milliseconds delay) {
  heartbeats_[index]->Waiting();
  {
    MutexLock lock(mu_);
    clock_.WaitFor(cv_, lock, std::move(stop), delay, [] { return false; });
  }
  heartbeats_[index]->Beat();
}

void WriterPool::SetConnection(size_t index, PgConnection* connection) {
  MutexLock lock(mu_);
  slots_[index].connection = connection;
}

void WriterPool::Run(std::stop_token stop, size_t index) {
  SetCurrentThreadName("sluice-writer" + std::to_string(index));
  while (!stop.stop_requested()) {
    try {
      Work(stop, index);
    } catch (const std::exception& e) {
      // Nothing in Work() throws by design; should something (an allocation) throw anyway,
      // the writer starts over rather than leave the pool a writer short.
      counters_.writer_restarts.fetch_add(1, std::memory_order_relaxed);
      LogError("writer " + std::to_string(index) + " stopped by an exception (" + e.what() +
               "); starting it again");
      Sleep(stop, index, options_.backoff_max);
    }
  }
}

void WriterPool::Work(std::stop_token stop, size_t index) {
  const std::string who = "writer " + std::to_string(index);
  Backoff backoff(options_.backoff_min, options_.backoff_max, index * 7919 + 1);
  std::unique_ptr<BatchWriter> writer;
  // Declared after `writer`, so destroyed before it however Work() ends: Stop() never sees a
  // connection that is gone.
  struct ClearSlot {
    WriterPool& pool;
    size_t index;
    ~ClearSlot() { pool.SetConnection(index, nullptr); }
  } clear_slot{*this, index};
  bool upkeep = index == 0;  // one writer keeps the partitions ahead
  auto next_upkeep = clock_.Now();
  // The failure being reported: each is logged once per episode, and its end once.
  std::string failing;
  auto failed = [&](const std::string& message) {
    counters_.db_errors.fetch_add(1, std::memory_order_relaxed);
    if (message == failing) return;
    LogWarn(who + ": " + message + "; retrying");
    failing = message;
  };
  auto recovered = [&](std::string_view what) {
    if (failing.empty()) return;
    LogInfo(who + ": " + std::string(what));
    failing.clear();
  };
  // Closed for want of work (options_.idle_disconnect). With idle disconnects, only the upkeep
  // writer connects at start: a fleet started at once does not take a connection per writer.
  bool parked = !upkeep && options_.idle_disconnect.count() > 0;
  // Opens the connection; false (logged, counted) when it cannot be had. A writer that
  // closed an idle connection keeps the upkeep's schedule when it opens the next one.
  auto connect = [&]() {
    auto opened = OpenWriter(options_, upkeep);
    if (!opened) {
      failed(opened.error().message());
      return false;
    }
    writer = std::move(*opened);
    writer->connection().set_heartbeat(heartbeats_[index].get());
    SetConnection(index, &writer->connection());
    if (!parked) next_upkeep = clock_.Now();  // the rest at once; a failure blocks no batch
    parked = false;
    backoff.Reset();
    return true;
  };
  auto last_work = clock_.Now();
  while (!stop.stop_requested()) {
    heartbeats_[index]->Beat();
    const bool upkeep_due = upkeep && clock_.Now() >= next_upkeep;
    if (!writer && (!parked || upkeep_due)) {
      if (!connect()) {
        Sleep(stop, index, backoff.Next());
        continue;
      }
      last_work = clock_.Now();
    }
    if (writer && upkeep_due) {
      Status status = Upkeep(writer->connection(), options_);
      if (status) {
        next_upkeep = clock_.Now() + kPartitionUpkeepInterval;
      } else {  // logged once per episode; tried again in a minute, batches go on meanwhile
        failed("partition upkeep: " + status.error().message());
        next_upkeep = clock_.Now() + std::chrono::minutes(1);
      }
    }
    // The upkeep writer wakes now and then while idle, so partitions are made ahead and old
    // data dropped on a host that logs nothing for days; a connected writer wakes when it has
    // been idle for idle_disconnect.
    std::chrono::milliseconds max_wait = upkeep ? kIdleUpkeepCheck : std::chrono::milliseconds{};
    if (writer && options_.idle_disconnect.count() > 0) {
      const auto until_idle = std::max(
          options_.idle_disconnect -
              std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now() - last_work),
          std::chrono::milliseconds{1});
      max_wait = max_wait.count() > 0 ? std::min(max_wait, until_idle) : until_idle;
    }
    std::vector<format::Batch> batches =
        spool_.Take(stop, kMaxBatchesPerTransaction, kMaxBytesPerTransaction,
                    heartbeats_[index].get(), max_wait);
    if (batches.empty()) {  // stopping, idle, or what it took did not read back
      if (writer && options_.idle_disconnect.count() > 0 &&
          clock_.Now() - last_work >= options_.idle_disconnect) {
        SetConnection(index, nullptr);
        writer.reset();
        parked = true;
        counters_.db_idle_disconnects.fetch_add(1, std::memory_order_relaxed);
        Log(LogLevel::kDebug, who + ": idle for " +
                                  std::to_string(options_.idle_disconnect.count()) +
                                  " ms; connection closed until batches wait");
        continue;
      }
      Sleep(stop, index, options_.backoff_min);
      continue;
    }
    if (!writer && !connect()) {  // parked, and the database is not there now
      spool_.Return(std::move(batches));
      Sleep(stop, index, backoff.Next());
      continue;
    }
    Status status = Ok();
    try {
      status = WriteCounted(*writer, batches, counters_, who);
    } catch (...) {
      spool_.Return(std::move(batches));  // first in line again for the restarted writer
      throw;
    }
    last_work = clock_.Now();
    if (status) {
      spool_.Commit(batches);
      backoff.Reset();
      recovered("writing again");
      continue;
    }
    spool_.Return(std::move(batches));
    if (const std::string& sqlstate = writer->connection().last_sqlstate(); !sqlstate.empty()) {
      counters_.CountRefusal(sqlstate);
    }
    failed(status.error().message());
    // A refusal can outlive the session that got it (a session that began read-only stays
    // so, a standby stays a standby): the next attempt starts on a new connection, made only
    // after this one is closed.
    SetConnection(index, nullptr);
    writer.reset();
    Sleep(stop, index, backoff.Next());
  }
}

}  // namespace sluice::sink
