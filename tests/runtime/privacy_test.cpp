// Privacy mode end to end (docs/privacy.md), with the real binary: with
// `--key-file`, no raw e-mail address, IP address, MAC or hostname of the
// input appears in any output — verdicts (`--out`), the table on stdout, the
// log at debug level (rejections and decoder warnings included), the
// checkpoint (encrypted, and not in its plaintext either), and the daemon's
// PUB messages and log — while attribution stays what it was without the key.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <spdlog/sinks/null_sink.h>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "child_process.h"
#include "daemon_sockets.h"
#include "demo_files.h"
#include "engine/checkpoint.h"
#include "models/net.h"
#include "runtime/privacy.h"

namespace callroot::runtime::testing {
namespace {

namespace fs = std::filesystem;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// Runs a shell command line; returns its exit code.
int sh(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/// The raw personal values of the input, each in every form it may be
/// written in (lower case: outputs are searched case-insensitively).
class RawValues {
 public:
  void add_json(const nlohmann::json& j, const std::string& key = {}, bool endpoint = false) {
    if (j.is_object()) {
      const bool is_endpoint = j.contains("@odata.type") && j["@odata.type"].is_string() &&
                               j["@odata.type"].get<std::string>().find("participantEndpoint") != std::string::npos;
      for (const auto& [k, v] : j.items()) add_json(v, k, is_endpoint);
    } else if (j.is_array()) {
      for (const auto& v : j) add_json(v, key, endpoint);
    } else if (j.is_string()) {
      const std::string s = j.get<std::string>();
      const bool host_key = key == "hostname" || key == "pc_name" || (endpoint && key == "name");
      add_text(s, host_key);
    }
  }
  void add_text(const std::string& s, bool hostname = false) {
    if (s.empty()) return;
    if (const auto m = Mac::parse(s)) {
      if (m->is_placeholder()) return;  // identifies nobody, kept as it is
      const std::string colon = m->str();
      std::string dash = colon;
      std::replace(dash.begin(), dash.end(), ':', '-');
      values_.insert(colon);
      values_.insert(dash);
      values_.insert(lower(s));
    } else if (IpAddr::parse(s)) {
      values_.insert(lower(s));
    } else if (s.find('@') != std::string::npos || hostname) {
      values_.insert(lower(s));
    }
  }
  void add_file(const std::string& path) {
    for (const auto& j : read_jsonl(path)) add_json(j);
  }
  [[nodiscard]] const std::set<std::string>& values() const { return values_; }

  /// The values found in `text` as whole words (an IP 10.1.1.2 is not found
  /// in 10.1.1.23).
  [[nodiscard]] std::vector<std::string> found_in(const std::string& text) const {
    const std::string t = lower(text);
    std::vector<std::string> hits;
    const auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == ':'; };
    for (const auto& v : values_) {
      for (std::size_t at = t.find(v); at != std::string::npos; at = t.find(v, at + 1)) {
        const bool before = at > 0 && word(t[at - 1]) && word(v.front());
        const bool after = at + v.size() < t.size() && word(t[at + v.size()]) && word(v.back());
        if (!before && !after) {
          hits.push_back(v);
          break;
        }
      }
    }
    return hits;
  }

 private:
  std::set<std::string> values_;
};

/// Blame kinds of the verdicts of a JSON Lines file: kind of the first blame -> count.
std::map<std::string, int> blamed_kinds(const std::string& path) {
  std::map<std::string, int> kinds;
  for (const auto& j : read_jsonl(path)) {
    if (j.at("type") != "verdict") continue;
    const auto& blame = j.at("blame");
    ++kinds[blame.empty() ? "none" : blame.at(0).at("kind").get<std::string>()];
  }
  return kinds;
}

/// A cloud document as a JSON Lines envelope.
std::string envelope(const std::string& type, const std::string& path) {
  nlohmann::json e{{"type", type}, {"body", nlohmann::json::parse(slurp(path))}};
  if (type == "zoom.qos") e["meeting_id"] = 85746065432;  // for a page that does not name its meeting
  if (type == "graph.teamworkDeviceHealth") e["device"] = "teams-room-1";  // the health document names no device
  return e.dump();
}

/// The record type of a fixture of tests/data/graph or tests/data/zoom.
std::string fixture_type(const std::string& dir, const std::string& name) {
  if (dir == "zoom") return "zoom.qos";
  if (name.starts_with("beta_teamworkdevicehealth")) return "graph.teamworkDeviceHealth";
  if (name.starts_with("beta_teamworkdevice")) return "graph.teamworkDevice";
  return "graph.callRecord";
}

class PrivacyEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path d = dir_.path();
    key_ = (d / "org.key").string();
    ASSERT_EQ(sh(std::string(CALLROOT_BINARY) + " privacy keygen --out " + key_ + " 2>/dev/null"), 0);

    inputs_ = demo_inputs();
    for (const auto& f : inputs_) raw_.add_file(f);
    // The Graph and Zoom fixtures (not their expected .segments.json), as envelopes.
    const std::string data = CALLROOT_TEST_DATA_DIR;
    std::ofstream cloud(d / "cloud.jsonl");
    for (const char* dir : {"graph", "zoom"}) {
      for (const auto& e : fs::directory_iterator(data + "/" + dir)) {
        const std::string name = e.path().filename().string();
        if (e.path().extension() != ".json" || name.find(".segments.") != std::string::npos) continue;
        raw_.add_json(nlohmann::json::parse(slurp(e.path().string())));
        cloud << envelope(fixture_type(dir, name), e.path().string()) << "\n";
      }
    }
    // Records that are rejected, or decode with warnings, quoting raw values.
    cloud << R"({"type":"wifi.client","ts":"2026-03-02T09:00:00Z","client":"leaky.person@contoso.example"})" << "\n"
          << R"({"type":"client.info","client":"f0:18:98:42:85:d2","ip":"10.77.1.300"})" << "\n"
          << R"({"type":"client.info","client":"leaky-host-77","user":"x"})" << "\n"
          << R"({"type":"zoom.qos","body":{"meeting_uuid":"m-1","participants":[{"id":"p1",)"
          << R"("email":"warned.person@contoso.example","mac_addr":"warned.person@contoso.example",)"
          << R"("ip_address":"198.51.100.77","user_qos":[{"date_time":"2026-03-02T09:00:00Z",)"
          << R"("audio_input":{"bitrate":"not 5 kbps 198.51.100.78","latency":"126 ms"}}]}]}})" << "\n";
    cloud.close();
    // Every fixture must decode: checked below by the summary's rejection count.
    raw_.add_text("leaky.person@contoso.example");
    raw_.add_text("10.77.1.300");
    raw_.add_text("leaky-host-77", true);
    raw_.add_text("warned.person@contoso.example");
    raw_.add_text("198.51.100.78");
    inputs_.push_back((d / "cloud.jsonl").string());
    inputs_.push_back(data + "/captures/SIP_CALL_RTP_G711.pcap");  // RTP: call ids from ip:port
  }

  std::string replay(const std::string& extra, const std::string& stdout_file, const std::string& stderr_file) {
    std::string cmd = "CALLROOT_LOG_LEVEL=debug " + std::string(CALLROOT_BINARY) + " replay --no-progress";
    for (const auto& f : inputs_) cmd += " " + f;
    cmd += " " + extra + " >" + stdout_file + " 2>" + stderr_file;
    EXPECT_EQ(sh(cmd), 0) << cmd << "\n" << slurp(stderr_file);
    return cmd;
  }

  void expect_clean(const std::string& what, const std::string& text) {
    const auto hits = raw_.found_in(text);
    EXPECT_THAT(hits, ::testing::IsEmpty()) << what << " shows raw values";
  }

  TempDir dir_{"privacy-e2e"};
  std::string key_;
  std::vector<std::string> inputs_;
  RawValues raw_;
};

TEST_F(PrivacyEndToEnd, NoRawValueInAnyReplayOutputAndTheSameBlame) {
  const fs::path d = dir_.path();
  const auto p = [&](const char* name) { return (d / name).string(); };

  // Without the key: the reference, and proof that the search finds leaks.
  replay("--out " + p("plain.jsonl") + " --checkpoint-out " + p("plain.ckpt"), p("plain.out"), p("plain.err"));
  // The RTP call ids name the capture's addresses: collect those too.
  const std::regex ipv4(R"((\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}):\d+)");
  const std::string plain = slurp(p("plain.jsonl"));
  std::size_t rtp_ips = 0;
  for (auto it = std::sregex_iterator(plain.begin(), plain.end(), ipv4); it != std::sregex_iterator(); ++it) {
    raw_.add_text((*it)[1].str());
    ++rtp_ips;
  }
  EXPECT_GT(rtp_ips, 0u) << "the capture gave no RTP segment";
  EXPECT_GT(raw_.values().size(), 250u);
  EXPECT_GT(raw_.found_in(plain).size(), 50u);
  EXPECT_THAT(raw_.found_in(slurp(p("plain.err"))), ::testing::Contains("leaky.person@contoso.example"));
  EXPECT_THAT(raw_.found_in(slurp(p("plain.err"))), ::testing::Contains("198.51.100.78"));  // a debug warning
  EXPECT_GT(raw_.found_in(slurp(p("plain.ckpt"))).size(), 5u);

  // With the key: JSON Lines and checkpoint, then the table on stdout.
  replay("--key-file " + key_ + " --out " + p("priv.jsonl") + " --checkpoint-out " + p("priv.ckpt"), p("priv.out"),
         p("priv.err"));
  replay("--key-file " + key_ + " --format table", p("table.out"), p("table.err"));
  for (const char* f : {"priv.jsonl", "priv.out", "priv.err", "priv.ckpt", "table.out", "table.err"}) {
    expect_clean(f, slurp(p(f)));
  }
  // The log still says what was wrong, without the value.
  EXPECT_THAT(slurp(p("priv.err")), ::testing::HasSubstr(R"(bad_mac: field `client`: "<redacted>" is not a MAC address)"));
  EXPECT_THAT(slurp(p("table.out")), ::testing::HasSubstr("rtp-"));

  // The checkpoint's plaintext holds pseudonyms only.
  auto log = std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
  const auto privacy = load_privacy(key_, *log);
  std::string state;
  for (const auto& s : engine::read_checkpoint(p("priv.ckpt"), &privacy->cipher)) state += s.name + s.payload;
  EXPECT_GT(state.size(), 1000u);
  expect_clean("the decrypted checkpoint", state);
  EXPECT_THAT(state, ::testing::HasSubstr(privacy->pseudonymizer.user("kate.novak@contoso.example")));

  // Privacy does not change attribution: the same blame, kind by kind, and the same summary.
  const auto plain_kinds = blamed_kinds(p("plain.jsonl"));
  EXPECT_EQ(blamed_kinds(p("priv.jsonl")), plain_kinds);
  EXPECT_GE(plain_kinds.size(), 5u);
  const auto summary = [&](const std::string& err) {
    const std::string text = slurp(err);
    const auto at = text.find("records: ");
    return at == std::string::npos ? std::string() : text.substr(at, text.find("capture ", at) - at);
  };
  EXPECT_EQ(summary(p("priv.err")), summary(p("plain.err")));
  EXPECT_THAT(summary(p("priv.err")), ::testing::HasSubstr("blamed: client"));
  // Only the three planted bad records are rejected: every fixture was read.
  EXPECT_THAT(summary(p("priv.err")), ::testing::HasSubstr("3 rejected (bad_mac 2, bad_ip 1)"));

  // A plain checkpoint is read with the key (migration); an encrypted one not without it.
  replay("--key-file " + key_ + " --checkpoint-in " + p("plain.ckpt") + " --out " + p("migrated.jsonl"),
         p("migrated.out"), p("migrated.err"));
  const std::string nokey = "CALLROOT_LOG_LEVEL=debug " + std::string(CALLROOT_BINARY) + " replay " + inputs_[0] +
                            " --checkpoint-in " + p("priv.ckpt") + " --out " + p("x.jsonl") + " 2>" + p("nokey.err");
  EXPECT_EQ(sh(nokey), 2);
  EXPECT_THAT(slurp(p("nokey.err")), ::testing::HasSubstr("but no key is configured (--key-file)"));
}

TEST_F(PrivacyEndToEnd, KeyFilesAndThePseudonymCommand) {
  const fs::path d = dir_.path();
  EXPECT_EQ(fs::status(key_).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  // Never overwritten.
  EXPECT_EQ(sh(std::string(CALLROOT_BINARY) + " privacy keygen --out " + key_ + " 2>/dev/null"), 2);
  // A wrong key file: exit 2, the file named.
  std::ofstream((d / "bad.key").string()) << "not a key\n";
  const std::string bad = std::string(CALLROOT_BINARY) + " replay " + inputs_[0] + " --key-file " +
                          (d / "bad.key").string() + " --out " + (d / "x.jsonl").string() + " 2>" +
                          (d / "bad.err").string();
  EXPECT_EQ(sh(bad), 2);
  EXPECT_THAT(slurp((d / "bad.err").string()), ::testing::HasSubstr("key file " + (d / "bad.key").string() + ": not a key"));

  // The pseudonym command agrees with what replay writes.
  const std::string out = (d / "pseudonyms.txt").string();
  ASSERT_EQ(sh(std::string(CALLROOT_BINARY) + " privacy pseudonym --key-file " + key_ +
               " F0-18-98-42-85-D2 Kate.Novak@contoso.example HQ-LT-4152 10.1.16.25 >" + out),
            0);
  auto log = std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
  const auto privacy = load_privacy(key_, *log);
  const Pseudonymizer& ps = privacy->pseudonymizer;
  const std::string text = slurp(out);
  EXPECT_THAT(text, ::testing::HasSubstr("F0-18-98-42-85-D2\tmac\t" + ps.mac(*Mac::parse("f0:18:98:42:85:d2")).str()));
  EXPECT_THAT(text, ::testing::HasSubstr("Kate.Novak@contoso.example\tuser\t" + ps.user("kate.novak@contoso.example")));
  EXPECT_THAT(text, ::testing::HasSubstr("HQ-LT-4152\thostname\t" + ps.hostname("hq-lt-4152")));
  EXPECT_THAT(text, ::testing::HasSubstr("10.1.16.25\tip\t" + ps.ip(*IpAddr::parse("10.1.16.25"))));
}

TEST_F(PrivacyEndToEnd, TheDaemonPublishesAndLogsNoRawValue) {
  const fs::path d = dir_.path();
  const std::string pull = "ipc://" + (d / "pull").string(), pub = "ipc://" + (d / "pub").string();
  const std::string log_file = (d / "daemon.log").string(), ckpt = (d / "daemon.ckpt").string();
  ::setenv("CALLROOT_LOG_LEVEL", "debug", 1);
  ChildProcess daemon({CALLROOT_BINARY, "run", "--pull", pull, "--sub", "ipc://" + (d / "sub").string(), "--pub", pub,
                       "--key-file", key_, "--checkpoint", ckpt},
                      log_file);
  ::unsetenv("CALLROOT_LOG_LEVEL");
  zmq::context_t ctx(1);
  zmq::socket_t sub = subscriber(ctx, pub, "");
  zmq::socket_t push = pusher(ctx, pull);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  ASSERT_TRUE(push.send(zmq::str_buffer("wifi.client"), zmq::send_flags::sndmore));
  ASSERT_TRUE(push.send(zmq::str_buffer(R"({"ts":"2026-03-02T09:00:00Z","client":"leaky.person@contoso.example"})"),
                        zmq::send_flags::none));
  std::size_t segments = 0;
  for (const auto& [type, body] : demo_records_in_time_order()) {
    segments += type == "call.segment" ? 1 : 0;
    ASSERT_TRUE(push.send(zmq::buffer(type), zmq::send_flags::sndmore)) << slurp(log_file);
    ASSERT_TRUE(push.send(zmq::buffer(body), zmq::send_flags::none)) << slurp(log_file);
  }
  std::string published;
  std::size_t verdicts = 0, incidents = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (verdicts < segments && std::chrono::steady_clock::now() < deadline) {
    zmq::message_t type, body;
    if (!sub.recv(type)) continue;
    ASSERT_TRUE(sub.recv(body));
    verdicts += type.to_string() == "verdict" ? 1 : 0;
    incidents += type.to_string() == "incident" ? 1 : 0;
    published += type.to_string() + " " + body.to_string() + "\n";
  }
  const int status = daemon.terminate(std::chrono::seconds(10));
  ASSERT_NE(status, -1);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(verdicts, segments);
  EXPECT_GT(incidents, 0u);
  expect_clean("the PUB messages", published);
  const std::string log_text = slurp(log_file);
  expect_clean("the daemon's log", log_text);
  EXPECT_THAT(log_text, ::testing::HasSubstr("privacy mode"));
  EXPECT_THAT(log_text, ::testing::HasSubstr(R"("<redacted>" is not a MAC address)"));
  expect_clean("the daemon's checkpoint", slurp(ckpt));
  EXPECT_EQ(slurp(ckpt).substr(0, engine::kSealedCheckpointMagic.size()), engine::kSealedCheckpointMagic);
}

}  // namespace
}  // namespace callroot::runtime::testing
