// A fleet of MTA hosts, one sluiced each, into one PostgreSQL through PgBouncer in transaction
// pooling mode (README "Many MTA hosts"): every reject lands exactly once, the server never sees
// more connections than PgBouncer's cap although the fleet's writers outnumber the server's
// connection slots, an ordinary client still gets in during the load, and once the fleet is
// idle it holds no connection at all (database.idle_disconnect_ms, server_idle_timeout).
// Keeps sluiced compatible with transaction pooling: no session state, no startup "options",
// no named prepared statements.
#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/daemon_harness.h"
#include "support/paths.h"
#include "support/pg_sandbox.h"
#include "support/pgbouncer_sandbox.h"
#include "support/process.h"

namespace sluice {
namespace {

using testing::DaemonHarness;
using testing::WaitUntil;

constexpr int kServerSlots = 12;  // max_connections; 3 of them kept for superusers
constexpr int kPoolCap = 4;       // PgBouncer's max_db_connections
constexpr int kHosts = 10;        // x 2 writers: more than the server's 9 ordinary slots

std::string Quoted(const std::string& text) { return "\"" + text + "\""; }

// Server connections of sluiced's role now.
int SluicedBackends(const testing::PgSandbox& server) {
  std::string n = server.Query(
      "SELECT count(*) FROM pg_stat_activity WHERE usename = 'sluiced' AND "
      "backend_type = 'client backend'");
  return n.empty() ? -1 : std::stoi(n);
}

// kHosts sluiced instances writing to `conninfo`, two writers each, idle after 1 s.
std::vector<std::unique_ptr<DaemonHarness>> StartFleet(const testing::PgSandbox& server,
                                                       const std::string& conninfo) {
  std::vector<std::unique_ptr<DaemonHarness>> fleet;
  for (int host = 0; host < kHosts; ++host) {
    fleet.push_back(std::make_unique<DaemonHarness>(
        server, std::map<std::string, std::string>{{"database.conninfo", Quoted(conninfo)},
                                                   {"database.writers", "2"},
                                                   {"database.idle_disconnect_ms", "1000"},
                                                   {"database.backoff_max_ms", "1000"},
                                                   {"database.batch_rows", "500"}}));
    if (!fleet.back()->Start()) ADD_FAILURE() << fleet.back()->Output();
  }
  return fleet;
}

// Sends `per_host` rejects to every instance at once, runs `during` meanwhile, and returns the
// most server connections of sluiced's role seen until every reject is in sluice.events.
int FloodAndLand(const testing::PgSandbox& server,
                 const std::vector<std::unique_ptr<DaemonHarness>>& fleet, long long per_host,
                 const std::function<void()>& during) {
  std::atomic<bool> sampling{true};
  int peak = 0;
  std::thread sampler([&] {
    while (sampling.load()) {
      peak = std::max(peak, SluicedBackends(server));
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  std::vector<std::thread> senders;
  for (const auto& daemon : fleet) {
    senders.emplace_back([&daemon, per_host] {
      auto sent = testing::RunProcess(
          {SLUICE_ATTACK, daemon->socket_path(), "-n", std::to_string(per_host)});
      EXPECT_EQ(sent.exit_code, 0) << sent.output;
    });
  }
  during();
  for (auto& sender : senders) sender.join();
  const std::string total = std::to_string(per_host * static_cast<long long>(fleet.size()));
  EXPECT_TRUE(WaitUntil([&] { return server.Query("SELECT count(*) FROM sluice.events") == total; },
                        std::chrono::seconds(120)))
      << server.Query("SELECT count(*) FROM sluice.events") << " of " << total;
  sampling = false;
  sampler.join();
  ::testing::Test::RecordProperty("peak_server_connections", peak);
  return peak;
}

// Each instance's batches are in the ledger under its name, as many rows as it was sent, and
// each stops cleanly having stored them all, after closing idle connections.
void ExpectEachLandedOnce(const testing::PgSandbox& server,
                          std::vector<std::unique_ptr<DaemonHarness>>& fleet, long long per_host) {
  EXPECT_EQ(server.Query("SELECT string_agg(DISTINCT rows::text, ',') FROM (SELECT sum(rows) AS "
                         "rows FROM sluice.batches GROUP BY instance_id) per_instance"),
            std::to_string(per_host));
  EXPECT_EQ(server.Query("SELECT count(DISTINCT instance_id) FROM sluice.batches"),
            std::to_string(fleet.size()));
  for (auto& daemon : fleet) {
    testing::ProcessResult stopped = daemon->Stop();
    EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
    EXPECT_EQ(testing::SummaryValue(stopped.output, "stored"), per_host) << stopped.output;
    EXPECT_EQ(testing::SummaryValue(stopped.output, "shed"), 0);
    EXPECT_GE(testing::SummaryValue(stopped.output, "idle_disconnects"), 1);
  }
}

bool OrdinaryClientGetsIn(const testing::PgSandbox& server) {
  auto ordinary = sink::PgConnection::Connect(server.owner_conninfo(), "fleet-test-ordinary");
  return ordinary && (*ordinary)->ExecScalar("SELECT 1").has_value();
}

// `sluice SUBCOMMAND ARGS...` with a config whose conninfo is `conninfo`.
testing::ProcessResult RunCli(const testing::PgSandbox& server, const std::string& conninfo,
                              std::vector<std::string> args) {
  DaemonHarness config(server, {{"database.conninfo", Quoted(conninfo)}});  // never started
  args.insert(args.begin() + 1, {"--config", config.config_path()});
  args.insert(args.begin(), SLUICE_CLI);
  return testing::RunProcess(args);
}

TEST(FleetTest, ThroughPgBouncerEveryRejectLandsOnceOnAFewServerConnections) {
  testing::PgSandbox server("-c max_connections=" + std::to_string(kServerSlots));
  ASSERT_TRUE(server.started()) << server.start_output();
  testing::PgBouncerSandbox bouncer(
      server, {"max_db_connections=" + std::to_string(kPoolCap),
               "default_pool_size=" + std::to_string(kPoolCap), "server_idle_timeout=2"});
  ASSERT_TRUE(bouncer.started()) << bouncer.start_output();
  // The schema is made through PgBouncer too (its advisory lock is a transaction's).
  auto migrated = RunCli(server, bouncer.conninfo("sluice_owner"), {"migrate"});
  ASSERT_EQ(migrated.exit_code, 0) << migrated.output;
  auto fleet = StartFleet(server, bouncer.conninfo("sluiced"));
  const long long per_host = testing::TestScale(5000);
  int peak =
      FloodAndLand(server, fleet, per_host, [&] { EXPECT_TRUE(OrdinaryClientGetsIn(server)); });
  EXPECT_GE(peak, 1);
  EXPECT_LE(peak, kPoolCap);
  // Idle: sluiced lets go of its PgBouncer clients, PgBouncer of its server connections.
  EXPECT_TRUE(WaitUntil([&] { return SluicedBackends(server) == 0; }, std::chrono::seconds(30)));
  EXPECT_TRUE(WaitUntil(
      [&] {
        std::string clients = bouncer.Show("CLIENTS");
        return !clients.empty() && clients.find(" sluiced ") == std::string::npos;
      },
      std::chrono::seconds(30)))
      << bouncer.Show("CLIENTS");
  ExpectEachLandedOnce(server, fleet, per_host);
  // And the questions asked through it.
  auto report =
      RunCli(server, bouncer.conninfo("sluice"), {"report", "--since", "1h", "--format", "json"});
  EXPECT_EQ(report.exit_code, 0) << report.output;
  EXPECT_NE(report.output.find("\"rows\":" + std::to_string(per_host * kHosts)), std::string::npos)
      << report.output;
}

// Without PgBouncer the same fleet wants more connections than the server has: writers refused
// ("too many clients", 53300) back off and retry while the others drain, nothing is lost or
// written twice, and once idle the fleet holds no connection, so ordinary clients get in again.
TEST(FleetTest, DirectlyTheFleetDrainsThroughRefusedConnectionsAndThenLetsGo) {
  testing::PgSandbox server("-c max_connections=" + std::to_string(kServerSlots));
  ASSERT_TRUE(server.started()) << server.start_output();
  server.Migrate();
  auto fleet = StartFleet(server, server.writer_conninfo());
  const long long per_host = testing::TestScale(5000);
  int peak = FloodAndLand(server, fleet, per_host, [] {});
  EXPECT_GE(peak, 1);
  EXPECT_LE(peak, kServerSlots - 3);
  EXPECT_TRUE(WaitUntil([&] { return SluicedBackends(server) == 0; }, std::chrono::seconds(30)));
  EXPECT_TRUE(OrdinaryClientGetsIn(server));
  ExpectEachLandedOnce(server, fleet, per_host);
}

// PgBouncer restarted under a stream of rejects (a pooler failover): clients and server
// connections are cut, some mid-transaction, so a COMMIT's outcome may be unknown to the
// writer that sent it. The writers reconnect and every reject lands exactly once (the ledger
// recognises batches committed before the cut).
TEST(FleetTest, APgBouncerRestartMidStreamLosesAndDoublesNothing) {
  testing::PgSandbox server;
  ASSERT_TRUE(server.started()) << server.start_output();
  server.Migrate();
  testing::PgBouncerSandbox bouncer(server, {"max_db_connections=4", "default_pool_size=4"});
  ASSERT_TRUE(bouncer.started()) << bouncer.start_output();
  std::vector<std::unique_ptr<DaemonHarness>> fleet;
  for (int host = 0; host < 3; ++host) {
    fleet.push_back(std::make_unique<DaemonHarness>(
        server, std::map<std::string, std::string>{
                    {"database.conninfo", Quoted(bouncer.conninfo("sluiced"))},
                    {"database.backoff_max_ms", "500"},
                    {"database.batch_ms", "50"}}));
    ASSERT_TRUE(fleet.back()->Start()) << fleet.back()->Output();
  }
  std::vector<std::thread> senders;
  for (const auto& daemon : fleet) {
    senders.emplace_back([&daemon] {
      auto sent = testing::RunProcess({SLUICE_ATTACK, daemon->socket_path(), "--rate", "2000",
                                       "--seconds", "6", "--count", "12000"});
      EXPECT_EQ(sent.exit_code, 0) << sent.output;
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  ASSERT_TRUE(bouncer.Stop());
  std::this_thread::sleep_for(std::chrono::seconds(1));
  ASSERT_TRUE(bouncer.Start()) << bouncer.start_output();
  for (auto& sender : senders) sender.join();
  long long received = 0;
  long long db_errors = 0;
  for (auto& daemon : fleet) {
    ASSERT_TRUE(WaitUntil(
        [&] {
          const std::string counters = daemon->LiveCounters();
          return testing::SummaryValue(counters, "stored") ==
                 testing::SummaryValue(counters, "received");
        },
        std::chrono::seconds(60)))
        << daemon->LiveCounters();
    testing::ProcessResult stopped = daemon->Stop();
    EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
    EXPECT_EQ(testing::SummaryValue(stopped.output, "shed"), 0);
    EXPECT_EQ(testing::SummaryValue(stopped.output, "stored"),
              testing::SummaryValue(stopped.output, "received"));
    received += testing::SummaryValue(stopped.output, "received");
    db_errors += testing::SummaryValue(stopped.output, "db_errors");
  }
  EXPECT_GT(received, 0);
  EXPECT_GT(db_errors, 0) << "the restart was noticed";
  EXPECT_EQ(server.Query("SELECT count(*) FROM sluice.events"), std::to_string(received));
  EXPECT_EQ(server.Query("SELECT coalesce(sum(rows), 0) FROM sluice.batches"),
            std::to_string(received));
}

// sluice check tells the operator when the server has no room left for this sluiced's writers,
// and when the role's own CONNECTION LIMIT is below them.
TEST(FleetTest, CheckSaysWhenTheServerHasNoRoomForTheWriters) {
  testing::PgSandbox server("-c max_connections=" + std::to_string(kServerSlots));
  ASSERT_TRUE(server.started()) << server.start_output();
  server.Migrate();
  std::vector<std::unique_ptr<sink::PgConnection>> others;  // the other clients of the server
  for (int i = 0; i < kServerSlots - 3 - 1; ++i) {
    auto other = sink::PgConnection::Connect(server.owner_conninfo(), "fleet-test-other");
    ASSERT_TRUE(other) << other.error().message();
    others.push_back(std::move(*other));
  }
  auto full = RunCli(server, server.writer_conninfo(), {"check"});
  EXPECT_NE(full.output.find("warn  database: 8 of the server's 9 connections for ordinary roles "
                             "in use now; this sluiced takes up to 2"),
            std::string::npos)
      << full.output;
  EXPECT_NE(full.output.find("not all of its writers would get one"), std::string::npos);
  others.clear();
  server.Query("ALTER ROLE sluiced CONNECTION LIMIT 1");
  auto limited = RunCli(server, server.writer_conninfo(), {"check"});
  server.Query("ALTER ROLE sluiced CONNECTION LIMIT -1");
  EXPECT_EQ(limited.exit_code, 1) << limited.output;
  EXPECT_NE(limited.output.find("FAIL  database: the role may open 1 connection(s) (CONNECTION "
                                "LIMIT), fewer than database.writers = 2"),
            std::string::npos)
      << limited.output;
}

}  // namespace
}  // namespace sluice
