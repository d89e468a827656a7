#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "sink/pg_connection.h"

namespace sluice::sink {

// One privilege sluiced's role needs on schema sluice.
struct Privilege {
  std::string_view privilege;  // "INSERT", "EXECUTE", ...
  std::string_view kind;       // "schema", "table" or "function"
  std::string_view name;       // in schema sluice: "events", "ensure_partitions"
  std::string_view signature;  // a function's argument types: "(integer)"
};

// Every privilege sluiced uses: what `sluice migrate` grants sluice_writer (conf/sql/roles.sql)
// and what `sluice check` looks for.
const std::vector<Privilege>& WriterPrivileges();

// "GRANT ... TO `role`;" statements for WriterPrivileges().
std::string GrantWriterPrivileges(std::string_view role);

// Those of WriterPrivileges() the connected role lacks, each as "PRIVILEGE on OBJECT"; empty
// when it has them all. kInvalidArgument when there is no schema sluice (run `sluice migrate`).
Result<std::vector<std::string>> MissingWriterPrivileges(PgConnection& conn);

// Whether the connected role is a superuser (sluiced should not be).
Result<bool> IsSuperuser(PgConnection& conn);

}  // namespace sluice::sink
