#include "config/instance_id.h"

#include <unistd.h>

namespace sluice::config {

std::string InstanceId(const Settings& settings) {
  if (!settings.database.instance_id.empty()) return settings.database.instance_id;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host) + ":" + settings.ingest.socket;
}

}  // namespace sluice::config
