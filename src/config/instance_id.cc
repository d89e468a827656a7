#include "config/instance_id.h"

#include <unistd.h>

namespace sluice::config {

std::string MachineName() {
  char host[256] = {};
  return ::gethostname(host, sizeof host - 1) == 0 && host[0] != '\0' ? std::string(host)
                                                                      : "localhost";
}

std::string InstanceId(const Settings& settings) {
  if (!settings.database.instance_id.empty()) return settings.database.instance_id;
  return MachineName() + ":" + settings.ingest.socket;
}

std::string LocalHost(const Settings& settings) {
  return settings.ingest.host.empty() ? MachineName() : settings.ingest.host;
}

}  // namespace sluice::config
