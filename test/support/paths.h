#pragma once

// Where the tests find the programs and files they drive. The absolute paths are compiled
// into support/paths.cc alone, so every other test source compiles to the same object
// wherever the checkout is (and ccache can reuse it).
namespace sluice::testing::paths {

extern const char* const kSluiced;           // build/<tree>/src/sluiced
extern const char* const kCli;               // build/<tree>/src/sluice
extern const char* const kAttack;            // build/<tree>/tools/sluice-attack
extern const char* const kPgSandbox;         // tools/pg-sandbox
extern const char* const kPgBouncerSandbox;  // tools/pgbouncer-sandbox
extern const char* const kPgTemplate;        // build/<tree>/pg-template: the initdb'ed cluster
extern const char* const kSourceDir;         // the repository root

}  // namespace sluice::testing::paths

#define SLUICE_SLUICED (::sluice::testing::paths::kSluiced)
#define SLUICE_CLI (::sluice::testing::paths::kCli)
#define SLUICE_ATTACK (::sluice::testing::paths::kAttack)
#define SLUICE_PG_SANDBOX (::sluice::testing::paths::kPgSandbox)
#define SLUICE_PGBOUNCER_SANDBOX (::sluice::testing::paths::kPgBouncerSandbox)
#define SLUICE_PG_TEMPLATE (::sluice::testing::paths::kPgTemplate)
#define SLUICE_SOURCE_DIR (::sluice::testing::paths::kSourceDir)
