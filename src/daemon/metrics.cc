#include "daemon/metrics.h"

#include "common/version.h"
#include "daemon/prometheus_text.h"

namespace sluice::daemon {
namespace {

uint64_t Get(const std::atomic<uint64_t>& counter) {
  return counter.load(std::memory_order_relaxed);
}

void AccountingCounters(const Counters& c, PrometheusText& page) {
  page.Counter("sluice_datagrams_received_total", "Datagrams read from the socket.",
               Get(c.received));
  page.Counter("sluice_received_bytes_total", "Payload bytes of the datagrams read.", Get(c.bytes));
  page.Counter("sluice_follow_lines_total", "Lines of followed files taken as events.",
               Get(c.followed));
  page.Counter("sluice_follow_errors_total",
               "Times a followed file could not be opened or read (retried).",
               Get(c.follow_errors));
  page.Counter("sluice_follow_mark_errors_total",
               "Times the followed files' positions could not be saved in the spool directory.",
               Get(c.follow_mark_errors));
  page.Counter("sluice_follow_held_total",
               "Times the spool refused a followed file's batch: held, offered again, and the "
               "files not read further meanwhile.",
               Get(c.follow_held));
  page.Counter("sluice_events_stored_total", "Well-formed events committed as detail rows.",
               Get(c.stored));
  page.Counter("sluice_events_malformed_total", "Malformed datagrams committed as raw detail rows.",
               Get(c.malformed));
  page.Counter("sluice_events_aggregated_total",
               "Events counted in committed rows of sluice.aggregates.", Get(c.aggregated));
  page.Counter("sluice_events_dead_lettered_total",
               "Rows the database refused, kept in sluice.dead_letters.", Get(c.dead_lettered));
  page.Counter("sluice_events_ignored_total", "Lines that were not rejects (ingest.keep).",
               Get(c.ignored));
  page.LabelledCounter("sluice_events_shed_total", "Events dropped and counted, by cause.", "cause",
                       {{"queue_full", Get(c.shed_queue_full)},
                        {"spool_full", Get(c.shed_spool_full)},
                        {"aggregate_full", Get(c.shed_aggregate_full)},
                        {"shutdown", Get(c.shed_shutdown)},
                        {"spool_damaged", Get(c.shed_spool_damaged)},
                        {"rejected", Get(c.shed_rejected)},
                        {"ring_torn", Get(c.shed_ring_torn)}});
  page.Counter("sluice_ring_replayed_total",
               "Datagrams a previous run had received and not stored, found in the ingest ring "
               "at start and taken now.",
               Get(c.ring_replayed));
  page.Counter("sluice_ring_early_flushes_total",
               "Times half the ingest ring's blocks waited for an open batch or flood window, "
               "which was then closed early.",
               Get(c.ring_early_flushes));
  page.Counter("sluice_aggregate_rows_total", "Committed rows of sluice.aggregates.",
               Get(c.aggregate_rows));
  page.Counter("sluice_shed_rows_total", "Committed rows of sluice.shed.", Get(c.shed_rows));
  page.LabelledCounter("sluice_forward_datagrams_total",
                       "Datagrams passed on to ingest.forward, or not: dropped (the target was "
                       "full) or refused (it was gone or refused them).",
                       "outcome",
                       {{"forwarded", Get(c.forwarded)},
                        {"dropped", Get(c.forward_dropped)},
                        {"refused", Get(c.forward_refused)}});
}

void DatabaseCounters(const Counters& c, PrometheusText& page) {
  page.LabelledCounter(
      "sluice_batches_total", "Batches sent to the database, by outcome.", "outcome",
      {{"committed", Get(c.batches_committed)}, {"skipped_in_ledger", Get(c.batches_skipped)}});
  page.Counter("sluice_database_errors_total", "Failed connects and writes (each retried).",
               Get(c.db_errors));
  PrometheusText::Labelled refusals;
  for (const auto& [sqlstate_class, count] : c.RefusalsByClass()) {
    refusals.emplace_back(sqlstate_class, count);
  }
  page.LabelledCounter("sluice_database_refusals_total",
                       "Statements the server refused for a reason other than the rows, by "
                       "SQLSTATE class.",
                       "sqlstate_class", refusals);
  page.Counter("sluice_writer_restarts_total", "Writer threads started again after an exception.",
               Get(c.writer_restarts));
  page.Counter("sluice_database_idle_disconnects_total",
               "Connections a writer closed after database.idle_disconnect_ms without work.",
               Get(c.db_idle_disconnects));
  page.Histogram("sluice_batch_commit_seconds", "Time to write and commit one transaction.",
                 c.commit_seconds);
  page.Histogram("sluice_event_age_at_commit_seconds",
                 "Age of a batch's oldest event when it was committed.", c.event_age_seconds);
}

void SpoolCounters(const Counters& c, PrometheusText& page) {
  page.Counter("sluice_spool_batches_total", "Batches written to spool segments.",
               Get(c.spooled_batches));
  page.Counter("sluice_spool_written_bytes_total", "Compressed bytes written to spool segments.",
               Get(c.spooled_bytes));
  page.Counter("sluice_spool_syncs_total", "fdatasync rounds over appended segments.",
               Get(c.spool_syncs));
  page.Counter("sluice_spool_sync_failures_total", "Segments whose fdatasync failed.",
               Get(c.spool_sync_failures));
  page.Counter("sluice_spool_rewritten_batches_total", "Batches written again after a failed sync.",
               Get(c.spool_rewritten));
  page.Counter("sluice_spool_at_risk_events_total",
               "Events that may not be on disk after a failed sync.", Get(c.spool_at_risk_events));
  page.Counter("sluice_spool_recovered_batches_total", "Batches found in the spool at start.",
               Get(c.recovered_batches));
  page.Counter("sluice_spool_quarantined_segments_total", "Damaged spool segments set aside.",
               Get(c.quarantined_segments));
  page.Counter("sluice_spool_read_errors_total",
               "Spooled batches the disk failed to read (kept, read again).",
               Get(c.spool_read_errors));
}

void Gauges(const DaemonView& view, const HealthReport& health, PrometheusText& page) {
  const Counters& c = view.counters;
  page.Gauge("sluice_ingest_queue_bytes", "Memory of the ingest queue in use.",
             static_cast<double>(view.queue.BlocksInUse() * view.queue.block_bytes()));
  page.Gauge("sluice_ingest_queue_capacity_bytes", "Memory of the ingest queue.",
             static_cast<double>(view.queue.block_count() * view.queue.block_bytes()));
  page.Gauge("sluice_spool_memory_bytes", "Batches waiting for the database, in memory.",
             static_cast<double>(Get(c.spool_memory_bytes)));
  page.Gauge("sluice_spool_disk_bytes", "Size of the spool's segment files.",
             static_cast<double>(Get(c.spool_disk_bytes)));
  page.Gauge("sluice_spool_events", "Events waiting for the database.",
             static_cast<double>(view.spool.pending_events()));
  int64_t oldest = view.spool.OldestEventMicros();
  page.Gauge("sluice_spool_oldest_event_age_seconds",
             "Age of the oldest event waiting for the database (0 when none waits).",
             oldest == 0 ? 0.0 : static_cast<double>(view.clock.WallMicros() - oldest) / 1e6);
  page.Gauge("sluice_flood_ladder_step",
             "Degradation step: 1 detail, 2 aggregating, 3 aggregates only, 4 coarser keys, "
             "5 count only.",
             static_cast<double>(Get(c.ladder_step)));
  page.Gauge("sluice_flood", "1 while a flood is detected.", static_cast<double>(Get(c.flood)));
  page.Gauge("sluice_database_connections", "Writers with an open database connection.",
             static_cast<double>(view.pool.Connections()));
  page.Gauge("sluice_writers", "Writer threads configured (database.writers).",
             static_cast<double>(view.pool.writers()));
  page.Gauge("sluice_writers_alive", "Writers going round their loop (not stuck).",
             static_cast<double>(view.pool.writers() - health.stuck_writers));
  page.Gauge("sluice_pipeline_alive", "1 while the pipeline thread goes round its loop.",
             health.pipeline_stuck ? 0 : 1);
  if (view.follower != nullptr) {
    page.Gauge("sluice_follower_alive",
               "1 while the thread following [[follow]] files goes round its loop.",
               health.follower_stuck ? 0 : 1);
  }
  page.Gauge("sluice_healthy", "1 when /healthz answers 200.", health.healthy() ? 1 : 0);
  PrometheusText::Labelled episodes(health.episodes.begin(), health.episodes.end());
  page.LabelledCounter("sluice_health_problems_total",
                       "Times each kind of problem began (pipeline, writers or file follower "
                       "stuck, database unreachable, shedding).",
                       "kind", episodes);
}

}  // namespace

std::string RenderMetrics(const DaemonView& view, const HealthReport& health, int64_t started_us) {
  PrometheusText page;
  page.Info("sluice_build_info", "The version of sluiced.", "version", Version());
  page.Gauge("sluice_start_time_seconds", "When sluiced started, seconds since the epoch.",
             static_cast<double>(started_us) / 1e6);
  AccountingCounters(view.counters, page);
  DatabaseCounters(view.counters, page);
  SpoolCounters(view.counters, page);
  Gauges(view, health, page);
  return page.text();
}

}  // namespace sluice::daemon
