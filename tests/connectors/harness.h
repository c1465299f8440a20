#pragma once
// What every connector test sets up: a temporary folder, the emulator, a
// secret file, a manual clock (backoff and token lifetimes without waiting),
// a fixed wall time and a logger whose lines the test can read.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <spdlog/sinks/ostream_sink.h>

#include "connectors/graph_poller.h"
#include "graph_emulator.h"
#include "runtime/clock.h"

namespace callroot::connectors::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(std::filesystem::path(::testing::TempDir()) / ("connectors-" + name + "-" + std::to_string(getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::string& path, const std::string& text, mode_t mode = 0600) {
  {
    std::ofstream out(path, std::ios::trunc);
    out << text;
  }
  ::chmod(path.c_str(), mode);
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Documents handed over, in order; fails from the `fail_from`th on (1-based; 0: never).
class CollectingRecordSink final : public RecordSink {
 public:
  std::string deliver(std::string_view type, std::string_view body) override {
    if (fail_from != 0 && received.size() + 1 >= fail_from) return "the test's sink refuses it";
    received.push_back({std::string(type), json::parse(body)});
    return {};
  }
  [[nodiscard]] std::vector<std::string> ids() const {
    std::vector<std::string> out;
    for (const auto& [type, doc] : received) out.push_back(doc["id"].get<std::string>());
    return out;
  }
  std::vector<std::pair<std::string, json>> received;
  std::size_t fail_from = 0;
};

constexpr const char* kSecret = "s3cr3t~Q8.ab-cd_Ef";  // the characters Entra ID's secrets use
constexpr const char* kFixture = "v1.0_callrecord-get_expand-sessions-segments.json";

/// `n`: a record id of the tests, e.g. `id(3)`.
inline std::string id(int n) {
  char text[40];
  std::snprintf(text, sizeof text, "00000000-0000-4000-8000-%012d", n);
  return text;
}
/// Record n starts n minutes after 18:00 on 2020-02-25 and was last modified an hour later.
inline std::string start(int n) {
  char text[40];
  std::snprintf(text, sizeof text, "2020-02-25T18:%02d:00Z", n);
  return text;
}
inline std::string modified(int n) {
  char text[40];
  std::snprintf(text, sizeof text, "2020-02-25T19:%02d:00.1234567Z", n);
  return text;
}
inline EmulatedRecord record(int n, std::int64_t version = 1) {
  return make_record(kFixture, id(n), start(n), modified(n), version);
}

/// A debug-level logger whose lines the test can read.
class CapturedLog {
 public:
  explicit CapturedLog(const std::string& name)
      : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(text_)),
        logger(std::make_shared<spdlog::logger>(name, sink_)) {
    logger->set_level(spdlog::level::debug);
  }
  [[nodiscard]] std::string text() const {
    logger->flush();
    return text_.str();
  }

 private:
  std::ostringstream text_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;

 public:
  std::shared_ptr<spdlog::logger> logger;  // after the sink it writes to
};

class Harness {
 public:
  explicit Harness(const std::string& name, const std::string& cert = {}, const std::string& key = {})
      : dir(name), emulator(kSecret, cert, key), captured_("connect graph"), log(captured_.logger) {
    write_file(dir.file("secret"), std::string(kSecret) + "\n");
    config.tenant = GraphEmulator::kTenant;
    config.client_id = GraphEmulator::kClientId;
    config.secret.file = dir.file("secret");
    config.token_url = emulator.token_url();
    config.graph_url = emulator.base();
    config.cursor_file = dir.file("cursor.json");
    config.backoff.max_attempts = 4;
  }

  std::unique_ptr<GraphConnector> connect(RecordSink& sink) {
    return std::make_unique<GraphConnector>(config, sink, log, clock, [this] { return wall_ms; }, 17);
  }
  [[nodiscard]] std::string log_text() const { return captured_.text(); }
  [[nodiscard]] double seconds_waited() const {
    return std::chrono::duration<double>(clock.now().time_since_epoch()).count();
  }

  TempDir dir;
  GraphEmulator emulator;
  runtime::ManualClock clock;
  TimeMs wall_ms = *parse_rfc3339("2020-02-26T00:00:00Z");
  GraphConfig config;

 private:
  CapturedLog captured_;

 public:
  std::shared_ptr<spdlog::logger> log;
};

}  // namespace callroot::connectors::testing
