#include "ingest/datagram_socket.h"

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace sluice::ingest {
namespace {

using testing::TempDir;

TEST(DatagramSocketTest, BindsWithTheConfiguredMode) {
  TempDir dir;
  auto socket = DatagramSocket::Bind({dir.File("s.sock"), 0620, "", 0});
  ASSERT_TRUE(socket) << socket.error().message();
  struct stat st {};
  ASSERT_EQ(::stat(dir.File("s.sock").c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0620u);
}

TEST(DatagramSocketTest, GivesTheSocketToTheConfiguredGroup) {
  if (::geteuid() != 0) GTEST_SKIP() << "changing a file's group to one we are not in needs root";
  struct group* daemon_group = ::getgrnam("daemon");  // present on every Debian system
  ASSERT_NE(daemon_group, nullptr);
  gid_t expected = daemon_group->gr_gid;
  TempDir dir;
  auto socket = DatagramSocket::Bind({dir.File("s.sock"), 0660, "daemon", 0});
  ASSERT_TRUE(socket) << socket.error().message();
  struct stat st {};
  ASSERT_EQ(::stat(dir.File("s.sock").c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, expected);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
}

TEST(DatagramSocketTest, ReplacesAStaleSocketFile) {
  TempDir dir;
  {
    auto first = DatagramSocket::Bind({dir.File("s.sock"), 0660, "", 0});
    ASSERT_TRUE(first);
  }
  // Leave a socket file behind with nobody serving it, as after kill -9.
  int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string path = dir.File("s.sock");
  path.copy(addr.sun_path, path.size());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(fd);
  auto socket = DatagramSocket::Bind({path, 0660, "", 0});
  EXPECT_TRUE(socket) << socket.error().message();
}

TEST(DatagramSocketTest, RefusesASocketServedByALiveProcess) {
  TempDir dir;
  auto first = DatagramSocket::Bind({dir.File("s.sock"), 0660, "", 0});
  ASSERT_TRUE(first);
  auto second = DatagramSocket::Bind({dir.File("s.sock"), 0660, "", 0});
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(second.error().message().find("served by another live process"), std::string::npos);
}

TEST(DatagramSocketTest, RefusesAPathThatIsNotASocket) {
  TempDir dir;
  std::ofstream(dir.File("file")) << "x";
  auto socket = DatagramSocket::Bind({dir.File("file"), 0660, "", 0});
  ASSERT_FALSE(socket);
  EXPECT_NE(socket.error().message().find("is not a socket"), std::string::npos);
}

TEST(DatagramSocketTest, RefusesAnUnknownGroupAndATooLongPath) {
  TempDir dir;
  auto group = DatagramSocket::Bind({dir.File("s.sock"), 0660, "no-such-group-sluice", 0});
  ASSERT_FALSE(group);
  EXPECT_NE(group.error().message().find("not a known group"), std::string::npos);
  auto longpath = DatagramSocket::Bind({dir.File(std::string(120, 'x')), 0660, "", 0});
  ASSERT_FALSE(longpath);
}

TEST(DatagramSocketTest, UnlinksItsPathOnDestruction) {
  TempDir dir;
  {
    auto socket = DatagramSocket::Bind({dir.File("s.sock"), 0660, "", 0});
    ASSERT_TRUE(socket);
  }
  struct stat st {};
  EXPECT_NE(::stat(dir.File("s.sock").c_str(), &st), 0);
}

TEST(DatagramSocketTest, RefusesADirectoryOthersCanWriteTo) {
  TempDir dir;
  std::string open_dir = dir.File("open");
  ASSERT_EQ(::mkdir(open_dir.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(open_dir.c_str(), 01777), 0);  // like /tmp: anyone could plant a socket
  auto socket = DatagramSocket::Bind({open_dir + "/s.sock", 0660, "", 0});
  ASSERT_FALSE(socket);
  EXPECT_EQ(socket.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(socket.error().message().find("writable by group or others"), std::string::npos)
      << socket.error().message();
}

TEST(DatagramSocketTest, CreatesMissingDirectoriesTheMtasCanEnter) {
  TempDir dir;
  ::umask(0077);  // even so
  auto socket = DatagramSocket::Bind({dir.File("run/sluice/s.sock"), 0660, "", 0});
  ::umask(0022);
  ASSERT_TRUE(socket) << socket.error().message();
  struct stat st {};
  ASSERT_EQ(::stat(dir.File("run/sluice").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
}

TEST(DatagramSocketTest, NeverFollowsALinkAtTheSocketPath) {
  TempDir dir;
  std::string target = dir.File("target");
  { std::ofstream(target) << "not for sluice"; }
  ASSERT_EQ(::chmod(target.c_str(), 0600), 0);
  ASSERT_EQ(::symlink(target.c_str(), dir.File("s.sock").c_str()), 0);
  auto socket = DatagramSocket::Bind({dir.File("s.sock"), 0666, "", 0});
  ASSERT_FALSE(socket);
  struct stat st {};
  ASSERT_EQ(::stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);  // untouched
}

}  // namespace
}  // namespace sluice::ingest
