#include "support/pgbouncer_sandbox.h"

#include <sys/stat.h>

#include "support/paths.h"
#include "support/process.h"

namespace sluice::testing {

PgBouncerSandbox::PgBouncerSandbox(const PgSandbox& server,
                                   const std::vector<std::string>& settings) {
  ::chmod(dir_.path().c_str(), 0711);  // PgBouncer may run as 'postgres' and must get in
  start_argv_ = {SLUICE_PGBOUNCER_SANDBOX, "start", dir_.File("bouncer"), server.socket_dir()};
  start_argv_.insert(start_argv_.end(), settings.begin(), settings.end());
  Start();
}

bool PgBouncerSandbox::Start() {
  ProcessResult r = RunProcess(start_argv_);
  start_output_ = r.output;
  started_ = r.exit_code == 0;
  return started_;
}

bool PgBouncerSandbox::Stop() {
  return RunProcess({SLUICE_PGBOUNCER_SANDBOX, "stop", dir_.File("bouncer")}).exit_code == 0;
}

PgBouncerSandbox::~PgBouncerSandbox() { (void)Stop(); }

std::string PgBouncerSandbox::conninfo(const std::string& user) const {
  return "host=" + dir_.File("bouncer") + "/run port=6432 dbname=sluice user=" + user;
}

std::string PgBouncerSandbox::Show(const std::string& what) const {
  ProcessResult r = RunProcess({SLUICE_PGBOUNCER_SANDBOX, "show", dir_.File("bouncer"), what});
  return r.exit_code == 0 ? r.output : "";
}

}  // namespace sluice::testing
