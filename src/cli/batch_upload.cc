#include "cli/batch_upload.h"

#include <thread>

#include "sink/backoff.h"
#include "sink/batch_accounting.h"
#include "sink/migrations.h"
#include "sink/pg_connection.h"

namespace sluice::cli {
namespace {

constexpr int kMaxAttempts = 8;  // per group of batches, while the database is unavailable

}  // namespace

Status UploadBatches(const config::Settings& settings, const std::string& application_name,
                     std::unique_ptr<sink::BatchWriter>& writer, const std::string& instance_id,
                     std::vector<format::Batch>& batches, Counters& counters) {
  for (format::Batch& batch : batches) batch.instance_id = instance_id;  // its ledger name
  sink::Backoff backoff(settings.database.backoff_min_ms, settings.database.backoff_max_ms, 1);
  Status status = Ok();
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(backoff.Next());
    if (!writer || !writer->connection().ok()) {
      writer.reset();
      auto conn = sink::PgConnection::Connect(settings.database.conninfo, application_name);
      if (!conn) {
        status = tl::unexpected(conn.error());
        continue;
      }
      if (status = sink::CheckSchemaVersion(**conn); !status) {
        if (!status.error().retryable()) return status;
        continue;
      }
      writer = std::make_unique<sink::BatchWriter>(std::move(*conn), instance_id);
    }
    status = sink::WriteCounted(*writer, batches, counters, application_name);
    if (status) return status;
  }
  return status;
}

}  // namespace sluice::cli
