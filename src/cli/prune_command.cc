#include "cli/prune_command.h"

#include <iostream>

#include "sink/migrations.h"
#include "sink/pg_connection.h"

namespace sluice::cli {

int RunPrune(const config::Settings& settings, int days) {
  if (days <= 0) days = settings.database.retention_days;
  if (days <= 0) {
    std::cerr << "sluice prune: no limit: set database.retention_days or pass --days N\n";
    return 1;
  }
  auto conn = sink::PgConnection::Connect(settings.database.conninfo, "sluice prune");
  if (!conn) {
    std::cerr << "sluice prune: " << conn.error().message() << "\n";
    return 1;
  }
  auto dropped = sink::DropExpired(**conn, days);
  if (!dropped) {
    std::cerr << "sluice prune: " << dropped.error().message() << "\n";
    return 1;
  }
  std::cout << (dropped->empty() ? "nothing older than " + std::to_string(days) + " days"
                                 : *dropped)
            << "\n";
  return 0;
}

}  // namespace sluice::cli
