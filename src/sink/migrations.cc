#include "sink/migrations.h"

#include <array>
#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "format/copy_encoder.h"
#include "format/summary_encoder.h"
#include "sink/privileges.h"

namespace sluice::sink {
namespace {

// Key of the advisory lock that serialises migrations ("sluice" in ASCII).
constexpr std::string_view kLockKey = "x'736c75696365'::bigint";

// Migration N takes the schema from version N-1 to N. Never edit a released step: add one.
constexpr std::array<std::string_view, kSchemaVersion> kSteps = {
    // 1: events (partitioned by day), the batch ledger, partition upkeep.
    R"sql(
CREATE TABLE sluice.events (
  received_at timestamptz NOT NULL,
  logged_at   timestamptz,
  host        text,
  program     text,
  pid         integer,
  mta         text,
  stage       text,
  is_reject   boolean,
  client_ip   inet,
  client_name text,
  helo        text,
  sender      text,
  recipient   text,
  smtp_code   smallint,
  dsn         text,
  reason      text,
  rbl         text,
  raw         text NOT NULL,
  malformed   boolean NOT NULL DEFAULT false,
  batch_id    bigint NOT NULL
) PARTITION BY RANGE (received_at);
COMMENT ON COLUMN sluice.events.malformed IS
  'the datagram was empty, truncated, not UTF-8 or held NUL bytes; raw holds it escaped';
CREATE TABLE sluice.events_default PARTITION OF sluice.events DEFAULT;

CREATE TABLE sluice.batches (
  instance_id  text NOT NULL,
  batch_id     bigint NOT NULL,
  rows         integer NOT NULL,
  events       bigint NOT NULL,
  committed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (instance_id, batch_id)
);

CREATE FUNCTION sluice.ensure_partitions(days_ahead integer) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
  today date := (now() AT TIME ZONE 'UTC')::date;
  day date;
  created integer := 0;
  name text;
BEGIN
  PERFORM pg_advisory_xact_lock(x'736c75696366'::bigint);
  FOR i IN -1..days_ahead LOOP
    day := today + i;
    name := 'events_' || to_char(day, 'YYYYMMDD');
    IF to_regclass('sluice.' || name) IS NULL THEN
      BEGIN
        EXECUTE format(
          'CREATE TABLE sluice.%I PARTITION OF sluice.events FOR VALUES FROM (%L) TO (%L)',
          name, day::text || ' 00:00:00+00', (day + 1)::text || ' 00:00:00+00');
        created := created + 1;
      EXCEPTION WHEN check_violation THEN
        -- rows for that day already sit in events_default: leave them there
        RAISE WARNING 'sluice: partition % not created: rows for that day are in events_default', name;
      END;
    END IF;
  END LOOP;
  RETURN created;
END
$fn$;
)sql",
    // 2: rows the database refused, set aside instead of blocking their batch.
    R"sql(
CREATE INDEX batches_committed_at ON sluice.batches (committed_at);

CREATE TABLE sluice.dead_letters (
  instance_id  text NOT NULL,
  batch_id     bigint NOT NULL,
  row_in_batch integer NOT NULL,
  failed_at    timestamptz NOT NULL DEFAULT now(),
  error        text NOT NULL,
  raw          text,
  copy_tuple   bytea NOT NULL,
  PRIMARY KEY (instance_id, batch_id, row_in_batch)
);
COMMENT ON TABLE sluice.dead_letters IS
  'rows of sluice.events the database refused; copy_tuple is the row as sent (binary COPY '
  'tuple), raw its log line; row_in_batch -1 holds a whole batch that could not be split';
)sql",
    // 3: reject classes, aggregates under flood, and shed counts: the whole accounting.
    R"sql(
ALTER TABLE sluice.events ADD COLUMN reason_class text;
COMMENT ON COLUMN sluice.events.reason_class IS
  'the reject''s class (README, "Reject classes"); NULL for lines that are not rejects';

CREATE TABLE sluice.aggregates (
  window_start timestamptz NOT NULL,
  window_end   timestamptz NOT NULL,
  host         text,
  mta          text,
  stage        text,
  client_ip    inet,
  reason_class text,
  rbl          text,
  smtp_code    smallint,
  granularity  text NOT NULL,
  events       bigint NOT NULL,
  first_seen   timestamptz NOT NULL,
  last_seen    timestamptz NOT NULL,
  sample       text,
  batch_id     bigint NOT NULL
);
CREATE INDEX aggregates_window_start ON sluice.aggregates (window_start);
COMMENT ON TABLE sluice.aggregates IS
  'rejects counted per key per window under flood instead of stored one by one; a column '
  'outside the key is NULL; granularity: key (as configured), prefix (client_ip coarsened to '
  'a /24 or /64 network) or class (reason_class and host only)';

CREATE TABLE sluice.shed (
  window_start timestamptz NOT NULL,
  window_end   timestamptz NOT NULL,
  host         text,
  cause        text NOT NULL,
  events       bigint NOT NULL,
  batch_id     bigint NOT NULL
);
CREATE INDEX shed_window_start ON sluice.shed (window_start);
COMMENT ON TABLE sluice.shed IS
  'events sluiced dropped, counted per cause (queue_full, spool_full, aggregate_full, '
  'spool_damaged, rejected); host is the machine sluiced runs on';

CREATE VIEW sluice.accounting AS
  SELECT (SELECT count(*) FROM sluice.events) AS detail_events,
         (SELECT coalesce(sum(events), 0) FROM sluice.aggregates)::bigint AS aggregated_events,
         (SELECT coalesce(sum(events), 0) FROM sluice.shed)::bigint AS shed_events;
)sql",
    // 4: least privilege (conf/sql/roles.sql): partition upkeep and ledger trimming run as
    // the schema's owner, so the writer role needs neither CREATE nor DELETE.
    R"sql(
ALTER FUNCTION sluice.ensure_partitions(integer)
  SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION sluice.prune_ledger(keep_days integer) RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
  WITH gone AS (
    DELETE FROM sluice.batches WHERE committed_at < now() - make_interval(days => keep_days)
    RETURNING 1)
  SELECT count(*) FROM gone
$fn$;
REVOKE EXECUTE ON FUNCTION sluice.ensure_partitions(integer), sluice.prune_ledger(integer)
  FROM PUBLIC;
)sql",
    // 5: retention (database.retention_days): whole day partitions of sluice.events older
    // than the limit are dropped, and aggregates, shed counts and dead letters as old deleted,
    // as the schema's owner. And sluice.rejects: detail rows and aggregates in one shape.
    R"sql(
CREATE VIEW sluice.rejects AS
  SELECT received_at AS at, logged_at AS first_seen, logged_at AS last_seen, host, mta, stage,
         client_ip, reason_class, rbl, smtp_code, sender, recipient, 1::bigint AS events,
         'detail'::text AS source, raw AS line
    FROM sluice.events WHERE is_reject
  UNION ALL
  SELECT window_start, first_seen, last_seen, host, mta, stage, client_ip, reason_class, rbl,
         smtp_code, NULL, NULL, events, 'aggregate:' || granularity, sample
    FROM sluice.aggregates;
COMMENT ON VIEW sluice.rejects IS
  'every reject, stored one by one (source detail, events 1) or counted under flood (source '
  'aggregate:key|prefix|class, events n, line a sample, client_ip the network for prefix, '
  'NULL for class; no sender or recipient): sum(events) counts them whatever the ladder did';
CREATE FUNCTION sluice.drop_expired(keep_days integer) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  cutoff date := (now() AT TIME ZONE 'UTC')::date - keep_days;
  cutoff_at timestamptz := (cutoff::text || ' 00:00:00+00')::timestamptz;
  part record;
  dropped integer := 0;
  from_default bigint;
  aggregates bigint;
  shed bigint;
  dead bigint;
BEGIN
  IF keep_days < 1 THEN
    RAISE EXCEPTION 'sluice.drop_expired: keep_days must be at least 1, got %', keep_days;
  END IF;
  PERFORM pg_advisory_xact_lock(x'736c75696366'::bigint);
  FOR part IN
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'sluice.events'::regclass AND c.relname ~ '^events_[0-9]{8}$'
      AND to_date(substr(c.relname, 8), 'YYYYMMDD') < cutoff
    ORDER BY c.relname
  LOOP
    EXECUTE format('DROP TABLE sluice.%I', part.relname);
    dropped := dropped + 1;
  END LOOP;
  DELETE FROM sluice.events_default WHERE received_at < cutoff_at;
  GET DIAGNOSTICS from_default = ROW_COUNT;
  DELETE FROM sluice.aggregates WHERE window_start < cutoff_at;
  GET DIAGNOSTICS aggregates = ROW_COUNT;
  DELETE FROM sluice.shed WHERE window_start < cutoff_at;
  GET DIAGNOSTICS shed = ROW_COUNT;
  DELETE FROM sluice.dead_letters WHERE failed_at < cutoff_at;
  GET DIAGNOSTICS dead = ROW_COUNT;
  IF dropped + from_default + aggregates + shed + dead = 0 THEN
    RETURN '';
  END IF;
  RETURN format('before %s: %s day partitions of sluice.events dropped; %s rows of '
                'events_default, %s aggregate rows, %s shed rows, %s dead letters deleted',
                cutoff, dropped, from_default, aggregates, shed, dead);
END
$fn$;
REVOKE EXECUTE ON FUNCTION sluice.drop_expired(integer) FROM PUBLIC;
)sql",
    // 6: indexes for sluice lookup: in each day partition of sluice.events once its day is
    // over, an address (btree: =, and <<= through the planner's network support), a sender
    // and a recipient (as lookup compares them); the day being written stays without, so
    // COPY keeps its speed (indexes on it halved the rows/s landed: BENCHMARKS.md). In
    // aggregates, the networks holding an address (GiST inet_ops: >>=).
    R"sql(
CREATE INDEX aggregates_client_ip ON sluice.aggregates USING gist (client_ip inet_ops);
CREATE FUNCTION sluice.index_closed_days() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  part record;
  made integer := 0;
BEGIN
  PERFORM pg_advisory_xact_lock(x'736c75696367'::bigint);
  FOR part IN
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'sluice.events'::regclass AND c.relname ~ '^events_[0-9]{8}$'
      AND to_date(substr(c.relname, 8), 'YYYYMMDD') < (now() AT TIME ZONE 'UTC')::date
      AND to_regclass('sluice.' || c.relname || '_recipient') IS NULL
    ORDER BY c.relname
  LOOP
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON sluice.%I (client_ip)',
                   part.relname || '_client_ip', part.relname);
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON sluice.%I (lower(sender))',
                   part.relname || '_sender', part.relname);
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON sluice.%I (lower(recipient))',
                   part.relname || '_recipient', part.relname);
    made := made + 1;
  END LOOP;
  RETURN made;
END
$fn$;
REVOKE EXECUTE ON FUNCTION sluice.index_closed_days() FROM PUBLIC;
SELECT sluice.index_closed_days();
)sql",
};

// Grants the roles of conf/sql/roles.sql that exist what they may do (sink/privileges.h for
// the writer), at every migration, so that tables a later one adds are covered too.
Status GrantToRoles(PgConnection& conn) {
  return conn.Exec(
      "DO $grants$ BEGIN\n"
      "IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'sluice_writer') THEN\n" +
      GrantWriterPrivileges("sluice_writer") +
      "END IF;\n"
      "IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'sluice_reader') THEN\n"
      "GRANT USAGE ON SCHEMA sluice TO sluice_reader;\n"
      "GRANT SELECT ON ALL TABLES IN SCHEMA sluice TO sluice_reader;\n"
      "END IF;\n"
      "END $grants$");
}

}  // namespace

Result<int> SchemaVersion(PgConnection& conn) {
  auto exists = conn.ExecScalar("SELECT to_regclass('sluice.schema_version') IS NOT NULL");
  if (!exists) return tl::unexpected(exists.error());
  if (*exists != "t") return 0;
  auto version = conn.ExecScalar("SELECT coalesce(max(version), 0) FROM sluice.schema_version");
  if (!version) return tl::unexpected(version.error());
  return std::stoi(*version);
}

Result<MigrationOutcome> Migrate(PgConnection& conn) {
  SLUICE_RETURN_IF_ERROR(conn.Exec("BEGIN"));
  auto rollback_with = [&](Error error) -> Result<MigrationOutcome> {
    (void)conn.Exec("ROLLBACK");  // the error being returned matters more than this one
    return tl::unexpected(std::move(error));
  };
  Status locked = conn.Exec("SELECT pg_advisory_xact_lock(" + std::string(kLockKey) + ")");
  if (!locked) return rollback_with(locked.error());
  Status base = conn.Exec(
      "CREATE SCHEMA IF NOT EXISTS sluice;"
      "CREATE TABLE IF NOT EXISTS sluice.schema_version ("
      "  version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
  if (!base) return rollback_with(base.error());
  auto from = SchemaVersion(conn);
  if (!from) return rollback_with(from.error());
  if (*from > kSchemaVersion) {
    return rollback_with(Error(ErrorCode::kInvalidArgument,
                               "the database schema is at version " + std::to_string(*from) +
                                   ", newer than this sluice (" + std::to_string(kSchemaVersion) +
                                   "); upgrade sluice"));
  }
  for (int version = *from + 1; version <= kSchemaVersion; ++version) {
    Status step = conn.Exec(kSteps[static_cast<size_t>(version - 1)]);
    if (!step) return rollback_with(step.error());
    Status record = conn.Exec("INSERT INTO sluice.schema_version (version) VALUES (" +
                              std::to_string(version) + ")");
    if (!record) return rollback_with(record.error());
  }
  Status granted = GrantToRoles(conn);
  if (!granted) return rollback_with(granted.error());
  SLUICE_RETURN_IF_ERROR(conn.Exec("COMMIT"));
  return MigrationOutcome{*from, kSchemaVersion};
}

Status CheckSchemaVersion(PgConnection& conn) {
  auto version = SchemaVersion(conn);
  if (!version) return tl::unexpected(version.error());
  if (*version == kSchemaVersion) return Ok();
  if (*version < kSchemaVersion) {
    return Fail(ErrorCode::kInvalidArgument,
                *version == 0 ? "the database has no sluice schema; run 'sluice migrate --config "
                                "FILE' first"
                              : "the database schema is at version " + std::to_string(*version) +
                                    ", older than this sluice (" + std::to_string(kSchemaVersion) +
                                    "); run 'sluice migrate --config FILE'");
  }
  return Fail(ErrorCode::kInvalidArgument,
              "the database schema is at version " + std::to_string(*version) +
                  ", newer than this sluice (" + std::to_string(kSchemaVersion) +
                  "); upgrade sluice, or run the sluice that migrated it");
}

Status CheckSchemaColumns(PgConnection& conn) {
  struct Table {
    std::string_view name;
    std::string_view columns;  // comma-separated, as the COPY statements name them
  };
  const std::array<Table, 5> tables = {{
      {"events", format::kEventColumns},
      {"aggregates", format::kAggregateColumns},
      {"shed", format::kShedColumns},
      {"batches", "instance_id, batch_id, rows, events"},
      {"dead_letters", "instance_id, batch_id, row_in_batch, error, raw, copy_tuple"},
  }};
  auto present = conn.ExecColumn(
      "SELECT c.relname || '.' || a.attname FROM pg_attribute a "
      "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE n.nspname = 'sluice' AND a.attnum > 0 AND NOT a.attisdropped");
  if (!present) return tl::unexpected(present.error());
  std::set<std::string, std::less<>> found(present->begin(), present->end());
  std::string missing;
  for (const Table& table : tables) {
    std::string_view rest = table.columns;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view column = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? "" : rest.substr(comma + 2);
      std::string name = std::string(table.name) + "." + std::string(column);
      if (!found.contains(name)) missing += (missing.empty() ? "sluice." : ", sluice.") + name;
    }
  }
  if (missing.empty()) return Ok();
  return Fail(ErrorCode::kUnavailable,
              "schema drift: " + missing +
                  " missing; run 'sluice migrate' or restore them (batches wait in the spool)");
}

Status PruneLedger(PgConnection& conn, int keep_days) {
  return conn.Exec("SELECT sluice.prune_ledger(" + std::to_string(keep_days) + ")");
}

Result<std::string> DropExpired(PgConnection& conn, int keep_days) {
  auto summary = conn.ExecColumn("SELECT sluice.drop_expired(" + std::to_string(keep_days) + ")");
  if (!summary) return tl::unexpected(summary.error());
  return summary->empty() ? std::string() : summary->front();
}

Result<int> IndexClosedDays(PgConnection& conn) {
  auto made = conn.ExecScalarWithTimeout("SELECT sluice.index_closed_days()", kIndexBuildTimeout);
  if (!made) return tl::unexpected(made.error());
  return std::stoi(*made);
}

Status EnsurePartitions(PgConnection& conn, int days_ahead) {
  return conn.Exec("SELECT sluice.ensure_partitions(" + std::to_string(days_ahead) + ")");
}

}  // namespace sluice::sink
