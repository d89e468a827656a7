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

std::vector<pipeline::Batch> WriterPool::Take(std::stop_token stop) {
  MutexLock lock(mu_);
  cv_.wait(lock, stop, [this]() REQUIRES(mu_) { return !pending_.empty(); });
  std::vector<pipeline::Batch> batches;
  if (stop.stop_requested()) return batches;
  size_t bytes = 0;
  while (
      !pending_.empty() && batches.size() < kMaxBatchesPerTransaction &&
      (batches.empty() || bytes + pending_.front().copy_data.size() <= kMaxBytesPerTransaction)) {
    bytes += pending_.front().copy_data.size();
    batches.push_back(std::move(pending_.front()));
    pending_.pop_front();
  }
  in_flight_ += batches.size();
  return batches;
}

void WriterPool::Finish(std::vector<pipeline::Batch>&& batches, bool done) {
  {
    MutexLock lock(mu_);
    in_flight_ -= batches.size();
    if (done) {
      for (const pipeline::Batch& batch : batches) pending_bytes_ -= batch.copy_data.size();
    } else {
      for (auto it = batches.rbegin(); it != batches.rend(); ++it) {
        pending_.push_front(std::move(*it));  // first in line again, in their order
      }
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
      if (status) {
        next_upkeep += kPartitionUpkeepInterval;
      } else {
        LogWarn("writer " + std::to_string(index) + ": " + status.error().message());
      }
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
    std::vector<pipeline::Batch> batches = Take(stop);
    if (batches.empty()) break;
    Status status = WriteAndCount(*writer, batches, index);
    Finish(std::move(batches), /*done=*/status.has_value());
    if (status) {
      backoff.Reset();
      continue;
    }
    counters_.db_errors.fetch_add(1, std::memory_order_relaxed);
    LogWarn("writer " + std::to_string(index) + ": " + status.error().message() + "; retrying");
    if (!writer->connection().ok()) {
      SetConnection(index, nullptr);
      writer.reset();  // the next connection is made only after this one is closed
    }
    Sleep(stop, backoff.Next());
  }
  SetConnection(index, nullptr);
}

Status WriterPool::WriteAndCount(BatchWriter& writer, std::vector<pipeline::Batch>& batches,
                                 size_t index) {
  auto outcomes = writer.Write(batches);
  if (!outcomes && outcomes.error().code() == ErrorCode::kRejected && batches.size() > 1) {
    // One of them is refused for its content: find which, writing one batch at a time.
    for (pipeline::Batch& batch : batches) {
      std::vector<pipeline::Batch> single;
      single.push_back(std::move(batch));
      Status status = WriteAndCount(writer, single, index);
      batch = std::move(single.front());
      if (!status) return status;  // retryable; batches already committed are skipped later
    }
    return Ok();
  }
  if (!outcomes && outcomes.error().code() == ErrorCode::kRejected) {
    const pipeline::Batch& batch = batches.front();
    LogError("writer " + std::to_string(index) + ": batch " + std::to_string(batch.id) +
             " refused by the database, its " + std::to_string(batch.rows) +
             " rows are counted as shed: " + outcomes.error().message());
    counters_.db_errors.fetch_add(1, std::memory_order_relaxed);
    counters_.Shed(counters_.shed_rejected, batch.rows);
    return Ok();
  }
  if (!outcomes) return tl::unexpected(outcomes.error());
  for (size_t i = 0; i < batches.size(); ++i) {
    if ((*outcomes)[i] != WriteOutcome::kCommitted) continue;
    counters_.stored.fetch_add(batches[i].rows - batches[i].malformed, std::memory_order_relaxed);
    counters_.malformed.fetch_add(batches[i].malformed, std::memory_order_relaxed);
    counters_.batches_committed.fetch_add(1, std::memory_order_relaxed);
  }
  return Ok();
}

}  // namespace sluice::sink
