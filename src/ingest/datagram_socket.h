#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <string>

#include "common/status.h"
#include "common/unique_fd.h"

namespace sluice::ingest {

// What to bind and how to expose it.
struct SocketOptions {
  std::string path;
  mode_t mode = 0660;
  std::string group;  // "" keeps the daemon's group
  int rcvbuf_kb = 0;  // 0 keeps the system default
};

// A bound Unix datagram socket; unlinks its path on destruction if it bound it and the file is
// still the one it created. Not thread-safe for Bind/destruction; fd() may be read by any thread.
class DatagramSocket {
 public:
  // Binds `options.path` with its mode and group. A stale socket file (nobody serving it) is
  // replaced; a socket some live process serves, or a path that is not a socket, is refused
  // with kInvalidArgument and a message that says what to do.
  static Result<DatagramSocket> Bind(const SocketOptions& options);
  // Takes a socket the service manager bound (socket activation: sluiced.socket), checked to
  // be a Unix datagram socket bound to `options.path`. Its file, mode and group are the
  // manager's: left alone, and never unlinked, so the socket and what waits in it outlive
  // sluiced. rcvbuf_kb still applies. kInvalidArgument, saying what differs, otherwise.
  static Result<DatagramSocket> Adopt(UniqueFd fd, const SocketOptions& options);

  DatagramSocket(DatagramSocket&&) = default;
  DatagramSocket& operator=(DatagramSocket&&) = delete;
  ~DatagramSocket();

  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }

 private:
  DatagramSocket(UniqueFd fd, std::string path, dev_t dev, ino_t ino)
      : fd_(std::move(fd)), path_(std::move(path)), dev_(dev), ino_(ino) {}

  UniqueFd fd_;
  std::string path_;
  dev_t dev_;
  ino_t ino_;
  bool owns_path_ = true;  // bound here: unlinked on destruction
};

}  // namespace sluice::ingest
