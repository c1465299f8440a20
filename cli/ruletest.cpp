#include "cli/ruletest.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/null_sink.h>

#include "models/json_writer.h"
#include "models/text.h"
#include "models/time.h"
#include "runtime/pipeline.h"
#include "runtime/sinks.h"

namespace callroot::cli {

using runtime::CollectingSink;
using runtime::Pipeline;
namespace {

using nlohmann::json;

std::string where(const std::string& file, std::size_t line) { return file + ":" + std::to_string(line); }

TimeMs json_time(const json& j, const char* key) {
  if (!j.contains(key)) throw std::runtime_error(std::string("`") + key + "` is required");
  const json& v = j.at(key);
  if (v.is_number_integer()) return v.get<TimeMs>();
  if (v.is_string()) {
    if (auto t = parse_rfc3339(v.get<std::string>())) return *t;
  }
  throw std::runtime_error(std::string("`") + key + "` is not an RFC 3339 time or epoch milliseconds");
}

DurationMs json_duration(const json& j, const char* key) {
  if (!j.contains(key)) throw std::runtime_error(std::string("`") + key + "` is required");
  const json& v = j.at(key);
  if (v.is_number_integer()) return v.get<DurationMs>();
  if (!v.is_string()) throw std::runtime_error(std::string("`") + key + "` must be a duration such as \"30s\"");
  const std::string s = v.get<std::string>();
  std::size_t pos = 0;
  double n = 0;
  try {
    n = std::stod(s, &pos);
  } catch (const std::exception&) {
    throw std::runtime_error("`" + std::string(key) + "`: \"" + s + "\" is not a duration");
  }
  const std::string unit = s.substr(pos);
  double scale = 0;
  if (unit == "ms") scale = 1;
  else if (unit == "s") scale = 1000;
  else if (unit == "min") scale = 60'000;
  else throw std::runtime_error("`" + std::string(key) + "`: unit of \"" + s + "\" is not ms, s or min");
  if (n <= 0) throw std::runtime_error("`" + std::string(key) + "` must be positive");
  return static_cast<DurationMs>(std::llround(n * scale));
}

}  // namespace

std::vector<std::string> expand_series(const std::string& text) {
  const json s = json::parse(text);
  for (const char* key : {"record", "key", "field", "values"}) {
    if (!s.contains(key)) throw std::runtime_error(std::string("`") + key + "` is required");
  }
  if (!s.at("key").is_object()) throw std::runtime_error("`key` must be an object of the record's key fields");
  const TimeMs start = json_time(s, "start");
  const DurationMs every = json_duration(s, "every");
  const std::string record = s.at("record");
  const std::string field = s.at("field");
  std::istringstream values(s.at("values").get<std::string>());
  std::vector<std::string> out;
  std::string token;
  TimeMs t = start;
  while (values >> token) {
    // `V`, `VxN` (V repeated N times) or `_` (a gap: no sample).
    std::string value = token;
    long repeat = 1;
    if (const auto x = token.rfind('x'); x != std::string::npos && x > 0) {
      value = token.substr(0, x);
      try {
        repeat = std::stol(token.substr(x + 1));
      } catch (const std::exception&) {
        throw std::runtime_error("`values`: \"" + token + "\" is not V, VxN or _");
      }
      if (repeat < 1 || repeat > 100'000) throw std::runtime_error("`values`: repeat count out of range in \"" + token + "\"");
    }
    json sample_value;
    if (value != "_") {
      if (value == "true" || value == "false") {
        sample_value = value == "true";
      } else {
        // An integer stays an integer: counters (`*_total`) must not become 700.0.
        std::int64_t integer = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), integer);
        if (ec == std::errc() && end == value.data() + value.size()) {
          sample_value = integer;
        } else {
          try {
            std::size_t used = 0;
            const double d = std::stod(value, &used);
            if (used != value.size()) throw std::invalid_argument(value);
            sample_value = d;
          } catch (const std::exception&) {
            throw std::runtime_error("`values`: \"" + token + "\" is not a number, true, false or _");
          }
        }
      }
    }
    for (long i = 0; i < repeat; ++i, t += every) {
      if (value == "_") continue;
      json r = json::object();
      r["type"] = record;
      r["ts"] = format_rfc3339(t);
      for (const auto& [k, v] : s.at("key").items()) r[k] = v;
      // Values are written as given: a counter series lists its running totals.
      r[field] = sample_value;
      out.push_back(r.dump());
    }
  }
  return out;
}

std::vector<RuleTestCase> parse_rule_tests(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  std::vector<RuleTestCase> cases;
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json j;
    try {
      j = json::parse(line);
    } catch (const json::parse_error& e) {
      throw std::runtime_error(where(path, n) + ": not JSON: " + e.what());
    }
    const std::string type = j.value("type", "");
    if (type == "test") {
      RuleTestCase& c = cases.emplace_back();
      c.file = path;
      c.line = n;
      c.name = j.value("name", "");
      if (c.name.empty()) throw std::runtime_error(where(path, n) + ": a test needs a `name`");
      if (j.contains("rules")) {
        if (!j.at("rules").is_array()) throw std::runtime_error(where(path, n) + ": `rules` must be a list of paths");
        for (const auto& r : j.at("rules")) c.rule_paths.push_back((dir / r.get<std::string>()).lexically_normal().string());
      }
      continue;
    }
    if (cases.empty()) throw std::runtime_error(where(path, n) + ": records before the first `test` line");
    RuleTestCase& c = cases.back();
    if (type == "test.expect") {
      if (!j.contains("segment_id")) throw std::runtime_error(where(path, n) + ": test.expect needs `segment_id`");
      c.expects.emplace_back(n, line);
    } else if (type == "test.series") {
      try {
        for (auto& r : expand_series(line)) c.records.emplace_back(n, std::move(r));
      } catch (const std::exception& e) {
        throw std::runtime_error(where(path, n) + ": test.series: " + e.what());
      }
    } else {
      c.records.emplace_back(n, line);
    }
  }
  return cases;
}

RuleTestResult run_rule_test(const RuleTestCase& test, const AttributorFactory& factory) {
  const auto started = std::chrono::steady_clock::now();
  RuleTestResult result;
  result.file = test.file;
  result.name = test.name;
  std::string error;
  engine::AttributorPtr attributor = factory(test.rule_paths, error);
  if (!attributor) {
    result.failures.push_back(where(test.file, test.line) + ": cannot load the rules: " + error);
    return result;
  }
  CollectingSink sink;
  auto log = std::make_shared<spdlog::logger>("ruletest", std::make_shared<spdlog::sinks::null_sink_mt>());
  Pipeline pipeline(engine::EngineConfig{}, sink, log);
  pipeline.engine().set_attributor(std::move(attributor));
  // Records are applied in event-time order, as replay would: inventory first.
  std::vector<std::pair<TimeMs, Event>> events;
  std::vector<Event> decoded;
  for (const auto& [line, record] : test.records) {
    decoded.clear();
    if (!pipeline.decode(record, ingest::Position{test.file, line}, decoded)) {
      result.failures.push_back(where(test.file, line) + ": input record rejected (see the log with CALLROOT_LOG_LEVEL)");
      continue;
    }
    for (Event& e : decoded) events.emplace_back(event_time(e), std::move(e));
  }
  std::stable_sort(events.begin(), events.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [t, e] : events) pipeline.apply(std::move(e));
  pipeline.flush();

  for (const Verdict& v : sink.verdicts) {
    for (const Blame& b : v.blame) {
      for (const Evidence& e : b.evidence) result.fired.insert(e.id);
    }
  }
  for (const auto& [line, text] : test.expects) {
    const json x = json::parse(text);
    const std::string id = x.at("segment_id");
    const std::string at = where(test.file, line) + ": segment " + id + ": ";
    const Verdict* v = nullptr;
    for (const Verdict& candidate : sink.verdicts) {
      if (candidate.segment_id == id) v = &candidate;
    }
    if (v == nullptr) {
      result.failures.push_back(at + "no verdict (is the segment in the case?)");
      continue;
    }
    if (x.contains("quality") && x.at("quality") != std::string(to_string(v->quality))) {
      result.failures.push_back(at + "quality " + std::string(to_string(v->quality)) + ", expected " +
                                x.at("quality").get<std::string>());
    }
    auto describe_top = [&] {
      if (v->blame.empty()) return std::string("nothing");
      return std::string(to_string(v->blame[0].kind)) + (v->blame[0].id.empty() ? "" : " " + v->blame[0].id);
    };
    if (x.contains("blame")) {
      const json& b = x.at("blame");
      const bool kind_ok = !v->blame.empty() && b.value("kind", "") == to_string(v->blame[0].kind);
      const bool id_ok = !b.contains("id") || (!v->blame.empty() && b.at("id") == v->blame[0].id);
      if (!kind_ok || !id_ok) result.failures.push_back(at + "blamed " + describe_top() + ", expected " + b.dump());
    }
    if (x.contains("not_blamed")) {
      const json& b = x.at("not_blamed");
      for (const Blame& blame : v->blame) {
        const bool kind = b.value("kind", "") == to_string(blame.kind);
        const bool same_id = !b.contains("id") || b.at("id") == blame.id;
        if (kind && same_id) {
          result.failures.push_back(at + "blames " + std::string(to_string(blame.kind)) + " " + blame.id +
                                    ", expected not to (" + b.dump() + ")");
        }
      }
    }
    if (x.contains("not_rules")) {
      for (const auto& rule : x.at("not_rules")) {
        for (const Blame& blame : v->blame) {
          for (const Evidence& e : blame.evidence) {
            if (e.id == rule.get<std::string>()) {
              result.failures.push_back(at + "rule " + e.id + " fired (on " + std::string(to_string(blame.kind)) +
                                        (blame.id.empty() ? "" : " " + blame.id) + "), expected it not to");
            }
          }
        }
      }
    }
    if (x.contains("rules")) {
      for (const auto& rule : x.at("rules")) {
        bool fired = false;
        for (const Blame& blame : v->blame) {
          for (const Evidence& e : blame.evidence) fired |= e.id == rule.get<std::string>();
        }
        if (!fired) result.failures.push_back(at + "rule " + rule.get<std::string>() + " did not fire");
      }
    }
  }
  result.passed = result.failures.empty();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

namespace {

void write_junit(const std::string& path, const std::vector<RuleTestResult>& results) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error("cannot write " + path);
  std::size_t failures = 0;
  double seconds = 0;
  for (const auto& r : results) {
    failures += !r.passed;
    seconds += r.seconds;
  }
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites tests=\"" << results.size() << "\" failures=\"" << failures << "\" time=\"" << seconds << "\">\n";
  out << "  <testsuite name=\"callroot rules\" tests=\"" << results.size() << "\" failures=\"" << failures << "\">\n";
  for (const auto& r : results) {
    out << "    <testcase classname=\"" << escape_markup(r.file) << "\" name=\"" << escape_markup(r.name) << "\" time=\""
        << r.seconds << "\"";
    if (r.passed) {
      out << "/>\n";
      continue;
    }
    out << ">\n      <failure message=\"" << escape_markup(r.failures.front()) << "\">";
    for (const auto& f : r.failures) out << escape_markup(f) << "\n";
    out << "</failure>\n    </testcase>\n";
  }
  out << "  </testsuite>\n</testsuites>\n";
}

}  // namespace

int run_rule_tests(const RuleTestOptions& options, const AttributorFactory& factory,
                   std::shared_ptr<spdlog::logger> log) {
  std::optional<std::regex> filter;
  try {
    if (!options.run_regex.empty()) filter.emplace(options.run_regex);
  } catch (const std::regex_error& e) {
    log->error("--run: not a valid regular expression: {}", e.what());
    return 2;
  }
  std::vector<RuleTestResult> results;
  for (const auto& file : options.files) {
    std::vector<RuleTestCase> cases;
    try {
      cases = parse_rule_tests(file);
    } catch (const std::exception& e) {
      log->error("{}", e.what());
      return 2;
    }
    for (const auto& c : cases) {
      if (filter && !std::regex_search(c.name, *filter)) continue;
      results.push_back(run_rule_test(c, factory));
      const auto& r = results.back();
      std::printf("%s  %s (%s)\n", r.passed ? "PASS" : "FAIL", r.name.c_str(), r.file.c_str());
      for (const auto& f : r.failures) std::printf("      %s\n", f.c_str());
    }
  }
  std::size_t passed = 0;
  std::set<std::string> fired;
  for (const auto& r : results) {
    passed += r.passed;
    fired.insert(r.fired.begin(), r.fired.end());
  }
  std::printf("%zu passed, %zu failed\n", passed, results.size() - passed);
  if (!options.all_rule_ids.empty()) {
    std::size_t covered = 0;
    std::vector<std::string> missed;
    for (const auto& id : options.all_rule_ids) {
      if (fired.count(id)) ++covered;
      else missed.push_back(id);
    }
    std::printf("coverage: %zu of %zu rules fired in at least one case (%.0f%%)\n", covered,
                options.all_rule_ids.size(), 100.0 * static_cast<double>(covered) / options.all_rule_ids.size());
    for (const auto& id : missed) std::printf("  never fired: %s\n", id.c_str());
  }
  if (!options.junit_path.empty()) {
    try {
      write_junit(options.junit_path, results);
    } catch (const std::exception& e) {
      log->error("{}", e.what());
      return 2;
    }
  }
  return passed == results.size() ? 0 : 1;
}

}  // namespace callroot::cli
