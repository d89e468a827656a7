#pragma once

#include <chrono>
#include <string>

#include "common/status.h"
#include "sink/pg_connection.h"

namespace sluice::sink {

// The schema version this build writes to and migrates up to.
inline constexpr int kSchemaVersion = 6;

// What Migrate() did.
struct MigrationOutcome {
  int from_version;  // 0 when schema sluice did not exist
  int to_version;
};

// Creates or upgrades schema `sluice` to kSchemaVersion in one transaction, serialised
// against concurrent runs by an advisory lock. Idempotent. A database already at a newer
// version is refused with kInvalidArgument. Then grants the roles of conf/sql/roles.sql that
// exist (sluice_writer, sluice_reader) what they need on the schema as it now is.
Result<MigrationOutcome> Migrate(PgConnection& conn);

// The schema version found in the database: 0 when there is none.
Result<int> SchemaVersion(PgConnection& conn);

// kInvalidArgument with a message telling the operator what to do, unless the database holds
// exactly kSchemaVersion.
Status CheckSchemaVersion(PgConnection& conn);

// kUnavailable, naming what is missing and what to do, unless every column sluiced writes is
// in its table (sluice.events, aggregates, shed, batches, dead_letters): schema drift, say a
// column dropped by hand, is found when a writer connects instead of by bisecting every batch.
// Reads pg_catalog, which needs no privilege on the tables.
Status CheckSchemaColumns(PgConnection& conn);

// Creates the daily partitions of sluice.events from yesterday to `days_ahead` days ahead
// (UTC days), through sluice.ensure_partitions (SECURITY DEFINER: the writer role needs only
// EXECUTE on it). Safe to run concurrently and repeatedly.
Status EnsurePartitions(PgConnection& conn, int days_ahead);

// Indexes the day partitions of sluice.events whose UTC day is over and that have no index
// yet (client_ip, lower(sender), lower(recipient)), through sluice.index_closed_days (SECURITY
// DEFINER). Returns how many partitions it indexed. The day being written is never indexed:
// writers' COPYs into it keep their speed. Building a day's indexes locks that partition
// against writes, which no longer go there. A big day takes minutes (bench/row-cost: 439k
// rows/s on the development machine), longer than a statement is otherwise allowed, so the
// build runs in a transaction of its own allowed kIndexBuildTimeout.
inline constexpr std::chrono::milliseconds kIndexBuildTimeout = std::chrono::hours(6);
Result<int> IndexClosedDays(PgConnection& conn);

// Deletes ledger rows (sluice.batches) committed more than `keep_days` days ago, through
// sluice.prune_ledger (SECURITY DEFINER, like ensure_partitions).
Status PruneLedger(PgConnection& conn, int keep_days);

// Retention: drops the day partitions of sluice.events wholly older than `keep_days` days
// (UTC; never row by row) and deletes the rows of events_default, sluice.aggregates, shed and
// dead_letters older than that, through sluice.drop_expired (SECURITY DEFINER). Returns
// what it did, for a person ("before DATE: N day partitions ... dropped; ..."), or "" when
// there was nothing to drop. Dropping a
// partition briefly locks sluice.events (writers' COPYs wait for it).
Result<std::string> DropExpired(PgConnection& conn, int keep_days);

}  // namespace sluice::sink
