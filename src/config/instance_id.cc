#include "config/instance_id.h"

#include <unistd.h>

namespace sluice::config {

std::string InstanceId(const Settings& settings) {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host) + ":" + settings.ingest.socket;
}

}  // namespace sluice::config
