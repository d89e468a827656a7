#include "sink/privileges.h"

namespace sluice::sink {
namespace {

// "schema sluice", "sluice.events", "sluice.ensure_partitions(integer)".
std::string ObjectName(const Privilege& p) {
  if (p.kind == "schema") return "schema sluice";
  return "sluice." + std::string(p.name) + std::string(p.signature);
}

// An SQL expression true when the connected role has `p`. Objects are found by OID in the
// catalogs (readable by every role), so that a role without USAGE on the schema gets false
// rather than "permission denied"; a missing object is NULL.
std::string HasPrivilege(const PgConnection& conn, const Privilege& p) {
  const std::string privilege = conn.Literal(p.privilege);
  const std::string name = conn.Literal(p.name);
  if (p.kind == "schema") {
    return "has_schema_privilege((SELECT oid FROM pg_namespace WHERE nspname = 'sluice'), " +
           privilege + ")";
  }
  if (p.kind == "table") {
    return "has_table_privilege((SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = "
           "c.relnamespace WHERE n.nspname = 'sluice' AND c.relname = " +
           name + "), " + privilege + ")";
  }
  return "has_function_privilege((SELECT p.oid FROM pg_proc p JOIN pg_namespace n ON n.oid = "
         "p.pronamespace WHERE n.nspname = 'sluice' AND p.proname = " +
         name + "), " + privilege + ")";
}

}  // namespace

const std::vector<Privilege>& WriterPrivileges() {
  static const auto* privileges = new std::vector<Privilege>{
      {"USAGE", "schema", "sluice", ""},
      {"INSERT", "table", "events", ""},
      {"INSERT", "table", "aggregates", ""},
      {"INSERT", "table", "shed", ""},
      {"INSERT", "table", "dead_letters", ""},
      {"SELECT", "table", "batches", ""},  // the ledger: which batches are in
      {"INSERT", "table", "batches", ""},
      {"UPDATE", "table", "batches", ""},  // a batch's rows once refused rows are set aside
      {"SELECT", "table", "schema_version", ""},
      {"EXECUTE", "function", "ensure_partitions", "(integer)"},  // SECURITY DEFINER
      {"EXECUTE", "function", "prune_ledger", "(integer)"},       // SECURITY DEFINER
      {"EXECUTE", "function", "drop_expired", "(integer)"},       // SECURITY DEFINER
      {"EXECUTE", "function", "index_closed_days", "()"},         // SECURITY DEFINER
  };
  return *privileges;
}

std::string GrantWriterPrivileges(std::string_view role) {
  std::string grants;
  for (const Privilege& p : WriterPrivileges()) {
    grants += "GRANT " + std::string(p.privilege) + " ON " +
              (p.kind == "function" ? "FUNCTION "
               : p.kind == "schema" ? "SCHEMA "
                                    : "") +
              (p.kind == "schema" ? "sluice" : ObjectName(p)) + " TO " + std::string(role) + ";\n";
  }
  return grants;
}

Result<std::vector<std::string>> MissingWriterPrivileges(PgConnection& conn) {
  auto schema = conn.ExecScalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'sluice'");
  if (!schema) return tl::unexpected(schema.error());
  if (*schema == "0") {
    return Fail(ErrorCode::kInvalidArgument,
                "the database has no schema sluice; run 'sluice migrate --config FILE' first");
  }
  std::string rows;
  int position = 0;
  for (const Privilege& p : WriterPrivileges()) {
    rows += std::string(rows.empty() ? "" : ",\n") + "(" + std::to_string(++position) + ", " +
            conn.Literal(std::string(p.privilege) + " on " + ObjectName(p)) + ", " +
            HasPrivilege(conn, p) + ")";
  }
  return conn.ExecColumn("SELECT need.what FROM (VALUES " + rows +
                         ") AS need(position, what, granted) WHERE NOT coalesce(need.granted, "
                         "false) ORDER BY need.position");
}

Result<bool> IsSuperuser(PgConnection& conn) {
  auto value = conn.ExecScalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user");
  if (!value) return tl::unexpected(value.error());
  return *value == "t";
}

}  // namespace sluice::sink
