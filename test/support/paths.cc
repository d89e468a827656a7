#include "support/paths.h"

namespace sluice::testing::paths {

const char* const kSluiced = SLUICE_PATH_SLUICED;
const char* const kCli = SLUICE_PATH_CLI;
const char* const kAttack = SLUICE_PATH_ATTACK;
const char* const kPgSandbox = SLUICE_PATH_PG_SANDBOX;
const char* const kPgBouncerSandbox = SLUICE_PATH_PGBOUNCER_SANDBOX;
const char* const kPgTemplate = SLUICE_PATH_PG_TEMPLATE;
const char* const kSourceDir = SLUICE_PATH_SOURCE_DIR;

}  // namespace sluice::testing::paths
