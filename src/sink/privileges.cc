#include "sink/privileges.h"

namespace sluice::sink {

Result<std::vector<std::string>> MissingWriterPrivileges(PgConnection& conn) {
  auto schema = conn.ExecScalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'sluice'");
  if (!schema) return tl::unexpected(schema.error());
  if (*schema == "0") {
    return Fail(ErrorCode::kInvalidArgument,
                "the database has no schema sluice; run 'sluice migrate --config FILE' first");
  }
  // One row per privilege sluiced uses, kept beside the grants of migrations.cc. Objects are
  // found by OID in the catalogs (readable by every role), so that a role without USAGE on
  // the schema gets the list rather than "permission denied".
  return conn.ExecColumn(R"sql(
WITH rel AS (
  SELECT c.relname, c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'sluice'),
fn AS (
  SELECT p.proname, p.oid FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname = 'sluice')
SELECT need.privilege || ' on ' || need.object
FROM (VALUES
  (1, 'USAGE', 'schema sluice',
   has_schema_privilege((SELECT oid FROM pg_namespace WHERE nspname = 'sluice'), 'USAGE')),
  (2, 'INSERT', 'sluice.events',
   has_table_privilege((SELECT oid FROM rel WHERE relname = 'events'), 'INSERT')),
  (3, 'INSERT', 'sluice.aggregates',
   has_table_privilege((SELECT oid FROM rel WHERE relname = 'aggregates'), 'INSERT')),
  (4, 'INSERT', 'sluice.shed',
   has_table_privilege((SELECT oid FROM rel WHERE relname = 'shed'), 'INSERT')),
  (5, 'INSERT', 'sluice.dead_letters',
   has_table_privilege((SELECT oid FROM rel WHERE relname = 'dead_letters'), 'INSERT')),
  (6, 'SELECT', 'sluice.batches',
   has_table_privilege((SELECT oid FROM rel WHERE relname = 'batches'), 'SELECT')),
  (7, 'INSERT', 'sluice.batches',
   has_table_privilege((SELECT oid FROM rel WHERE relname = 'batches'), 'INSERT')),
  (8, 'UPDATE', 'sluice.batches',
   has_table_privilege((SELECT oid FROM rel WHERE relname = 'batches'), 'UPDATE')),
  (9, 'SELECT', 'sluice.schema_version',
   has_table_privilege((SELECT oid FROM rel WHERE relname = 'schema_version'), 'SELECT')),
  (10, 'EXECUTE', 'sluice.ensure_partitions(integer)',
   has_function_privilege((SELECT oid FROM fn WHERE proname = 'ensure_partitions'), 'EXECUTE')),
  (11, 'EXECUTE', 'sluice.prune_ledger(integer)',
   has_function_privilege((SELECT oid FROM fn WHERE proname = 'prune_ledger'), 'EXECUTE'))
) AS need(position, privilege, object, granted)
WHERE NOT coalesce(need.granted, false)
ORDER BY need.position
)sql");
}

Result<bool> IsSuperuser(PgConnection& conn) {
  auto value = conn.ExecScalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user");
  if (!value) return tl::unexpected(value.error());
  return *value == "t";
}

}  // namespace sluice::sink
