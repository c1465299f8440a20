// libFuzzer target: the rule language, end to end: lexer, parser, checker,
// compiler, both diagnostic renderers and the evaluator.
//
// An input is rule text, byte for byte (seeded from data/rules), unless its
// first byte is 0x01 (which no rule file starts with): then the rest is a
// token sequence, each byte choosing a keyword, field, function, operator,
// unit, number, string or line break, so that most inputs get past the lexer
// and parser to the checker, the compiler and the evaluator
// (structure-aware without a custom mutator; seeds in fuzz/corpus/rules).
// A program that compiles is then evaluated for every target with slot
// values drawn from the input, including NaN, infinities and extremes.
//
// Property: no crash, no sanitizer finding, no exception; a result with
// errors has no program; every diagnostic renders as text without control
// bytes and as JSON that parses.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rules/fields.h"
#include "rules/loader.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

const std::vector<std::string>& vocabulary() {
  static const std::vector<std::string> words = [] {
    std::vector<std::string> w{
        "rule", "macro", "param", "list", "site", "override", "{", "}", "[", "]", "(", ")", ",", ":", ".", "=",
        "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "and", "or", "not", "in", "true", "false",
        "revision:", "description:", "scope:", "when:", "blame:", "weight:", "severity:", "explain:", "source:",
        "enabled:", "client", "ap", "switch", "wan", "remote", "unknown", "minor", "major", "critical", "audio",
        "video", "screen", "wifi", "wired", "ms", "s", "min", "%", "dBm", "dB", "Mbps", "kbps", "GHz", "/s", "fps",
        "0", "1", "2.5", "-72", "1e308", "99999999999999999999", "0.000001", "\"x\"", "\"{client.wifi.rssi_dbm.avg}\"",
        "\"{", "}\"", "\"", "#", "\n", "\n", "\n", " ", "x", "a.b", "media", "direction", "sent", "received",
        "endpoint.site", "\"hq\"", ".avg", ".p95", ".max", ".min", ".rate", ".share", ".samples"};
    for (const auto& f : callroot::rules::all_fields()) w.push_back(f.name);
    for (const auto& f : callroot::rules::all_functions()) w.emplace_back(f.name);
    return w;
  }();
  return words;
}

std::string from_tokens(const std::uint8_t* data, std::size_t size) {
  const auto& words = vocabulary();
  std::string out;
  for (std::size_t i = 0; i < size; ++i) {
    // Two bytes per token when the vocabulary outgrows one.
    std::size_t k = data[i];
    if (words.size() > 256 && i + 1 < size) k = k << 8 | data[++i];
    out += words[k % words.size()];
    out += ' ';
  }
  return out;
}

double value_of(std::uint8_t b) {
  switch (b % 8) {
    case 0: return std::numeric_limits<double>::quiet_NaN();
    case 1: return std::numeric_limits<double>::infinity();
    case 2: return -std::numeric_limits<double>::infinity();
    case 3: return std::numeric_limits<double>::max();
    case 4: return 0;
    default: return static_cast<double>(b) - 128;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace callroot::rules;
  if (size == 0) return 0;
  const bool tokens = data[0] == 0x01;
  const std::string text =
      tokens ? from_tokens(data + 1, size - 1) : std::string(reinterpret_cast<const char*>(data), size);
  const std::vector<std::pair<std::string, std::string>> sources{{"fuzz.rules", text}};
  const LoadResult r = load_rules_from_text(sources);
  check(r.has_errors() == (r.program == nullptr));
  for (const Diagnostic& d : r.diagnostics) {
    for (const char c : render_text(d)) check(c == '\n' || c == '\t' || static_cast<unsigned char>(c) >= 0x20);
    check(!nlohmann::json::parse(render_json(d), nullptr, false).is_discarded());
  }
  if (!r.program) return 0;

  const Program& program = *r.program;
  std::vector<double> values(program.slots().size());
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = value_of(data[i % size]);
  std::vector<Firing> firings;
  Trace trace;
  RuleStats stats;
  for (const std::string& site : program.site_names()) {
    Candidate in;
    in.values = values;
    in.site = program.site_index(site);
    in.media_mask = data[size - 1] & 0b111;
    in.direction_mask = (data[size / 2] & 3) | 1;
    for (const auto target : {callroot::ComponentKind::kClient, callroot::ComponentKind::kAp,
                              callroot::ComponentKind::kSwitch, callroot::ComponentKind::kWan,
                              callroot::ComponentKind::kRemote}) {
      firings.clear();
      program.evaluate(target, in, firings, &trace, &stats);
      for (const Firing& f : firings) check(f.rule < program.rules().size());
    }
  }
  return 0;
}
