// Bad config is refused at start with exit code 2 and FILE:LINE: key '...'.
#include <fstream>

#include <gtest/gtest.h>

#include "support/paths.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace sluice {
namespace {

using testing::ProcessResult;
using testing::RunProcess;
using testing::TempDir;

class ConfigErrorsTest : public ::testing::Test {
 protected:
  ProcessResult RunWith(const std::string& binary, const std::string& text,
                        std::vector<std::string> verb = {}) {
    std::ofstream(dir_.File("bad.toml")) << text;
    std::vector<std::string> argv = {binary};
    argv.insert(argv.end(), verb.begin(), verb.end());
    argv.insert(argv.end(), {"--config", dir_.File("bad.toml")});
    return RunProcess(argv, std::chrono::seconds(30));
  }
  TempDir dir_;
};

TEST_F(ConfigErrorsTest, UnknownKeyExitsTwoNamingFileLineAndKey) {
  ProcessResult r = RunWith(SLUICE_SLUICED, "[database]\nconninfo = \"\"\n\nbatch_size = 10\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find(dir_.File("bad.toml") + ":4: key 'database.batch_size': unknown key"),
            std::string::npos)
      << r.output;
}

TEST_F(ConfigErrorsTest, WrongTypeExitsTwo) {
  ProcessResult r =
      RunWith(SLUICE_SLUICED, "[ingest]\nqueue_mb = \"lots\"\n[database]\nconninfo=\"\"\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find(":2: key 'ingest.queue_mb': expected an integer"), std::string::npos)
      << r.output;
}

TEST_F(ConfigErrorsTest, BadSocketModeExitsTwo) {
  ProcessResult r =
      RunWith(SLUICE_SLUICED, "[ingest]\nsocket_mode = \"0999\"\n[database]\nconninfo=\"\"\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find(":2: key 'ingest.socket_mode'"), std::string::npos) << r.output;
}

TEST_F(ConfigErrorsTest, MissingConninfoExitsTwo) {
  ProcessResult r = RunWith(SLUICE_SLUICED, "[ingest]\nsocket = \"/tmp/x.sock\"\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find(":1: key 'database.conninfo': missing"), std::string::npos) << r.output;
}

TEST_F(ConfigErrorsTest, MissingFileAndMissingFlagExitTwo) {
  EXPECT_EQ(RunProcess({SLUICE_SLUICED, "--config", "/nonexistent/x.toml"}).exit_code, 2);
  EXPECT_EQ(RunProcess({SLUICE_SLUICED}).exit_code, 2);
}

TEST_F(ConfigErrorsTest, MigrateRefusesBadConfigToo) {
  ProcessResult r = RunWith(SLUICE_CLI, "[database]\nconninfo = 5\n", {"migrate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find(":2: key 'database.conninfo': expected a string"), std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace sluice
