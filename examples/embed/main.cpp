// An embedder's program, built against an installed callroot: JSON Lines files
// merged by event time into a Correlator; verdicts and incident records
// written as JSON Lines to stdout (as `callroot replay --format jsonl` writes
// them), each poor segment's top blame and the summary to stderr.
// Usage: embed [--rules DIR] FILE...
#include <callroot/runtime/correlator.h>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  callroot::runtime::Config config;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--rules" && i + 1 < argc) {
      config.attribution.rules.push_back(argv[++i]);
    } else {
      files.push_back(arg);
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: embed [--rules DIR] FILE...\n");
    return 2;
  }
  std::size_t poor = 0, incidents = 0;
  const auto on_verdict = [&](const callroot::Verdict& v) {
    std::printf("%s\n", callroot::to_json(v).c_str());
    if (v.quality != callroot::Quality::kPoor) return;
    ++poor;
    if (v.blame.empty()) return;
    const callroot::Blame& top = v.blame.front();
    std::fprintf(stderr, "poor %s: %s %s (%.2f)\n", v.segment_id.c_str(), callroot::to_string(top.kind),
                 top.id.c_str(), top.confidence);
  };
  const auto on_incident = [&](const callroot::Incident& x) {
    std::printf("%s\n", callroot::to_json(x).c_str());
    ++incidents;
  };
  try {
    callroot::runtime::Correlator correlator(config, on_verdict, on_incident);
    correlator.replay(files);
    correlator.flush();
    std::fputs(correlator.summary().c_str(), stderr);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "embed: error: %s\n", e.what());
    return 2;
  }
  std::fprintf(stderr, "%zu poor segments, %zu incident records\n", poor, incidents);
  return 0;
}
