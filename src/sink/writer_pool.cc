#include "sink/writer_pool.h"

#include <mutex>
#include <utility>

#include "common/logging.h"
#include "common/thread_name.h"
#include "sink/backoff.h"
#include "sink/batch_writer.h"
#include "sink/migrations.h"

namespace sluice::sink {
namespace {

constexpr std::chrono::hours kPartitionUpkeepInterval{1};

Result<std::unique_ptr<BatchWriter>> OpenWriter(const WriterPoolOptions& options, bool upkeep) {
  auto conn = PgConnection::Connect(options.conninfo, options.application_name);
  if (!conn) return tl::unexpected(conn.error());
  SLUICE_RETURN_IF_ERROR(CheckSchemaVersion(**conn));
  if (upkeep) SLUICE_RETURN_IF_ERROR(EnsurePartitions(**conn, options.partitions_ahead_days));
  return std::make_unique<BatchWriter>(std::move(*conn), options.instance_id);
}

}  // namespace

WriterPool::WriterPool(WriterPoolOptions options, Counters& counters)
    : options_(std::move(options)), counters_(counters) {
  {
    MutexLock lock(mu_);
    slots_.resize(static_cast<size_t>(options_.writers));
  }
  for (size_t i = 0; i < static_cast<size_t>(options_.writers); ++i) {
    threads_.emplace_back([this, i](std::stop_token stop) { Run(stop, i); });
  }
}

WriterPool::~WriterPool() { (void)Stop(); }  // unwritten batches were counted by the owner

bool WriterPool::Submit(pipeline::Batch&& batch) {
  {
    MutexLock lock(mu_);
    size_t size = batch.copy_data.size();
    if (stopping_ || pending_bytes_ + size > options_.memory_bytes) return false;
    pending_bytes_ += size;
    pending_.push_back(std::move(batch));
  }
  cv_.notify_all();
  return true;
}

size_t WriterPool::pending_bytes() const {
  MutexLock lock(mu_);
  return pending_bytes_;
}

bool WriterPool::Drain(std::chrono::steady_clock::time_point deadline) {
  MutexLock lock(mu_);
  return cv_.wait_until(lock, deadline,
                        [this]() REQUIRES(mu_) { return pending_.empty() && in_flight_ == 0; });
}

std::deque<pipeline::Batch> WriterPool::Stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
    for (Slot& slot : slots_) {
      if (slot.connection != nullptr) slot.connection->Cancel();
    }
  }
  for (auto& thread : threads_) thread.request_stop();
  cv_.notify_all();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  MutexLock lock(mu_);
  pending_bytes_ = 0;
  return std::exchange(pending_, {});
}

std::unique_ptr<pipeline::Batch> WriterPool::Take(std::stop_token stop) {
  MutexLock lock(mu_);
  cv_.wait(lock, stop, [this]() REQUIRES(mu_) { return !pending_.empty(); });
  if (stop.stop_requested() || pending_.empty()) return nullptr;
  auto batch = std::make_unique<pipeline::Batch>(std::move(pending_.front()));
  pending_.pop_front();
  ++in_flight_;
  return batch;
}

void WriterPool::Finish(std::unique_ptr<pipeline::Batch> batch, bool written) {
  {
    MutexLock lock(mu_);
    --in_flight_;
    if (written) {
      pending_bytes_ -= batch->copy_data.size();
    } else {
      pending_.push_front(std::move(*batch));  // keep it first in line for the next writer
    }
  }
  cv_.notify_all();
}

void WriterPool::Sleep(std::stop_token stop, std::chrono::milliseconds delay) {
  MutexLock lock(mu_);
  cv_.wait_for(lock, stop, delay, [] { return false; });
}

void WriterPool::SetConnection(size_t index, PgConnection* connection) {
  MutexLock lock(mu_);
  slots_[index].connection = connection;
}

void WriterPool::Run(std::stop_token stop, size_t index) {
  SetCurrentThreadName("sluice-writer" + std::to_string(index));
  Backoff backoff(options_.backoff_min, options_.backoff_max, index * 7919 + 1);
  std::unique_ptr<BatchWriter> writer;
  bool upkeep = index == 0;  // one writer keeps the partitions ahead
  auto next_upkeep = std::chrono::steady_clock::now();
  std::string last_error;
  while (!stop.stop_requested()) {
    if (writer && upkeep && std::chrono::steady_clock::now() >= next_upkeep) {
      Status status = EnsurePartitions(writer->connection(), options_.partitions_ahead_days);
      if (status)
        next_upkeep += kPartitionUpkeepInterval;
      else
        LogWarn("writer " + std::to_string(index) + ": " + status.error().message());
    }
    if (!writer) {
      SetConnection(index, nullptr);
      auto opened = OpenWriter(options_, upkeep);
      if (!opened) {
        counters_.db_errors.fetch_add(1, std::memory_order_relaxed);
        if (opened.error().message() != last_error) {
          last_error = opened.error().message();
          LogWarn("writer " + std::to_string(index) + ": " + last_error + "; retrying");
        }
        Sleep(stop, backoff.Next());
        continue;
      }
      writer = std::move(*opened);
      SetConnection(index, &writer->connection());
      next_upkeep = std::chrono::steady_clock::now() + kPartitionUpkeepInterval;
      if (!last_error.empty()) LogInfo("writer " + std::to_string(index) + ": connected");
      last_error.clear();
      backoff.Reset();
    }
    std::unique_ptr<pipeline::Batch> batch = Take(stop);
    if (!batch) break;
    auto outcome = writer->Write(*batch);
    if (outcome) {
      if (*outcome == WriteOutcome::kCommitted) {
        counters_.stored.fetch_add(batch->rows - batch->malformed, std::memory_order_relaxed);
        counters_.malformed.fetch_add(batch->malformed, std::memory_order_relaxed);
        counters_.batches_committed.fetch_add(1, std::memory_order_relaxed);
      }
      Finish(std::move(batch), /*written=*/true);
      continue;
    }
    counters_.db_errors.fetch_add(1, std::memory_order_relaxed);
    if (outcome.error().retryable()) {
      LogWarn("writer " + std::to_string(index) + ": batch " + std::to_string(batch->id) + ": " +
              outcome.error().message() + "; retrying");
      Finish(std::move(batch), /*written=*/false);
      if (!writer->connection().ok()) {
        SetConnection(index, nullptr);
        writer.reset();  // the next connection is made only after this one is closed
      }
      Sleep(stop, backoff.Next());
      continue;
    }
    LogError("writer " + std::to_string(index) + ": batch " + std::to_string(batch->id) +
             " refused by the database, its " + std::to_string(batch->rows) +
             " rows are counted as shed: " + outcome.error().message());
    counters_.Shed(counters_.shed_rejected, batch->rows);
    Finish(std::move(batch), /*written=*/true);
  }
  SetConnection(index, nullptr);
}

}  // namespace sluice::sink
