#pragma once

#include <memory>
#include <string>

#include "sink/pg_connection.h"
#include "support/temp_dir.h"

namespace sluice::testing {

// A throwaway PostgreSQL server for one test binary, run by tools/pg-sandbox in a temp dir and
// reached only through its Unix socket. Destroyed (server stopped, files removed) on
// destruction. Not thread-safe.
class PgSandbox {
 public:
  PgSandbox() : PgSandbox("") {}
  // With `server_options` ("-c max_connections=20": postgres options, PG_SANDBOX_OPTS).
  explicit PgSandbox(std::string server_options);
  ~PgSandbox();
  PgSandbox(const PgSandbox&) = delete;
  PgSandbox& operator=(const PgSandbox&) = delete;

  bool started() const { return started_; }
  const std::string& start_output() const { return start_output_; }
  // A libpq conninfo string for the sandbox's database, as superuser (for the tests' own
  // set-up and checks).
  std::string conninfo() const;
  // The same database as the least-privilege roles of conf/sql/roles.sql: `sluiced` (a
  // sluice_writer, what sluiced runs as) and sluice_owner (what `sluice migrate` runs as).
  std::string writer_conninfo() const;
  std::string owner_conninfo() const;
  // The directory of the server's Unix socket (port 5432).
  std::string socket_dir() const { return dir_.File("pg") + "/run"; }
  // Stops the server (fast shutdown) / starts it again on the same data.
  bool Stop();
  bool Start();

  // A new connection (for the test's own queries), or nullptr with a test failure.
  std::unique_ptr<sink::PgConnection> Connect() const;
  // The first column of the first row of `sql`, "" when there is none; fails the test on error.
  std::string Query(const std::string& sql) const;
  // Runs `sluice migrate` on the sandbox (in-process, as sluice_owner) and fails the test on
  // error.
  void Migrate() const;

 private:
  TempDir dir_;
  const std::string server_options_;
  bool started_ = false;
  std::string start_output_;
};

// The sandbox shared by every test of the binary: started on first use, destroyed at exit.
PgSandbox& SharedPgSandbox();

}  // namespace sluice::testing
