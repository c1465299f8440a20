// Memory of metering and segmenting many concurrent RTP streams.
//
// Hypothesis: the segmenter's memory is bounded by its stream cap
// (SegmenterOptions::max_streams, default 100,000), whatever the number of
// concurrent streams in the capture: at the cap the least recently active
// eighth is evicted, and what only they used (conversations, RTCP state)
// goes with them.
//
// Method: N streams (each its own 5-tuple, so its own call) send one G.711
// packet each per 20 ms round, 5 rounds; prints the resident memory added,
// per open stream, and the evictions. Usage: segment_memory [N=100000] [N2...]
// Each N runs in a fresh child process so that peaks do not mix.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "testing/capture_writer.h"
#include "ingest/stream_segmenter.h"

namespace {

long rss_kb() {
  std::ifstream f("/proc/self/status");
  for (std::string l; std::getline(f, l);) {
    if (l.rfind("VmRSS:", 0) == 0) return std::atol(l.c_str() + 6);
  }
  return 0;
}

void run(int n) {
  using namespace callroot::ingest;
  SegmenterOptions o;
  std::size_t segments = 0;
  StreamSegmenter seg(o, [&](callroot::CallSegment&&) { ++segments; });
  std::vector<std::uint8_t> buf(172, 0xD5);
  buf[0] = 0x80;
  buf[1] = 0;
  const long before = rss_kb();
  for (int k = 0; k < 5; ++k) {
    for (int i = 0; i < n; ++i) {
      UdpPacket p;
      p.ts_ns = 1'700'000'000'000'000'000 + k * 20'000'000LL + i;
      p.src = endpoint("10.0.0.0", 10000);
      p.src.ip.bytes[13] = static_cast<std::uint8_t>(i >> 16);
      p.src.ip.bytes[14] = static_cast<std::uint8_t>(i >> 8);
      p.src.ip.bytes[15] = static_cast<std::uint8_t>(i);
      p.dst = endpoint("10.200.0.1", 20000);
      buf[3] = static_cast<std::uint8_t>(k);
      for (int b = 0; b < 4; ++b) buf[8 + b] = static_cast<std::uint8_t>(i >> (24 - 8 * b));
      p.payload = buf.data();
      p.payload_len = p.udp_len = static_cast<std::uint32_t>(buf.size());
      seg.on_packet(p);
    }
  }
  const long added = rss_kb() - before;
  const std::size_t open = seg.open_calls();
  std::printf(
      "%8d concurrent streams: %7ld KB resident added, %5.0f bytes per open stream; %zu open (cap %zu), "
      "%llu evicted\n",
      n, added, open ? added * 1024.0 / static_cast<double>(open) : 0.0, open, o.max_streams,
      static_cast<unsigned long long>(seg.meter().counters().streams_evicted));
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::atoi(argv[i]));
  if (sizes.empty()) sizes = {10000, 100000, 400000};
  for (const int n : sizes) {
    const pid_t pid = fork();
    if (pid == 0) {
      run(n);
      std::fflush(stdout);
      _exit(0);
    }
    waitpid(pid, nullptr, 0);
  }
  return 0;
}
