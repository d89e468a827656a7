// The receive path: datagrams sent on a real Unix datagram socket and taken by
//  - BM_RawRecvmmsg: recvmmsg() into a scratch buffer and nothing else (the baseline), or
//  - BM_ReceiverPath: sluice's Receiver thread, into the DatagramQueue, drained by this thread.
// Both send from the benchmark thread, 64 datagrams per iteration, so the ratio of their
// items/s is the cost of sluice's receive path relative to the bare syscall.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "common/counters.h"
#include "ingest/datagram_queue.h"
#include "ingest/datagram_socket.h"
#include "ingest/receiver.h"

namespace {

constexpr int kPerIteration = 64;
const std::string kLine(270, 'x');

struct Endpoint {
  std::string dir;
  std::string path;
  int sender = -1;
  Endpoint() {
    char templ[] = "/tmp/sl.bench.XXXXXX";
    dir = ::mkdtemp(templ);
    path = dir + "/b.sock";
  }
  void Connect() {
    sender = ::socket(AF_UNIX, SOCK_DGRAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path.copy(addr.sun_path, path.size());
    if (::connect(sender, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) std::abort();
  }
  ~Endpoint() {
    if (sender >= 0) ::close(sender);
    ::unlink(path.c_str());
    ::rmdir(dir.c_str());
  }
};

void BM_RawRecvmmsg(benchmark::State& state) {
  Endpoint endpoint;
  auto socket = sluice::ingest::DatagramSocket::Bind({endpoint.path, 0600, "", 0});
  if (!socket) std::abort();
  endpoint.Connect();
  std::vector<char> buffer(kPerIteration * 65536);
  std::vector<iovec> iov(kPerIteration);
  std::vector<mmsghdr> msgs(kPerIteration);
  for (size_t i = 0; i < kPerIteration; ++i) {
    iov[i] = {buffer.data() + i * 65536, 65536};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  for (auto _ : state) {
    int got = 0;
    for (int i = 0; i < kPerIteration; ++i) {
      (void)!::send(endpoint.sender, kLine.data(), kLine.size(), 0);
      if ((i & 7) == 7) {  // stay under net.unix.max_dgram_qlen
        int n = ::recvmmsg(socket->fd(), msgs.data(), kPerIteration, MSG_DONTWAIT, nullptr);
        got += n > 0 ? n : 0;
      }
    }
    benchmark::DoNotOptimize(got);
  }
  state.SetItemsProcessed(state.iterations() * kPerIteration);
}
BENCHMARK(BM_RawRecvmmsg)->UseRealTime();

void BM_ReceiverPath(benchmark::State& state) {
  Endpoint endpoint;
  auto socket = sluice::ingest::DatagramSocket::Bind({endpoint.path, 0600, "", 0});
  if (!socket) std::abort();
  endpoint.Connect();
  sluice::Counters counters;
  sluice::ingest::DatagramQueue queue(64 << 20, 256 << 10, 1);
  sluice::ingest::Receiver receiver(socket->fd(), queue, counters, 65536);
  uint64_t drained = 0;
  for (auto _ : state) {
    for (int i = 0; i < kPerIteration; ++i) {
      (void)!::send(endpoint.sender, kLine.data(), kLine.size(), 0);  // blocking, like syslog(3)
    }
    while (sluice::ingest::DatagramBlock* block = queue.TryFull()) {
      drained += block->count();
      queue.Release(block);
    }
  }
  receiver.Stop();
  state.SetItemsProcessed(state.iterations() * kPerIteration);
  state.counters["shed"] = static_cast<double>(counters.shed.load());
  benchmark::DoNotOptimize(drained);
}
BENCHMARK(BM_ReceiverPath)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
