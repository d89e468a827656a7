#include "ingest/datagram_socket.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace sluice::ingest {
namespace {

std::string Errno(std::string_view what, const std::string& path) {
  return std::string(what) + " " + path + ": " + std::strerror(errno);
}

Result<sockaddr_un> Address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    return Fail(ErrorCode::kInvalidArgument, "socket path '" + path + "' must be 1 to " +
                                                 std::to_string(sizeof addr.sun_path - 1) +
                                                 " bytes long");
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

// Removes a leftover socket file nobody serves; refuses one that a live process serves.
Status ClearStalePath(const std::string& path, const sockaddr_un& addr) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Ok();
    return Fail(ErrorCode::kIoError, Errno("cannot stat", path));
  }
  if (!S_ISSOCK(st.st_mode)) {
    return Fail(ErrorCode::kInvalidArgument,
                path + " exists and is not a socket; remove it or choose another ingest.socket");
  }
  UniqueFd probe(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!probe.valid()) return Fail(ErrorCode::kIoError, Errno("cannot probe", path));
  if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
    return Fail(ErrorCode::kInvalidArgument,
                "socket " + path +
                    " is served by another live process (another sluiced or a "
                    "syslog daemon?); stop it first or choose another ingest.socket");
  }
  if (errno != ECONNREFUSED) return Fail(ErrorCode::kIoError, Errno("cannot probe", path));
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Fail(ErrorCode::kIoError, Errno("cannot remove stale socket", path));
  }
  return Ok();
}

// Creates `dir` and its missing parents, each 0755 whatever the umask: the MTAs must reach
// the socket through them.
Status CreateDirectories(const std::filesystem::path& dir) {
  std::filesystem::path partial;
  for (const auto& part : dir) {
    partial /= part;
    if (::mkdir(partial.c_str(), 0755) == 0) {
      if (::chmod(partial.c_str(), 0755) != 0) {
        return Fail(ErrorCode::kIoError, Errno("cannot chmod", partial.string()));
      }
    } else if (errno != EEXIST) {
      return Fail(ErrorCode::kIoError, Errno("cannot create directory", partial.string()));
    }
  }
  return Ok();
}

// Refuses a directory someone other than us (or root) could write to: they could replace the
// socket with their own, or a link to another file, and receive what the MTAs log.
Status CheckDirectoryIsOurs(const std::filesystem::path& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    return Fail(ErrorCode::kIoError, Errno("cannot stat", dir.string()));
  }
  if (!S_ISDIR(st.st_mode)) {
    return Fail(ErrorCode::kInvalidArgument, dir.string() + " is not a directory");
  }
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777u);
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Fail(ErrorCode::kInvalidArgument,
                "the socket's directory " + dir.string() + " is writable by group or others " +
                    "(mode " + mode + "): they could replace the socket; use a directory only " +
                    "sluiced's user can write, e.g. /run/sluice with mode 0755");
  }
  if (st.st_uid != ::geteuid() && st.st_uid != 0) {
    return Fail(ErrorCode::kInvalidArgument,
                "the socket's directory " + dir.string() + " belongs to another user (uid " +
                    std::to_string(st.st_uid) + "), who could replace the socket; use a " +
                    "directory of sluiced's user or root");
  }
  return Ok();
}

// SO_RCVBUF as ingest.rcvbuf_kb says (0: the system's default). SO_RCVBUFFORCE passes
// net.core.rmem_max when we may (root); else the capped SO_RCVBUF.
Status SetReceiveBuffer(int fd, const SocketOptions& options) {
  if (options.rcvbuf_kb <= 0) return Ok();
  int bytes = options.rcvbuf_kb * 1024;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0 &&
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes) != 0) {
    return Fail(ErrorCode::kIoError, Errno("cannot set SO_RCVBUF on", options.path));
  }
  return Ok();
}

}  // namespace

Result<DatagramSocket> DatagramSocket::Bind(const SocketOptions& options) {
  auto addr = Address(options.path);
  if (!addr) return tl::unexpected(addr.error());
  std::filesystem::path parent = std::filesystem::path(options.path).parent_path();
  if (parent.empty()) parent = ".";
  SLUICE_RETURN_IF_ERROR(CreateDirectories(parent));
  SLUICE_RETURN_IF_ERROR(CheckDirectoryIsOurs(parent));
  SLUICE_RETURN_IF_ERROR(ClearStalePath(options.path, *addr));

  gid_t gid = static_cast<gid_t>(-1);
  if (!options.group.empty()) {
    struct group* gr = ::getgrnam(options.group.c_str());
    if (gr == nullptr) {
      return Fail(ErrorCode::kInvalidArgument,
                  "ingest.socket_group '" + options.group + "' is not a known group");
    }
    gid = gr->gr_gid;
  }

  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid())
    return Fail(ErrorCode::kIoError, Errno("cannot create socket for", options.path));
  SLUICE_RETURN_IF_ERROR(SetReceiveBuffer(fd.get(), options));
  // The socket is created with the process umask (sluiced sets 0027 before any thread
  // starts), then given its group and mode without following a symbolic link.
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) != 0) {
    return Fail(ErrorCode::kIoError, Errno("cannot bind", options.path));
  }
  if (gid != static_cast<gid_t>(-1) &&
      ::fchownat(AT_FDCWD, options.path.c_str(), static_cast<uid_t>(-1), gid,
                 AT_SYMLINK_NOFOLLOW) != 0) {
    return Fail(ErrorCode::kIoError, Errno("cannot set the group of", options.path));
  }
  if (::fchmodat(AT_FDCWD, options.path.c_str(), options.mode, AT_SYMLINK_NOFOLLOW) != 0) {
    return Fail(ErrorCode::kIoError, Errno("cannot chmod", options.path));
  }
  struct stat st {};
  if (::lstat(options.path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) {
    return Fail(ErrorCode::kIoError, Errno("cannot stat", options.path));
  }
  return DatagramSocket(std::move(fd), options.path, st.st_dev, st.st_ino);
}

Result<DatagramSocket> DatagramSocket::Adopt(UniqueFd fd, const SocketOptions& options) {
  int type = 0;
  socklen_t type_size = sizeof type;
  sockaddr_un bound{};
  socklen_t bound_size = sizeof bound;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_TYPE, &type, &type_size) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &bound_size) != 0) {
    return Fail(
        ErrorCode::kInvalidArgument,
        Errno("the socket passed by the service manager for", options.path) + " is not a socket");
  }
  const size_t path_bytes =
      bound_size > offsetof(sockaddr_un, sun_path)
          ? ::strnlen(bound.sun_path, bound_size - offsetof(sockaddr_un, sun_path))
          : 0;
  const std::string path(bound.sun_path, path_bytes);
  if (bound.sun_family != AF_UNIX || type != SOCK_DGRAM || path != options.path) {
    return Fail(ErrorCode::kInvalidArgument,
                "the socket passed by the service manager (LISTEN_FDS) is not a Unix datagram "
                "socket at ingest.socket " +
                    options.path + " (bound to '" + path +
                    "'): ListenDatagram= in sluiced.socket and ingest.socket must name the "
                    "same path");
  }
  int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) != 0 ||
      ::fcntl(fd.get(), F_SETFD, FD_CLOEXEC) != 0) {
    return Fail(ErrorCode::kIoError, Errno("cannot set the flags of", options.path));
  }
  SLUICE_RETURN_IF_ERROR(SetReceiveBuffer(fd.get(), options));
  DatagramSocket socket(std::move(fd), options.path, 0, 0);
  socket.owns_path_ = false;
  return socket;
}

DatagramSocket::~DatagramSocket() {
  if (!fd_.valid() || !owns_path_) return;
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_) {
    ::unlink(path_.c_str());
  }
}

}  // namespace sluice::ingest
