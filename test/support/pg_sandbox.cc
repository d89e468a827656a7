#include "support/pg_sandbox.h"

#include <sys/stat.h>

#include <cstdlib>

#include <gtest/gtest.h>

#include "sink/migrations.h"
#include "support/paths.h"
#include "support/process.h"

namespace sluice::testing {

PgSandbox::PgSandbox(std::string server_options) : server_options_(std::move(server_options)) {
  ::chmod(dir_.path().c_str(), 0711);  // the server may run as 'postgres' and must get in
  ::setenv("PG_SANDBOX_TEMPLATE", SLUICE_PG_TEMPLATE, /*overwrite=*/0);  // one initdb per build
  Start();
}

PgSandbox::~PgSandbox() { (void)RunProcess({SLUICE_PG_SANDBOX, "destroy", dir_.File("pg")}); }

bool PgSandbox::Start() {
  ProcessResult r = RunProcess(
      {"env", "PG_SANDBOX_OPTS=" + server_options_, SLUICE_PG_SANDBOX, "start", dir_.File("pg")});
  start_output_ = r.output;
  started_ = r.exit_code == 0;
  return started_;
}

bool PgSandbox::Stop() {
  return RunProcess({SLUICE_PG_SANDBOX, "stop", dir_.File("pg")}).exit_code == 0;
}

std::string PgSandbox::conninfo() const {
  return "host=" + socket_dir() + " port=5432 user=sluice dbname=sluice";
}

std::string PgSandbox::writer_conninfo() const {
  return "host=" + socket_dir() + " port=5432 user=sluiced dbname=sluice";
}

std::string PgSandbox::owner_conninfo() const {
  return "host=" + socket_dir() + " port=5432 user=sluice_owner dbname=sluice";
}

std::unique_ptr<sink::PgConnection> PgSandbox::Connect() const {
  auto conn = sink::PgConnection::Connect(conninfo(), "sluice-test");
  if (!conn) {
    ADD_FAILURE() << conn.error().message();
    return nullptr;
  }
  return std::move(*conn);
}

std::string PgSandbox::Query(const std::string& sql) const {
  auto conn = Connect();
  if (!conn) return "";
  auto value = conn->ExecScalar(sql);
  if (!value) {
    ADD_FAILURE() << sql << ": " << value.error().message();
    return "";
  }
  return *value;
}

void PgSandbox::Migrate() const {
  auto connected = sink::PgConnection::Connect(owner_conninfo(), "sluice-test-migrate");
  ASSERT_TRUE(connected) << connected.error().message();
  sink::PgConnection* conn = connected->get();
  auto outcome = sink::Migrate(*conn);
  ASSERT_TRUE(outcome) << outcome.error().message();
  Status partitions = sink::EnsurePartitions(*conn, 3);
  ASSERT_TRUE(partitions) << partitions.error().message();
}

PgSandbox& SharedPgSandbox() {
  static PgSandbox sandbox;  // destroyed, with its server, when the test binary exits
  return sandbox;
}

}  // namespace sluice::testing
