// RTP metering speed, and tshark on the same file in the same run.
//
// Hypothesis: decoding Ethernet/IPv4/UDP and metering RTP with tshark's exact
// algorithm costs a few tens of ns per packet on one core, so callroot meters
// >= 5 M packets/s and >= 20x tshark 4.0 (~100 k packets/s with the RTP tap),
// with the same figures.
//
// Scenarios (one synthetic capture, written to /tmp at start and deleted at
// exit; CALLROOT_RTP_BENCH_STREAMS x CALLROOT_RTP_BENCH_PACKETS, default
// 1000 x 1000 = 1 M packets of G.711 20 ms, 214-byte frames):
// - BM_MeterInMemory: the frames already in memory; decode_udp + RtpMeter
//   (the metering itself, no I/O).
// - BM_MeterCaptureFile: meter_capture() on the file (libpcap reading included).
// - BM_MeterAndSegmentInMemory: as BM_MeterInMemory through a StreamSegmenter
//   (60 s slices): the cost of turning streams into call segments. The
//   capture lasts 20 s per 1000 packets of a stream, so every stream gives
//   one segment per started minute.
// Afterwards, when `tshark` is on PATH (and CALLROOT_RTP_BENCH_TSHARK is not
// 0), `tshark -n -o rtp.heuristic_rtp:TRUE -r FILE -q -z rtp,streams` runs once
// on the same file: its wall time, the ratio, and whether every stream's
// packets, lost, max delta, max jitter and mean jitter equal ours.
//
// The streams have loss (0.3 %), duplicates, reordering, a sequence wrap in
// some streams, marker bits and arrival jitter of up to 3 ms.

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "ingest/pcap_reader.h"
#include "ingest/rtp_meter.h"
#include "ingest/stream_segmenter.h"

namespace {

using callroot::ingest::RtpStream;

std::size_t env_size(const char* name, std::size_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && std::atol(v) > 0 ? static_cast<std::size_t>(std::atol(v)) : fallback;
}

struct Synthetic {
  std::string path;
  std::vector<std::uint8_t> frames;  // concatenated frames
  std::vector<std::uint32_t> offsets;
  std::uint64_t wire_bytes = 0;
};

Synthetic& synthetic() {
  static Synthetic s;
  return s;
}

void put16(std::uint8_t* p, unsigned v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
void put32(std::uint8_t* p, std::uint32_t v) {
  put16(p, v >> 16);
  put16(p + 2, v & 0xFFFF);
}

/// Writes `streams` G.711 streams of `packets` packets each to `path` (classic
/// pcap, Ethernet, microseconds) and keeps the frames in memory.
void generate(const std::string& path, std::size_t streams, std::size_t packets) {
  auto& syn = synthetic();
  syn.path = path;
  std::mt19937 rng(20261122);
  struct State {
    std::uint16_t seq;
    std::uint32_t ts, ssrc;
  };
  std::vector<State> st(streams);
  for (std::size_t i = 0; i < streams; ++i) {
    // Every tenth stream wraps its sequence number part-way.
    st[i].seq = i % 10 == 0 ? static_cast<std::uint16_t>(65536 - packets / 2) : static_cast<std::uint16_t>(rng());
    st[i].ts = rng();
    st[i].ssrc = rng();
  }
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    std::perror(path.c_str());
    std::exit(2);
  }
  const std::uint32_t header[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};
  std::fwrite(header, sizeof header, 1, f);
  constexpr std::size_t kFrame = 14 + 20 + 8 + 12 + 160;
  std::uint8_t frame[kFrame];
  std::memset(frame, 0xD5, sizeof frame);
  std::memset(frame, 0, 54);
  frame[5] = 1, frame[11] = 2;
  put16(frame + 12, 0x0800);
  std::uint8_t* ip = frame + 14;
  ip[0] = 0x45;
  put16(ip + 2, kFrame - 14);
  ip[8] = 64;
  ip[9] = 17;
  std::uint8_t* udp = ip + 20;
  put16(udp + 4, kFrame - 34);
  std::uint8_t* rtp = udp + 8;
  rtp[0] = 0x80;
  const std::int64_t base_us = 1'700'000'000LL * 1'000'000;
  syn.frames.reserve(streams * packets * kFrame);
  syn.offsets.reserve(streams * packets);
  auto emit = [&](std::size_t i, std::int64_t t_us, std::uint16_t seq, std::uint32_t ts, bool marker) {
    put32(ip + 12, 0x0A010000u + static_cast<std::uint32_t>(i));
    put32(ip + 16, 0x0A020000u + static_cast<std::uint32_t>(i));
    put16(udp, 10000 + static_cast<unsigned>(i % 20000) * 2);
    put16(udp + 2, 20000 + static_cast<unsigned>(i % 20000) * 2);
    rtp[1] = marker ? 0x80 : 0x00;
    put16(rtp + 2, seq);
    put32(rtp + 4, ts);
    put32(rtp + 8, st[i].ssrc);
    const std::uint32_t rec[4] = {static_cast<std::uint32_t>(t_us / 1000000), static_cast<std::uint32_t>(t_us % 1000000),
                                  kFrame, kFrame};
    std::fwrite(rec, sizeof rec, 1, f);
    std::fwrite(frame, kFrame, 1, f);
    syn.offsets.push_back(static_cast<std::uint32_t>(syn.frames.size()));
    syn.frames.insert(syn.frames.end(), frame, frame + kFrame);
    syn.wire_bytes += kFrame;
  };
  for (std::size_t k = 0; k < packets; ++k) {
    for (std::size_t i = 0; i < streams; ++i) {
      const std::int64_t t_us = base_us + static_cast<std::int64_t>(k) * 20000 +
                                static_cast<std::int64_t>(i * 20000 / streams) + rng() % 3000;
      const auto seq = static_cast<std::uint16_t>(st[i].seq + k);
      const auto ts = st[i].ts + static_cast<std::uint32_t>(k * 160);
      const unsigned roll = rng() % 1000;
      if (roll < 3) continue;  // lost
      emit(i, t_us, seq, ts, k == 0 || roll == 500);
      if (roll == 999) emit(i, t_us + 1, seq, ts, false);  // duplicate
      if (roll == 998 && k > 2) emit(i, t_us + 2, static_cast<std::uint16_t>(seq - 2), ts - 320, false);  // late
    }
  }
  std::fclose(f);
}

void BM_MeterInMemory(benchmark::State& state) {
  const auto& syn = synthetic();
  std::uint64_t metered = 0;
  for (auto _ : state) {
    callroot::ingest::RtpMeter meter;
    callroot::ingest::UdpPacket pkt;
    callroot::ingest::PacketIssue issue{};
    const std::size_t n = syn.offsets.size();
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t begin = syn.offsets[i];
      const std::uint32_t end = i + 1 < n ? syn.offsets[i + 1] : static_cast<std::uint32_t>(syn.frames.size());
      if (callroot::ingest::decode_udp(callroot::ingest::kDltEthernet, syn.frames.data() + begin, end - begin,
                                       end - begin, pkt, issue) != callroot::ingest::DecodeStatus::kUdp) {
        continue;
      }
      pkt.ts_ns = static_cast<std::int64_t>(i) * 20'000;  // times do not change the cost
      meter.on_packet(pkt);
    }
    metered = meter.counters().rtp;
    benchmark::DoNotOptimize(meter.open_streams().data());
  }
  if (metered != syn.offsets.size()) state.SkipWithError("not every packet was metered");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * syn.offsets.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * syn.wire_bytes));
}
BENCHMARK(BM_MeterInMemory)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_MeterAndSegmentInMemory(benchmark::State& state) {
  const auto& syn = synthetic();
  std::uint64_t segments = 0, metered = 0;
  for (auto _ : state) {
    segments = 0;
    callroot::ingest::SegmenterOptions o;
    o.max_streams = 1'000'000;
    callroot::ingest::StreamSegmenter seg(o, [&](callroot::CallSegment&& s) {
      ++segments;
      benchmark::DoNotOptimize(s.streams.data());
    });
    callroot::ingest::UdpPacket pkt;
    callroot::ingest::PacketIssue issue{};
    const std::size_t n = syn.offsets.size();
    const std::size_t streams = std::max<std::size_t>(1, n / 1000);
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t begin = syn.offsets[i];
      const std::uint32_t end = i + 1 < n ? syn.offsets[i + 1] : static_cast<std::uint32_t>(syn.frames.size());
      if (callroot::ingest::decode_udp(callroot::ingest::kDltEthernet, syn.frames.data() + begin, end - begin,
                                       end - begin, pkt, issue) != callroot::ingest::DecodeStatus::kUdp) {
        continue;
      }
      // Real packet times: 20 ms per round of all streams.
      pkt.ts_ns = 1'700'000'000'000'000'000 + static_cast<std::int64_t>(i / streams) * 20'000'000;
      seg.on_packet(pkt);
    }
    seg.finish();
    metered = seg.meter().counters().rtp;
  }
  if (metered != syn.offsets.size() || segments == 0) state.SkipWithError("not every packet was metered");
  state.counters["segments"] = static_cast<double>(segments);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * syn.offsets.size()));
}
BENCHMARK(BM_MeterAndSegmentInMemory)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_MeterCaptureFile(benchmark::State& state) {
  const auto& syn = synthetic();
  std::size_t streams = 0;
  for (auto _ : state) {
    auto m = callroot::ingest::meter_capture(syn.path);
    streams = m.streams.size();
    benchmark::DoNotOptimize(m.streams.data());
  }
  state.counters["streams"] = static_cast<double>(streams);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * syn.offsets.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * syn.wire_bytes));
}
BENCHMARK(BM_MeterCaptureFile)->Unit(benchmark::kMillisecond)->UseRealTime();

std::string fmt3(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

/// Runs tshark on the file, times it, and compares its figures with ours.
void compare_with_tshark() {
  const char* flag = std::getenv("CALLROOT_RTP_BENCH_TSHARK");
  if ((flag != nullptr && std::string(flag) == "0") || std::system("command -v tshark >/dev/null 2>&1") != 0) {
    std::printf("tshark: not run (not on PATH or CALLROOT_RTP_BENCH_TSHARK=0)\n");
    return;
  }
  const auto& syn = synthetic();
  const std::string out = syn.path + ".tshark.txt";
  const std::string cmd = "tshark -n -o rtp.heuristic_rtp:TRUE -r " + syn.path + " -q -z rtp,streams > " + out +
                          " 2>/dev/null";
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = std::system(cmd.c_str());
  const double tshark_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto t1 = std::chrono::steady_clock::now();
  const auto ours = callroot::ingest::meter_capture(syn.path);
  const double ours_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  if (rc != 0) {
    std::printf("tshark failed (exit %d)\n", rc);
    return;
  }
  std::map<std::string, const RtpStream*> by_id;
  for (const auto& s : ours.streams) {
    char ssrc[16];
    std::snprintf(ssrc, sizeof ssrc, "0x%08X", s.key.ssrc);
    by_id[s.key.src.str() + ' ' + s.key.dst.str() + ' ' + ssrc] = &s;
  }
  std::ifstream in(out);
  std::size_t rows = 0, equal = 0;
  std::string first_diff;
  for (std::string line; std::getline(in, line);) {
    std::istringstream ls(line);
    std::vector<std::string> t;
    for (std::string w; ls >> w;) t.push_back(w);
    if (t.size() < 17 || t[6].rfind("0x", 0) != 0) continue;
    ++rows;
    std::size_t end = t.size();
    if (t[end - 1] == "X") --end;
    auto it = by_id.find(t[2] + ':' + t[3] + ' ' + t[4] + ':' + t[5] + ' ' + t[6]);
    if (it == by_id.end()) {
      if (first_diff.empty()) first_diff = "missing " + line;
      continue;
    }
    const RtpStream& s = *it->second;
    const bool same = std::to_string(s.packets) == t[end - 9] && std::to_string(s.lost()) == t[end - 8] &&
                      fmt3(s.max_delta) == t[end - 4] && fmt3(s.mean_jitter) == t[end - 2] &&
                      fmt3(s.max_jitter) == t[end - 1];
    if (same) {
      ++equal;
    } else if (first_diff.empty()) {
      first_diff = line;
    }
  }
  const double n = static_cast<double>(syn.offsets.size());
  std::printf("\nSame file, same run: %zu packets, %.1f MB\n", syn.offsets.size(), syn.wire_bytes / 1e6);
  std::printf("  tshark 4.0 -z rtp,streams : %8.3f s  %12.0f packets/s\n", tshark_s, n / tshark_s);
  std::printf("  callroot meter_capture    : %8.3f s  %12.0f packets/s  %8.1f MB/s\n", ours_s, n / ours_s,
              syn.wire_bytes / 1e6 / ours_s);
  std::printf("  ratio                     : %8.1fx\n", tshark_s / ours_s);
  std::printf("  figures (packets, lost, max delta, max jitter, mean jitter): %zu of %zu tshark streams equal; "
              "ours %zu\n",
              equal, rows, ours.streams.size());
  if (!first_diff.empty()) std::printf("  first difference: %s\n", first_diff.c_str());
  std::remove(out.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t streams = env_size("CALLROOT_RTP_BENCH_STREAMS", 1000);
  const std::size_t packets = env_size("CALLROOT_RTP_BENCH_PACKETS", 1000);
  const std::string path = "/tmp/callroot_rtp_bench_" + std::to_string(getpid()) + ".pcap";
  generate(path, streams, packets);
  std::printf("synthetic capture: %s, %zu streams, %zu packets\n", path.c_str(), streams,
              synthetic().offsets.size());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  compare_with_tshark();
  std::remove(path.c_str());
  return 0;
}
