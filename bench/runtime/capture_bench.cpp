// Replaying a capture of callroot's ZeroMQ ingest traffic.
//
// Hypothesis: pulling records out of a pcap (libpcap, TCP reassembly, ZMTP
// framing, one copy of each record into a padded buffer) costs well under a
// microsecond per record, far below decoding and scoring; a replay of a
// ZeroMQ capture therefore runs at nearly the speed of the same records from
// JSON Lines.
//
// Scenarios (the demo campus's ~18k records in time order, written at start
// to /tmp as a pcap of a PUSH connection to 7711 in 1460-byte segments, and
// as one JSON Lines file; CALLROOT_CAPTURE_BENCH_REPEAT copies, default 20,
// for the extraction benchmark):
// - BM_CaptureToRecords: PcapReader + CaptureDecoder, records out, no JSON decoding.
// - BM_ReplayCapture: `callroot replay` of the one-copy pcap (decode, engine, verdicts).
// - BM_ReplayJsonl: the same records from JSON Lines, for reference.
// Each checks that every record came out.

#include <benchmark/benchmark.h>
#include <spdlog/sinks/null_sink.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ingest/capture_source.h"
#include "testing/capture_writer.h"
#include "models/time.h"
#include "runtime/replay.h"
#include "runtime/sinks.h"

namespace {

using namespace callroot;

struct Fixture {
  std::string pcap_one, pcap_many, jsonl;
  std::size_t records = 0;
  std::uint64_t bytes_many = 0;
  std::size_t records_many = 0;
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

std::vector<std::pair<std::string, std::string>> demo_records() {
  struct Rec {
    TimeMs key;
    std::string type, line;
  };
  std::vector<Rec> recs;
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(std::string(CALLROOT_DATA_DIR) + "/demo")) {
    if (e.path().extension() == ".jsonl") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      const auto j = nlohmann::json::parse(line);
      const std::string type = j.at("type");
      TimeMs key = kNoTime;
      const char* field = type == "call.segment" ? "end" : "ts";
      if (j.contains(field)) {
        key = j[field].is_string() ? *parse_rfc3339(j[field].get<std::string>()) : j[field].get<TimeMs>();
      }
      recs.push_back({key, type, line});
    }
  }
  std::stable_sort(recs.begin(), recs.end(), [](const Rec& a, const Rec& b) { return a.key < b.key; });
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& r : recs) out.emplace_back(std::move(r.type), std::move(r.line));
  return out;
}

void write_capture(const std::string& path, const std::vector<std::pair<std::string, std::string>>& records,
                   std::size_t copies) {
  ingest::PcapWriter w(path);
  ingest::TcpConnectionWriter c(w, ingest::endpoint("10.9.0.1", 41000), ingest::endpoint("10.9.0.2", 7711));
  std::int64_t t = 1'800'000'000'000'000'000;
  c.open(t);
  std::string bytes;
  ingest::zmtp_greeting(bytes);
  ingest::zmtp_ready(bytes, "PUSH");
  c.send(t += 1000, bytes);
  for (std::size_t k = 0; k < copies; ++k) {
    for (const auto& [type, body] : records) {
      bytes.clear();
      ingest::zmtp_message(bytes, type, body);
      c.send(t += 1000, bytes);
    }
  }
  c.close(t + 1000);
  w.close();
}

void BM_CaptureToRecords(benchmark::State& state) {
  const auto& fx = fixture();
  std::size_t n = 0;
  for (auto _ : state) {
    ingest::PcapReader reader(fx.pcap_many);
    ingest::CaptureDecoder decoder("bench", {});
    ingest::Packet p;
    ingest::CaptureRecord rec;
    n = 0;
    while (reader.next_packet(p) == ingest::PcapReader::ReadStatus::kPacket) {
      decoder.on_packet(p);
      while (decoder.next(rec)) {
        benchmark::DoNotOptimize(rec.body.data());
        ++n;
      }
    }
    decoder.finish();
    while (decoder.next(rec)) ++n;
  }
  if (n != fx.records_many) state.SkipWithError("not every record came out");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * fx.bytes_many));
}
BENCHMARK(BM_CaptureToRecords)->Unit(benchmark::kMillisecond)->UseRealTime();

void replay_bench(benchmark::State& state, const std::string& file) {
  const auto& fx = fixture();
  auto log = std::make_shared<spdlog::logger>("b", std::make_shared<spdlog::sinks::null_sink_mt>());
  std::uint64_t records = 0;
  for (auto _ : state) {
    runtime::CollectingSink sink;
    runtime::ReplayOptions o;
    o.files = {file};
    o.progress = false;
    records = runtime::replay_into(o, sink, log).records;
    benchmark::DoNotOptimize(sink.verdicts.data());
  }
  if (records != fx.records) state.SkipWithError("not every record was read");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * records));
}

void BM_ReplayCapture(benchmark::State& state) { replay_bench(state, fixture().pcap_one); }
BENCHMARK(BM_ReplayCapture)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ReplayJsonl(benchmark::State& state) { replay_bench(state, fixture().jsonl); }
BENCHMARK(BM_ReplayJsonl)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  const char* rep = std::getenv("CALLROOT_CAPTURE_BENCH_REPEAT");
  const std::size_t copies = rep != nullptr && std::atol(rep) > 0 ? static_cast<std::size_t>(std::atol(rep)) : 20;
  auto& fx = fixture();
  const auto records = demo_records();
  const std::string base = "/tmp/callroot_capture_bench_" + std::to_string(getpid());
  fx.pcap_one = base + "_one.pcap";
  fx.pcap_many = base + "_many.pcap";
  fx.jsonl = base + ".jsonl";
  fx.records = records.size();
  fx.records_many = records.size() * copies;
  write_capture(fx.pcap_one, records, 1);
  write_capture(fx.pcap_many, records, copies);
  fx.bytes_many = std::filesystem::file_size(fx.pcap_many);
  {
    std::ofstream out(fx.jsonl);
    for (const auto& r : records) out << r.second << '\n';
  }
  std::printf("capture: %zu records x %zu copies, %.1f MB; one copy: %s\n", records.size(), copies, fx.bytes_many / 1e6,
              fx.pcap_one.c_str());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::remove(fx.pcap_one.c_str());
  std::remove(fx.pcap_many.c_str());
  std::remove(fx.jsonl.c_str());
  return 0;
}
