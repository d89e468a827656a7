#include "sink/sqlstate_policy.h"

namespace sluice::sink {

bool IsDataError(std::string_view sqlstate) {
  return sqlstate.starts_with("22") || sqlstate.starts_with("23");
}

std::string_view RefusalHint(std::string_view sqlstate) {
  if (sqlstate == "25006") {
    return "the database is read-only (a standby after a failover, or "
           "default_transaction_read_only); batches wait in the spool until it takes writes";
  }
  if (sqlstate == "42501") {
    return "sluiced's role lacks a privilege on schema sluice (GRANT it back); batches wait in "
           "the spool meanwhile";
  }
  if (sqlstate == "42P01" || sqlstate == "42703" || sqlstate == "3F000" || sqlstate == "42704") {
    return "the schema is not what this sluiced writes (a table, column or type is missing): "
           "run `sluice migrate`; batches wait in the spool meanwhile";
  }
  if (sqlstate.starts_with("53")) {
    return "the server is out of resources (disk, memory or connections); batches wait in "
           "the spool";
  }
  if (sqlstate.starts_with("57")) return "the server is shutting down or cancelled the statement";
  if (sqlstate.starts_with("58")) return "the server had an I/O or system error; see its log";
  if (sqlstate.starts_with("08")) return "the connection to the server was lost";
  if (sqlstate.starts_with("40"))
    return "the transaction was rolled back (a deadlock or a "
           "serialization failure); it is retried";
  return "";
}

}  // namespace sluice::sink
