#include "cli/check_command.h"

#include <grp.h>
#include <httplib.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "config/config_loader.h"
#include "config/listen_address.h"
#include "sink/migrations.h"
#include "sink/pg_connection.h"
#include "sink/privileges.h"

namespace sluice::cli {
namespace {

// Prints checks as they are made and remembers whether one failed.
class Report {
 public:
  void Ok(const std::string& what) { std::cout << "ok    " << what << "\n"; }
  void Warn(const std::string& what) { std::cout << "warn  " << what << "\n"; }
  void Fail(const std::string& what) {
    std::cout << "FAIL  " << what << "\n";
    failed_ = true;
  }
  bool failed() const { return failed_; }

 private:
  bool failed_ = false;
};

// The nearest directory at or above `path` that exists.
std::filesystem::path ExistingAncestor(std::filesystem::path path) {
  std::error_code error;
  while (!path.empty() && !std::filesystem::exists(path, error)) path = path.parent_path();
  return path.empty() ? std::filesystem::path("/") : path;
}

void CheckSocket(const config::IngestSettings& ingest, Report& report) {
  std::filesystem::path dir = std::filesystem::path(ingest.socket).parent_path();
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) {
    report.Fail("ingest.socket: directory " + dir.string() +
                " does not exist (the unit's RuntimeDirectory=sluice makes /run/sluice)");
  } else if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    report.Fail("ingest.socket: directory " + dir.string() + " is not writable by this user");
  } else {
    report.Ok("ingest.socket: " + ingest.socket + " can be created");
  }
  if (!ingest.socket_group.empty()) {
    if (::getgrnam(ingest.socket_group.c_str()) == nullptr) {
      report.Fail("ingest.socket_group: no group named " + ingest.socket_group);
    } else {
      report.Ok("ingest.socket_group: " + ingest.socket_group + " exists");
    }
  }
}

void CheckSpool(const config::SpoolSettings& spool, Report& report) {
  std::filesystem::path existing = ExistingAncestor(spool.dir);
  if (::access(existing.c_str(), W_OK | X_OK) != 0) {
    report.Fail("spool.dir: " + existing.string() + " is not writable by this user" +
                (existing == spool.dir ? "" : " (and " + spool.dir + " does not exist yet)"));
    return;
  }
  report.Ok("spool.dir: " + spool.dir + (existing == spool.dir ? " is writable" : " can be made"));
  struct statvfs fs {};
  if (::statvfs(existing.c_str(), &fs) == 0) {
    uint64_t free_mb = uint64_t{fs.f_bavail} * fs.f_frsize >> 20;
    if (free_mb < spool.disk_mb) {
      report.Warn("spool.dir: " + std::to_string(free_mb) + " MiB free, below spool.disk_mb = " +
                  std::to_string(spool.disk_mb) + " (events are shed when the disk is full)");
    }
  }
}

// The server's connections for ordinary roles, how many are taken now, and this sluiced's
// share (README "Many MTA hosts"): a fleet wants hosts x writers of them. Other roles' sessions
// show only their database and user to an unprivileged role: sessions with both are clients.
void CheckConnectionBudget(sink::PgConnection& conn, const config::DatabaseSettings& database,
                           Report& report) {
  auto numbers = conn.ExecScalar(
      "SELECT (current_setting('max_connections')::int - "
      "current_setting('superuser_reserved_connections')::int) || ' ' || "
      "(SELECT count(*) FROM pg_stat_activity WHERE datid IS NOT NULL AND usename IS NOT NULL "
      "AND pid <> pg_backend_pid()) "
      "|| ' ' || "
      "(SELECT rolconnlimit FROM pg_roles WHERE rolname = current_user)");
  long long slots = 0;
  long long in_use = 0;
  long long role_limit = -1;
  if (!numbers ||
      std::sscanf(numbers->c_str(), "%lld %lld %lld", &slots, &in_use, &role_limit) != 3) {
    report.Warn("database: cannot read the server's connection settings");
    return;
  }
  const std::string budget =
      std::to_string(in_use) + " of the server's " + std::to_string(slots) +
      " connections for ordinary roles in use now; this sluiced takes up to " +
      std::to_string(database.writers) + " (database.writers; a fleet, hosts x writers)" +
      (database.idle_disconnect_ms.count() > 0 ? " and lets them go when idle" : "");
  if (role_limit >= 0 && role_limit < database.writers) {
    report.Fail("database: the role may open " + std::to_string(role_limit) +
                " connection(s) (CONNECTION LIMIT), fewer than database.writers = " +
                std::to_string(database.writers));
  } else if (in_use + database.writers > slots) {
    report.Warn("database: " + budget +
                ": not all of its writers would get one (put PgBouncer in front, README "
                "\"Many MTA hosts\")");
  } else {
    report.Ok("database: " + budget);
  }
}

void CheckDatabase(const config::DatabaseSettings& database, Report& report) {
  auto conn = sink::PgConnection::Connect(database.conninfo, "sluice check");
  if (!conn) {
    report.Fail("database: " + conn.error().message());
    return;
  }
  report.Ok("database: connected");
  // Privileges first: without USAGE on the schema, nothing below could even be read.
  auto missing = sink::MissingWriterPrivileges(**conn);
  if (missing && !missing->empty()) {
    std::string list;
    for (const std::string& privilege : *missing) list += (list.empty() ? "" : ", ") + privilege;
    report.Fail("database: the role lacks " + list +
                " (GRANT sluice_writer TO it, conf/sql/roles.sql, then sluice migrate)");
    return;
  }
  if (Status version = sink::CheckSchemaVersion(**conn); !version) {
    report.Fail("database: " + version.error().message());
    return;
  }
  report.Ok("database: schema sluice at version " + std::to_string(sink::kSchemaVersion));
  if (Status columns = sink::CheckSchemaColumns(**conn); !columns) {
    report.Fail("database: " + columns.error().message());
  } else if (!missing) {
    report.Fail("database: cannot check privileges: " + missing.error().message());
  } else {
    report.Ok("database: the role has every privilege sluiced needs");
  }
  CheckConnectionBudget(**conn, database, report);
  if (auto super = sink::IsSuperuser(**conn); super && *super) {
    report.Warn(
        "database: the role is a superuser; run sluiced as a sluice_writer role "
        "(conf/sql/roles.sql)");
  }
}

void CheckMetrics(const config::MetricsSettings& metrics, Report& report) {
  if (metrics.listen.empty()) {
    report.Warn("metrics.listen: off (no /metrics, no sluice stats)");
    return;
  }
  auto address = config::ParseListenAddress(metrics.listen);
  std::string host = address->host == "localhost" ? "127.0.0.1" : address->host;
  httplib::Server probe;  // with sluiced's socket options (daemon/metrics_server.cc)
  probe.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  if (probe.bind_to_port(host, address->port)) {
    report.Ok("metrics.listen: " + metrics.listen + " is free");
    return;
  }
  httplib::Client client(host, address->port);
  client.set_connection_timeout(2);
  if (auto health = client.Get("/healthz");
      health && (health->status == 200 || health->status == 503)) {
    report.Ok("metrics.listen: " + metrics.listen + " is served by a running sluiced (health: " +
              health->body.substr(0, health->body.find('\n')) + ")");
  } else {
    report.Fail("metrics.listen: " + metrics.listen + " is in use by another program");
  }
}

}  // namespace

int RunCheck(const std::string& config_path) {
  Report report;
  auto settings = config::LoadConfig(config_path);
  if (!settings) {
    report.Fail("config: " + settings.error().message());
    return 1;
  }
  report.Ok("config: " + config_path + " loads");
  CheckSocket(settings->ingest, report);
  CheckSpool(settings->spool, report);
  CheckDatabase(settings->database, report);
  CheckMetrics(settings->metrics, report);
  return report.failed() ? 1 : 0;
}

}  // namespace sluice::cli
