#include "cli/migrate_command.h"

#include <iostream>

#include "sink/migrations.h"
#include "sink/pg_connection.h"

namespace sluice::cli {

int RunMigrate(const config::Settings& settings) {
  auto conn = sink::PgConnection::Connect(settings.database.conninfo, "sluice migrate");
  if (!conn) {
    std::cerr << "sluice migrate: " << conn.error().message() << "\n";
    return 1;
  }
  auto outcome = sink::Migrate(**conn);
  if (!outcome) {
    std::cerr << "sluice migrate: " << outcome.error().message() << "\n";
    return 1;
  }
  Status partitions = sink::EnsurePartitions(**conn, settings.database.partitions_ahead_days);
  if (!partitions) {
    std::cerr << "sluice migrate: " << partitions.error().message() << "\n";
    return 1;
  }
  if (outcome->from_version == outcome->to_version) {
    std::cout << "schema sluice is up to date (version " << outcome->to_version << ")\n";
  } else {
    std::cout << "schema sluice migrated from version " << outcome->from_version << " to "
              << outcome->to_version << "\n";
  }
  return 0;
}

}  // namespace sluice::cli
