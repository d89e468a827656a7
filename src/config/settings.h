#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace sluice::config {

// Every setting of sluiced, typed and validated, with its default. conf/sluice.toml documents
// each key with the same default. Value type; thread-compatible.
struct IngestSettings {
  std::string socket = "/run/sluice/sluice.sock";  // Unix datagram socket the MTAs write to
  mode_t socket_mode = 0660;                       // permission bits of the socket file
  std::string socket_group;                        // group of the socket file; "" = ours
  int receivers = 1;                               // receiver threads on the socket
  size_t queue_mb = 64;                            // memory between receivers and pipeline
  size_t max_datagram_bytes = 65536;               // longer datagrams are truncated, malformed
  int rcvbuf_kb = 0;                               // SO_RCVBUF; 0 keeps the system default
  std::string keep = "rejects";  // "rejects": reject lines (and malformed ones) become rows;
                                 // "all": every line does
  std::string forward;           // another socket every datagram is passed on to; "" = none
  std::string ring;              // a file on tmpfs holding the queue's blocks, so what was received
                     // survives a kill -9 (ingest/ingest_ring.h); "" = the queue in memory
  std::string host;  // host of rows whose syslog header names none (glibc's syslog(3) sends
                     // none) and of sluice.shed rows; "" = this machine's name
};

struct DatabaseSettings {
  std::string conninfo;                                  // libpq conninfo; required (may be "")
  int writers = 2;                                       // connections to PostgreSQL, never more
  size_t batch_rows = 5000;                              // a batch is sent at this many rows...
  size_t batch_mb = 32;                                  // ...or this many MiB of COPY data...
  std::chrono::milliseconds batch_ms{200};               // ...or when its oldest row is this old
  std::chrono::milliseconds shutdown_timeout_ms{10000};  // flush budget on SIGTERM
  std::chrono::milliseconds backoff_min_ms{100};         // first reconnect delay
  std::chrono::milliseconds backoff_max_ms{10000};       // reconnect delay cap
  int partitions_ahead_days = 3;                         // daily partitions created in advance
  int ledger_keep_days = 30;  // sluice.batches rows older than this are deleted (hourly)
  // Data older than this many days is dropped (hourly): day partitions of sluice.events, and
  // aggregates, shed counts and dead letters as old. 0 keeps everything.
  int retention_days = 0;
  // A statement (a COPY of a batch, say) the server has not answered after this long is
  // cancelled, and after 1 s more its connection is dropped and the batch written again on a
  // new one; 0 waits as long as the server takes.
  std::chrono::milliseconds statement_timeout_ms{60'000};
  // A writer with no batch to write for this long closes its connection, and opens one again
  // when batches wait, so idle hosts of a fleet hold no server connections; 0 keeps them open.
  std::chrono::milliseconds idle_disconnect_ms{30'000};
  std::string instance_id;  // this sluiced's name in the ledger and its spool segments;
                            // "" = "HOSTNAME:SOCKET" (config/instance_id.h)
};

struct SpoolSettings {
  std::string dir = "/var/lib/sluice/spool";  // segment files, LOCK and quarantine/
  std::string mode = "wal";  // wal: every batch to disk first | spill: only when memory is full
  std::chrono::milliseconds sync_ms{100};  // appended segment data is fdatasync'ed this often
  size_t memory_mb = 256;  // batches waiting for the database in memory, then on disk
  size_t disk_mb = 4096;   // all segment files together; beyond it events are shed
  size_t segment_mb = 64;  // a segment file is closed and a new one begun past this
  int zstd_level = 3;      // zstd level of segment records
};

// When and how rejects are aggregated instead of stored one by one (README "Under flood").
struct FloodSettings {
  std::string mode = "auto";     // auto: under flood only | always | never
  uint64_t enter_rate = 20'000;  // events/s over rate_window_ms that start a flood...
  uint64_t leave_rate = 5'000;   // ...and below which (and below leave_backlog) it ends
  std::chrono::milliseconds rate_window_ms{5'000};
  uint64_t enter_backlog = 1'000'000;  // events waiting for the database that start a flood
  uint64_t leave_backlog = 100'000;
  std::chrono::milliseconds leave_after_ms{10'000};  // calm this long before leaving
  std::chrono::milliseconds window_ms{10'000};       // aggregation window (and shed reports)
  uint32_t detail_sample = 100;  // while aggregating, 1 reject in this many stays a detail row
  size_t max_keys = 20'000;      // keys per window before they are coarsened (~450 B each)
  std::vector<std::string> key = {"client_ip", "reason_class", "rbl", "host"};
};

struct LogSettings {
  std::string level = "info";  // debug | info | warn | error
};

// The HTTP endpoint for monitoring (README "Watching it"): GET /metrics (Prometheus text
// format) and GET /healthz.
struct MetricsSettings {
  std::string listen;  // "HOST:PORT" (config/listen_address.h); "" = no endpoint
};

struct Settings {
  IngestSettings ingest;
  DatabaseSettings database;
  SpoolSettings spool;
  FloodSettings flood;
  LogSettings log;
  MetricsSettings metrics;
  // Log files sluiced follows like `tail -F` ([[follow]] path = "..."), for MTAs that write
  // their own files (Exim's mainlog, Postfix's maillog_file): absolute paths, each once.
  std::vector<std::string> follow;
};

}  // namespace sluice::config
