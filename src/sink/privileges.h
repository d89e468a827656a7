#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "sink/pg_connection.h"

namespace sluice::sink {

// The privileges sluiced's role needs on schema sluice (those conf/sql/roles.sql gives
// sluice_writer), each as "PRIVILEGE on OBJECT", that the connected role lacks; empty when it
// has them all. Errors only when the check itself fails (no schema: run `sluice migrate`).
Result<std::vector<std::string>> MissingWriterPrivileges(PgConnection& conn);

// Whether the connected role is a superuser (sluiced should not be).
Result<bool> IsSuperuser(PgConnection& conn);

}  // namespace sluice::sink
