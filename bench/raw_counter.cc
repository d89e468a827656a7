// raw-counter: the baseline receiver. Binds a Unix datagram socket and counts what it reads
// with recvmmsg(), doing nothing else, until SIGTERM/SIGINT; then prints a JSON line.
// sluiced's accepted rate is reported as a ratio to this one's, measured in the same run.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

namespace {

volatile sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: raw-counter SOCKET\n");
    return 2;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, argv[1], sizeof addr.sun_path - 1);
  ::unlink(argv[1]);
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::perror("raw-counter: bind");
    return 1;
  }
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);

  constexpr size_t kBatch = 64, kSlot = 65536;
  std::vector<char> buffer(kBatch * kSlot);
  std::vector<iovec> iov(kBatch);
  std::vector<mmsghdr> msgs(kBatch);
  for (size_t i = 0; i < kBatch; ++i) {
    iov[i] = {buffer.data() + i * kSlot, kSlot};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  unsigned long long count = 0, bytes = 0;
  std::chrono::steady_clock::time_point first{}, last{};
  pollfd pfd{fd, POLLIN, 0};
  while (!g_stop) {
    int n = ::recvmmsg(fd, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) {
      ::poll(&pfd, 1, 100);
      continue;
    }
    last = std::chrono::steady_clock::now();
    if (count == 0) first = last;
    count += static_cast<unsigned long long>(n);
    for (int i = 0; i < n; ++i) bytes += msgs[static_cast<size_t>(i)].msg_len;
  }
  double seconds = std::chrono::duration<double>(last - first).count();
  std::printf("{\"received\": %llu, \"bytes\": %llu, \"seconds\": %.3f, \"rate_per_s\": %.0f}\n",
              count, bytes, seconds, seconds > 0 ? static_cast<double>(count) / seconds : 0.0);
  ::unlink(argv[1]);
  return 0;
}
