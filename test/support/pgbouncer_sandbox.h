#pragma once

#include <string>
#include <vector>

#include "support/pg_sandbox.h"
#include "support/temp_dir.h"

namespace sluice::testing {

// A PgBouncer in transaction pooling mode in front of a PgSandbox, run by
// tools/pgbouncer-sandbox in a temp dir and reached only through its Unix socket; stopped on
// destruction. `settings` ("max_db_connections=4", ...) go into its [pgbouncer] section.
// Not thread-safe.
class PgBouncerSandbox {
 public:
  PgBouncerSandbox(const PgSandbox& server, const std::vector<std::string>& settings);
  ~PgBouncerSandbox();
  PgBouncerSandbox(const PgBouncerSandbox&) = delete;
  PgBouncerSandbox& operator=(const PgBouncerSandbox&) = delete;

  // Stops PgBouncer (immediate shutdown: clients and server connections cut mid-transaction)
  // / starts it again with the same settings. True on success.
  bool Stop();
  bool Start();

  bool started() const { return started_; }
  const std::string& start_output() const { return start_output_; }
  // The conninfo of database sluice through PgBouncer as `user` (sluiced, sluice, sluice_owner).
  std::string conninfo(const std::string& user) const;
  // `SHOW what` on PgBouncer's admin console, as its rows ("" on failure).
  std::string Show(const std::string& what) const;

 private:
  TempDir dir_;
  std::vector<std::string> start_argv_;
  bool started_ = false;
  std::string start_output_;
};

}  // namespace sluice::testing
