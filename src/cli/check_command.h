#pragma once

#include <string>

namespace sluice::cli {

// `sluice check --config FILE`: what sluiced needs before it starts, each on a line of its own
// ("ok" or "FAIL" and what to do): the config file loads; the socket's directory exists and is
// writable, its group exists; the spool directory is (or can be made) writable and has room
// for spool.disk_mb; the database answers, its schema is this sluice's version with every
// column, the role has the privileges of sluice_writer (conf/sql/roles.sql) and is not a
// superuser; metrics.listen can be bound (or is served by a running sluiced).
// Changes nothing. Returns the exit code: 1 when anything FAILed, else 0.
int RunCheck(const std::string& config_path);

}  // namespace sluice::cli
