#include "daemon/daemon.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/env.h"
#include "common/logging.h"
#include "config/instance_id.h"
#include "config/listen_address.h"
#include "daemon/config_reloader.h"
#include "daemon/daemon_view.h"
#include "daemon/health.h"
#include "daemon/ingest_queue.h"
#include "daemon/ingest_socket.h"
#include "daemon/metrics.h"
#include "daemon/metrics_server.h"
#include "daemon/service_monitor.h"
#include "daemon/service_notifier.h"
#include "ingest/datagram_queue.h"
#include "ingest/datagram_socket.h"
#include "ingest/file_follower.h"
#include "ingest/receiver.h"
#include "pipeline/pipeline.h"
#include "sink/migrations.h"
#include "sink/pg_connection.h"
#include "sink/writer_pool.h"
#include "spool/spool.h"

namespace sluice::daemon {
namespace {

LogLevel ParseLevel(const std::string& level) {
  if (level == "debug") return LogLevel::kDebug;
  if (level == "warn") return LogLevel::kWarn;
  if (level == "error") return LogLevel::kError;
  return LogLevel::kInfo;
}

uint64_t BatchIdBase(const Clock& clock) {
  auto ms = clock.WallMicros() / 1000;
  return static_cast<uint64_t>(ms) * 1'000'000;  // room for 10^6 batches per ms of uptime
}

// Checks the schema when the database answers; an unreachable database is not an error at
// start (sluiced buffers and its writers keep retrying), a wrong schema is.
Status CheckDatabaseAtStart(const config::Settings& settings) {
  auto conn = sink::PgConnection::Connect(settings.database.conninfo, "sluiced");
  if (!conn) {
    LogWarn(conn.error().message() + "; starting anyway, writers will keep retrying");
    return Ok();
  }
  Status schema = sink::CheckSchemaVersion(**conn);
  if (!schema && !schema.error().retryable()) return schema;
  // Drift (a column dropped by hand) does not stop the start: events are buffered in the
  // spool and the writers keep reporting it until the schema is repaired.
  if (Status columns = sink::CheckSchemaColumns(**conn); !columns) {
    LogError(columns.error().message());
  }
  return Ok();
}

pipeline::FloodDetector::Options DetectorOptions(const config::FloodSettings& flood) {
  pipeline::FloodDetector::Options detector;
  detector.mode = flood.mode == "always"  ? pipeline::FloodMode::kAlways
                  : flood.mode == "never" ? pipeline::FloodMode::kNever
                                          : pipeline::FloodMode::kAuto;
  detector.enter_rate = static_cast<double>(flood.enter_rate);
  detector.leave_rate = static_cast<double>(flood.leave_rate);
  detector.rate_window = flood.rate_window_ms;
  detector.enter_backlog = flood.enter_backlog;
  detector.leave_backlog = flood.leave_backlog;
  detector.leave_after = flood.leave_after_ms;
  return detector;
}

pipeline::Pipeline::Options PipelineOptions(const config::Settings& settings, const Clock& clock) {
  pipeline::Pipeline::Options options;
  options.batch_rows = settings.database.batch_rows;
  options.batch_bytes = settings.database.batch_mb << 20;
  options.batch_ms = settings.database.batch_ms;
  options.batch_id_base = BatchIdBase(clock);
  options.keep_all = settings.ingest.keep == "all";
  options.host = config::LocalHost(settings);
  options.max_line_bytes = settings.ingest.max_datagram_bytes;
  const config::FloodSettings& flood = settings.flood;
  pipeline::FloodLadder::Options& ladder = options.flood;
  ladder.detector = DetectorOptions(flood);
  ladder.aggregate.key.clear();
  for (const std::string& name : flood.key) {
    if (auto field = pipeline::KeyFieldNamed(name)) ladder.aggregate.key.push_back(*field);
  }
  ladder.aggregate.max_keys = flood.max_keys;
  ladder.window = flood.window_ms;
  ladder.detail_sample = flood.detail_sample;
  ladder.summary_rows = settings.database.batch_rows;
  ladder.host = options.host;
  return options;
}

// The thread following settings.follow (null when there is none), each file resuming where
// the spool's marks say.
std::unique_ptr<ingest::FileFollower> StartFollower(const config::Settings& settings,
                                                    const spool::Spool& spool,
                                                    ingest::FollowedChunkQueue& queue,
                                                    Counters& counters, const Clock& clock) {
  if (settings.follow.empty()) return nullptr;
  ingest::FileFollower::Options options;
  options.paths = settings.follow;
  options.resume = spool.FollowPositions();
  options.max_lines = settings.database.batch_rows;
  // A chunk's rows are one batch: its lines stay well within batch_mb once encoded.
  options.max_bytes = std::max<size_t>(64 << 10, (settings.database.batch_mb << 20) / 4);
  return std::make_unique<ingest::FileFollower>(std::move(options), queue, counters, clock);
}

sigset_t HandledSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) sigaddset(&set, sig);
  return set;
}

// Waits for SIGTERM or SIGINT; SIGUSR1 logs the counters, SIGHUP reloads the config.
void WaitForStopSignal(const sigset_t& set, const Counters& counters, ConfigReloader* reloader) {
  while (true) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGUSR1) {
      LogInfo("counters: " + counters.Summary());
    } else if (sig == SIGHUP) {
      if (reloader != nullptr) {
        reloader->Reload();
      } else {
        LogWarn("SIGHUP: started without a config file, nothing to reload");
      }
    } else {
      LogInfo(std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") +
              ", flushing and stopping");
      return;
    }
  }
}

// The monitoring endpoint for `listen` ("" = none: null). Errors are logged.
Result<std::unique_ptr<MetricsServer>> StartMetrics(const std::string& listen,
                                                    const DaemonView& view,
                                                    const HealthMonitor& health,
                                                    int64_t started_us) {
  if (listen.empty()) return std::unique_ptr<MetricsServer>();
  auto address = config::ParseListenAddress(listen);
  if (!address) return Fail(ErrorCode::kInvalidArgument, "metrics.listen: bad address " + listen);
  auto server = MetricsServer::Start(
      *address,
      [&view, &health, started_us] { return RenderMetrics(view, health.Last(), started_us); },
      [&health] {
        HealthReport report = health.Last();
        return std::make_pair(report.healthy(), report.Summary());
      });
  if (server) LogInfo("metrics: serving /metrics and /healthz on http://" + (*server)->address());
  return server;
}

}  // namespace

int RunDaemon(const config::Settings& settings, Env& env, const ConfigSource& source) {
  SetJournalFormat(StderrIsJournal());
  SetLogLevel(ParseLevel(settings.log.level));
  const int64_t started_us = env.clock.WallMicros();
  const ServiceNotifier notifier;
  sigset_t signals = HandledSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // every thread started below inherits this
  // A peer gone mid-write (the database, a forward target) is an error to handle where it
  // happens, never a signal that ends sluiced.
  ::signal(SIGPIPE, SIG_IGN);
  // Before any thread: what sluiced creates (the socket before its mode is set, spool files)
  // is never writable by its group nor readable by others unless it says so.
  ::umask(0027);

  if (Status db = CheckDatabaseAtStart(settings); !db) {
    LogError(db.error().message());
    return kExitFailure;
  }
  Counters counters;
  spool::SpoolOptions spool_options;
  spool_options.dir = settings.spool.dir;
  spool_options.instance_id = config::InstanceId(settings);
  spool_options.mode =
      settings.spool.mode == "spill" ? spool::SpoolMode::kSpill : spool::SpoolMode::kWal;
  spool_options.sync_interval = settings.spool.sync_ms;
  spool_options.memory_bytes = settings.spool.memory_mb << 20;
  spool_options.disk_bytes = uint64_t{settings.spool.disk_mb} << 20;
  spool_options.segment_bytes = uint64_t{settings.spool.segment_mb} << 20;
  spool_options.zstd_level = settings.spool.zstd_level;
  auto spool = spool::Spool::Open(spool_options, env, counters);
  if (!spool) {
    LogError(spool.error().message());
    return kExitFailure;
  }
  sink::WriterPoolOptions pool_options;
  pool_options.conninfo = settings.database.conninfo;
  pool_options.instance_id = spool_options.instance_id;
  pool_options.writers = settings.database.writers;
  pool_options.backoff_min = settings.database.backoff_min_ms;
  pool_options.backoff_max = settings.database.backoff_max_ms;
  pool_options.partitions_ahead_days = settings.database.partitions_ahead_days;
  pool_options.ledger_keep_days = settings.database.ledger_keep_days;
  pool_options.retention_days = settings.database.retention_days;
  pool_options.statement_timeout = settings.database.statement_timeout_ms;
  pool_options.idle_disconnect = settings.database.idle_disconnect_ms;
  sink::WriterPool pool(pool_options, **spool, counters, env.clock);

  auto receivers_count = static_cast<size_t>(settings.ingest.receivers);
  auto ingest_queue = OpenIngestQueue(settings.ingest, **spool, counters);
  if (!ingest_queue) {
    LogError(ingest_queue.error().message());
    return kExitFailure;
  }
  ingest::DatagramQueue& queue = *ingest_queue->queue;
  ingest::FollowedChunkQueue followed;
  pipeline::Pipeline pipeline(
      queue, counters, env.clock, PipelineOptions(settings, env.clock),
      [&pool](format::Batch&& batch) { return pool.Submit(std::move(batch)); },
      [&spool] { return (*spool)->HasRoomForDetail(); },
      settings.follow.empty() ? nullptr : &followed);
  std::unique_ptr<ingest::FileFollower> follower =
      StartFollower(settings, **spool, followed, counters, env.clock);
  const DaemonView view{counters, queue, **spool, pool, pipeline, env.clock, follower.get()};
  HealthMonitor health(view);
  // Before the socket: a metrics address in use stops the start before anything is received.
  auto metrics = StartMetrics(settings.metrics.listen, view, health, started_us);
  if (!metrics) {
    LogError(metrics.error().message());
    return kExitFailure;
  }
  // Bind last: senders may start the moment the socket exists, and must find receivers.
  bool passed = false;
  auto socket = OpenIngestSocket(settings.ingest, &passed);
  if (!socket) {
    LogError(socket.error().message());
    return kExitFailure;
  }

  std::vector<std::unique_ptr<ingest::Receiver>> receivers;
  for (size_t i = 0; i < receivers_count; ++i) {
    receivers.push_back(std::make_unique<ingest::Receiver>(
        socket->fd(), queue, counters, settings.ingest.max_datagram_bytes, settings.ingest.forward,
        static_cast<uint32_t>(i)));
  }
  LogInfo("listening on " + socket->path() + (passed ? " (passed by the service manager)" : "") +
          " (" + std::to_string(receivers_count) + " receiver(s), " +
          std::to_string(queue.block_count()) + " blocks of " +
          std::to_string(queue.block_bytes() / 1024) + " KiB" +
          (ingest_queue->ring ? " in " + ingest_queue->ring->path() : std::string()) + ", " +
          std::to_string(settings.database.writers) + " writer(s))");

  std::optional<ConfigReloader> reloader;
  if (!source.path.empty()) {
    reloader.emplace(source.path, source.text,
                     [&](const config::Settings& next, const std::vector<std::string>& keys) {
                       SetLogLevel(ParseLevel(next.log.level));
                       pipeline.SetFloodThresholds(DetectorOptions(next.flood));
                       if (std::find(keys.begin(), keys.end(), "metrics.listen") == keys.end()) {
                         return;
                       }
                       metrics->reset();  // the old port is free before the new one is bound
                       auto restarted = StartMetrics(next.metrics.listen, view, health, started_us);
                       if (!restarted) {
                         LogError(restarted.error().message() + "; no metrics endpoint now");
                       } else {
                         *metrics = std::move(*restarted);
                       }
                     });
  }
  // Recovery is done and the socket is served: the service manager may start the MTAs.
  notifier.Ready(StatusLine(view, health.Check(), 0));
  {
    ServiceMonitor monitor(view, health, notifier);  // Check()s from its thread from now on
    WaitForStopSignal(signals, counters, reloader ? &*reloader : nullptr);
    notifier.Stopping();
  }
  metrics->reset();

  for (auto& receiver : receivers) receiver->Stop();
  follower.reset();  // before the pipeline, which then takes the chunks still queued
  pipeline.Stop();
  auto deadline = env.clock.Now() + settings.database.shutdown_timeout_ms;
  if (!pool.Drain(deadline)) {
    LogWarn("shutdown timeout reached with batches unwritten; they stay in the spool at " +
            settings.spool.dir + " for the next start");
  }
  pool.Stop();
  // Every batch of the ring's datagrams is in the spool or counted: the ring is not needed.
  if (ingest_queue->ring) ingest_queue->ring->Remove();
  if (uint64_t lost = (*spool)->SpillMemory(); lost > 0) {
    counters.Shed(counters.shed_shutdown, lost);
    LogWarn(std::to_string(lost) +
            " events could not be written or spooled at shutdown; counted as shed");
  }
  LogInfo("stopped: " + counters.Summary());
  return kExitOk;
}

}  // namespace sluice::daemon
