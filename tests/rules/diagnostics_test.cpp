// Every diagnostic code with a broken rule file: the exact position, the
// source line and the caret, as `callroot rules check` prints them.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "rules/loader.h"

namespace callroot::rules {
namespace {

/// The rendered diagnostics of `code` for one file named t.rules.
std::string diags_of(std::string_view code, const std::string& text) {
  const std::vector<std::pair<std::string, std::string>> src{{"t.rules", text}};
  const LoadResult r = load_rules_from_text(src);
  std::string out;
  for (const Diagnostic& d : r.diagnostics) {
    if (code_name(d.code) == code) out += render_text(d);
  }
  return out;
}

/// "line:col CODE" of every error.
std::vector<std::string> positions(const std::string& text) {
  const std::vector<std::pair<std::string, std::string>> src{{"t.rules", text}};
  const LoadResult r = load_rules_from_text(src);
  std::vector<std::string> out;
  for (const Diagnostic& d : r.diagnostics) {
    if (d.severity() != DiagnosticSeverity::kError) continue;
    out.push_back(std::to_string(d.range.line) + ":" + std::to_string(d.range.column) + " " + std::string(code_name(d.code)));
  }
  return out;
}

// A complete, clean rule to embed broken parts in.
const std::string kHeader = R"(param rssi_floor = -72dBm
)";

TEST(Diagnostics, CodesAreListedOnce) {
  EXPECT_EQ(code_name(DiagnosticCode::E001), "E001");
  EXPECT_EQ(code_name(DiagnosticCode::E022), "E022");
  EXPECT_EQ(code_title(DiagnosticCode::E002), "unknown field");
  EXPECT_EQ(code_severity(DiagnosticCode::W004), DiagnosticSeverity::kWarning);
  EXPECT_EQ(code_severity(DiagnosticCode::E016), DiagnosticSeverity::kError);
}

TEST(Diagnostics, CleanFileHasNoDiagnostics) {
  const std::string text = R"(param rssi_floor = -72dBm
param retry_ceiling = 20%
macro weak_signal = client.wifi.rssi_dbm.avg < rssi_floor
rule client.weak_wifi {
  revision: 1
  description: "Weak Wi-Fi signal with heavy retransmission at the client"
  scope: media in [audio, video] and endpoint.connection == wifi
  when: weak_signal and client.wifi.tx_retry_pct.avg > retry_ceiling
  blame: client
  weight: 2.5
  severity: major
  explain: "RSSI {client.wifi.rssi_dbm.avg} below {rssi_floor} with {client.wifi.tx_retry_pct.avg} retries"
  source: "Cisco Voice over WLAN Design Guide"
}
site "branch" {
  rssi_floor = -75dBm
  disable client.weak_wifi
}
)";
  EXPECT_TRUE(positions(text).empty());
}

TEST(Diagnostics, E001ExpectedFound) {
  EXPECT_EQ(diags_of("E001", "rule a.b {\n  when: client.wifi.rssi_dbm.avg <\n  blame: client\n}\n"),
            "t.rules:3:3: error[E001]: expected an expression, found `blame`\n"
            "    3 |   blame: client\n"
            "      |   ^~~~~\n"
            "      = hint: the expression before `blame:` is incomplete\n");
  EXPECT_EQ(diags_of("E001", "rule a.b {\n  when = true\n}\n"),
            "t.rules:2:8: error[E001]: expected `:`, found `=`\n"
            "    2 |   when = true\n"
            "      |        ^\n");
  EXPECT_EQ(diags_of("E001", "rules a {}\n"),
            "t.rules:1:1: error[E001]: expected a statement (`rule`, `macro`, `param`, `list` or `site`), found `rules`\n"
            "    1 | rules a {}\n"
            "      | ^~~~~\n");
}

TEST(Diagnostics, E002UnknownFieldAsInTheSpec) {
  // The example of docs/rules.md §9, on line 12.
  std::string text = "# wifi\n\n\n\n\n\n\n\n\nrule a {\n  blame: client\n  when: client.wifi.rssi.avg < -72dBm\n}\n";
  EXPECT_EQ(diags_of("E002", text),
            "t.rules:12:9: error[E002]: unknown field `client.wifi.rssi.avg`\n"
            "   12 |   when: client.wifi.rssi.avg < -72dBm\n"
            "      |         ^~~~~~~~~~~~~~~~~~~~\n"
            "      = hint: did you mean `client.wifi.rssi_dbm.avg`?\n");
}

TEST(Diagnostics, E003UnknownFunction) {
  EXPECT_EQ(diags_of("E003", "rule a {\n  blame: client\n  when: maxx(sent.rtt_avg_ms, 1ms) > 3ms\n}\n"),
            "t.rules:3:9: error[E003]: unknown function `maxx`\n"
            "    3 |   when: maxx(sent.rtt_avg_ms, 1ms) > 3ms\n"
            "      |         ^~~~\n"
            "      = hint: did you mean `max`?\n");
}

TEST(Diagnostics, E004Arguments) {
  EXPECT_EQ(diags_of("E004", "rule a {\n  blame: client\n  when: abs(sent.rtt_avg_ms, 1ms) > 3ms\n}\n"),
            "t.rules:3:9: error[E004]: `abs` takes 1 argument, found 2\n"
            "    3 |   when: abs(sent.rtt_avg_ms, 1ms) > 3ms\n"
            "      |         ^~~~~~~~~~~~~~~~~~~~~~~~~\n"
            "      = hint: write `abs(x)`\n");
  EXPECT_EQ(diags_of("E004", "rule a {\n  blame: client\n  when: for(client.wifi.rssi_dbm < -75dBm, 5)\n}\n"),
            "t.rules:3:44: error[E004]: the second argument of `for` must be a constant duration\n"
            "    3 |   when: for(client.wifi.rssi_dbm < -75dBm, 5)\n"
            "      |                                            ^\n"
            "      = hint: write a duration such as `2min` or `30s`, or a param holding one\n");
}

TEST(Diagnostics, E005Units) {
  EXPECT_EQ(diags_of("E005", "rule a {\n  blame: client\n  when: sent.jitter_avg_ms > 30\n}\n"),
            "t.rules:3:30: error[E005]: units do not match: ms > plain number\n"
            "    3 |   when: sent.jitter_avg_ms > 30\n"
            "      |                              ^~\n"
            "      = hint: write `30ms`\n");
  EXPECT_EQ(diags_of("E005", "rule a {\n  blame: client\n  when: sent.loss_avg_pct > 0.01\n}\n"),
            "t.rules:3:29: error[E005]: units do not match: % > plain number\n"
            "    3 |   when: sent.loss_avg_pct > 0.01\n"
            "      |                             ^~~~\n"
            "      = hint: write `1%`\n");
}

TEST(Diagnostics, E006Types) {
  EXPECT_EQ(diags_of("E006", "rule a {\n  blame: client\n  when: endpoint.connection == 3\n}\n"),
            "t.rules:3:9: error[E006]: cannot compare enum (connection) with plain number\n"
            "    3 |   when: endpoint.connection == 3\n"
            "      |         ^~~~~~~~~~~~~~~~~~~~~~~~\n"
            "      = hint: compare an enum field with one of its values\n");
}

TEST(Diagnostics, E007UndefinedName) {
  EXPECT_EQ(diags_of("E007", kHeader + "rule a {\n  blame: client\n  when: client.wifi.rssi_dbm.avg < rssi_flor\n}\n"),
            "t.rules:4:36: error[E007]: undefined name `rssi_flor`\n"
            "    4 |   when: client.wifi.rssi_dbm.avg < rssi_flor\n"
            "      |                                    ^~~~~~~~~\n"
            "      = hint: did you mean `rssi_floor`?\n");
}

TEST(Diagnostics, E008MacroCycle) {
  EXPECT_EQ(diags_of("E008", "macro a = b and true\nmacro b = not a\nrule r {\n  blame: client\n  when: a\n}\n"),
            "t.rules:2:15: error[E008]: macro cycle: a -> b -> a\n"
            "    2 | macro b = not a\n"
            "      |               ^\n"
            "      = hint: a macro cannot use itself, directly or through other macros\n");
}

TEST(Diagnostics, E009DuplicateRuleAcrossFiles) {
  const std::vector<std::pair<std::string, std::string>> src{
      {"a.rules", "rule x.y {\n  blame: client\n  when: sent.poor\n}\n"},
      {"b.rules", "# second\nrule x.y {\n  blame: ap\n  when: sent.poor\n}\n"}};
  const LoadResult r = load_rules_from_text(src);
  std::string out;
  for (const Diagnostic& d : r.diagnostics) {
    if (d.code == DiagnosticCode::E009) out += render_text(d);
  }
  EXPECT_EQ(out,
            "b.rules:2:6: error[E009]: duplicate rule id `x.y`\n"
            "    2 | rule x.y {\n"
            "      |      ^~~\n"
            "      = hint: first defined at a.rules:1; rule ids are unique across all files\n");
  EXPECT_EQ(r.program, nullptr);
}

TEST(Diagnostics, E010DuplicateDefinition) {
  EXPECT_EQ(diags_of("E010", "param x = 1ms\nmacro x = true\n"),
            "t.rules:2:7: error[E010]: duplicate definition of macro `x`\n"
            "    2 | macro x = true\n"
            "      |       ^\n"
            "      = hint: first defined at t.rules:1; params, macros and lists share one namespace\n");
  EXPECT_EQ(diags_of("E010", "rule a {\n  blame: client\n  when: sent.poor\n  when: received.poor\n}\n"),
            "t.rules:4:3: error[E010]: property `when` given twice in rule `a`\n"
            "    4 |   when: received.poor\n"
            "      |   ^~~~\n"
            "      = hint: the first is at line 3; keep one\n");
}

TEST(Diagnostics, E011MissingProperty) {
  EXPECT_EQ(diags_of("E011", "rule client.x {\n  when: sent.poor\n}\n"),
            "t.rules:1:6: error[E011]: rule `client.x` has no `blame`\n"
            "    1 | rule client.x {\n"
            "      |      ^~~~~~~~\n"
            "      = hint: every rule needs `when: CONDITION` and `blame: client|ap|switch|wan|remote`\n");
}

TEST(Diagnostics, E012BadPropertyValue) {
  EXPECT_EQ(diags_of("E012", "rule a {\n  blame: client\n  when: sent.poor\n  weight: 0\n}\n"),
            "t.rules:4:11: error[E012]: weight must be a positive plain number\n"
            "    4 |   weight: 0\n"
            "      |           ^\n"
            "      = hint: a weight is log-odds added to the candidate, e.g. `weight: 2.5`\n");
  EXPECT_EQ(diags_of("E012", "rule a {\n  blame: acces_point\n  when: sent.poor\n}\n"),
            "t.rules:2:10: error[E012]: unknown blame target `acces_point`\n"
            "    2 |   blame: acces_point\n"
            "      |          ^~~~~~~~~~~\n"
            "      = hint: targets are client, ap, switch, wan, remote\n");
}

TEST(Diagnostics, E013UnknownEnumValue) {
  EXPECT_EQ(diags_of("E013", "rule a {\n  blame: client\n  when: endpoint.connection == wfi\n}\n"),
            "t.rules:3:32: error[E013]: unknown connection value `wfi`\n"
            "    3 |   when: endpoint.connection == wfi\n"
            "      |                                ^~~\n"
            "      = hint: did you mean `wifi`? values are wifi, wired, mobile, tunnel, unknown\n");
}

TEST(Diagnostics, E014Aggregate) {
  EXPECT_EQ(diags_of("E014", "rule a {\n  blame: client\n  when: client.wifi.snr_db < 20dB\n}\n"),
            "t.rules:3:9: error[E014]: column `client.wifi.snr_db` needs an aggregate\n"
            "    3 |   when: client.wifi.snr_db < 20dB\n"
            "      |         ^~~~~~~~~~~~~~~~~~\n"
            "      = hint: write `client.wifi.snr_db.avg` (or .min, .max, .p50, .p95, .last, .count, .rate)\n");
  EXPECT_EQ(diags_of("E014", "rule a {\n  blame: client\n  when: fraction(client.wifi.snr_db.avg < 20dB) > 50%\n}\n"),
            "t.rules:3:18: error[E014]: column `client.wifi.snr_db` has an aggregate inside `fraction`/`for`\n"
            "    3 |   when: fraction(client.wifi.snr_db.avg < 20dB) > 50%\n"
            "      |                  ^~~~~~~~~~~~~~~~~~~~~~\n"
            "      = hint: these functions look at every sample: write `client.wifi.snr_db`\n");
}

TEST(Diagnostics, E015FieldOfAnotherTarget) {
  EXPECT_EQ(diags_of("E015", "macro hot = switch.port.in_util_pct.avg > 90%\nrule a {\n  blame: client\n  when: hot\n}\n"),
            "t.rules:1:13: error[E015]: a `switch.*` field in rule `a`, which does not blame `switch`\n"
            "    1 | macro hot = switch.port.in_util_pct.avg > 90%\n"
            "      |             ^~~~~~~~~~~~~~~~~~~~~~~~~~~\n"
            "      = hint: `switch.*` fields name the candidate port: use them in rules with `blame: switch`\n");
  EXPECT_EQ(diags_of("E015", "rule a {\n  blame: client\n  when: media == audio\n}\n"),
            "t.rules:3:9: error[E015]: `media` and `direction` can only be used in `scope`\n"
            "    3 |   when: media == audio\n"
            "      |         ^~~~~\n"
            "      = hint: move this test to the rule's `scope`\n");
}

TEST(Diagnostics, E016TooDeepAndTooLong) {
  std::string deep = "rule a {\n  blame: client\n  when: " + std::string(70, '(') + "true" + std::string(70, ')') + "\n}\n";
  // The 64th `(` opens level 65 (the expression itself is level 1).
  EXPECT_EQ(diags_of("E016", deep),
            "t.rules:3:73: error[E016]: expression nested deeper than 64 levels\n"
            "    3 |   when: " + std::string(70, '(') + "true" + std::string(70, ')') + "\n"
            "      |                                                                         ^\n"
            "      = hint: split it into macros\n");
  std::string sum = "sent.rtt_avg_ms";
  for (int i = 0; i < 2100; ++i) sum += " + 1ms";
  const std::vector<std::string> p = positions("rule a {\n  blame: client\n  when: " + sum + " > 1ms\n}\n");
  ASSERT_FALSE(p.empty());
  EXPECT_EQ(p[0].substr(0, 2), "3:");
  EXPECT_EQ(p[0].substr(p[0].size() - 4), "E016");
}

TEST(Diagnostics, E017E018E019SiteBlocks) {
  const std::string text = kHeader +
                           "rule a {\n  blame: client\n  when: client.wifi.rssi_dbm.avg < rssi_floor\n}\n"
                           "site \"hq\" {\n  disable b\n  rssi_flor = -70dBm\n  rssi_floor = -70\n}\n";
  EXPECT_EQ(diags_of("E017", text),
            "t.rules:7:11: error[E017]: site `hq` names an unknown rule `b`\n"
            "    7 |   disable b\n"
            "      |           ^\n"
            "      = hint: did you mean `a`?\n");
  EXPECT_EQ(diags_of("E018", text),
            "t.rules:8:3: error[E018]: site `hq` overrides an unknown param `rssi_flor`\n"
            "    8 |   rssi_flor = -70dBm\n"
            "      |   ^~~~~~~~~\n"
            "      = hint: did you mean `rssi_floor`?\n");
  EXPECT_EQ(diags_of("E019", text),
            "t.rules:9:16: error[E019]: param `rssi_floor` is of type number in dBm, the override is of type plain number\n"
            "    9 |   rssi_floor = -70\n"
            "      |                ^~~\n"
            "      = hint: write `-70dBm`\n");
}

TEST(Diagnostics, E020BadTokens) {
  EXPECT_EQ(diags_of("E020", "rule a {\n  blame: client\n  when: sent.rtt_avg_ms > 30sec\n}\n"),
            "t.rules:3:27: error[E020]: number with an unknown unit `sec`\n"
            "    3 |   when: sent.rtt_avg_ms > 30sec\n"
            "      |                           ^~~~~\n"
            "      = hint: units are ms, s, min, %, dBm, dB, Mbps, kbps, GHz, /s, fps; units are case-sensitive\n");
  EXPECT_EQ(diags_of("E020", "rule a {\n  description: \"open\n  blame: client\n}\n"),
            "t.rules:2:16: error[E020]: unterminated string\n"
            "    2 |   description: \"open\n"
            "      |                ^~~~~\n"
            "      = hint: close the string with `\"` on the same line\n");
  EXPECT_EQ(diags_of("E020", "rule a {\n  blame: client\n  when: sent.poor && received.poor\n}\n"),
            "t.rules:3:19: error[E020]: stray character `&`\n"
            "    3 |   when: sent.poor && received.poor\n"
            "      |                   ^\n"
            "      = hint: remove it; comments start with `#`\n"
            "t.rules:3:20: error[E020]: stray character `&`\n"
            "    3 |   when: sent.poor && received.poor\n"
            "      |                    ^\n"
            "      = hint: remove it; comments start with `#`\n");
}

TEST(Diagnostics, E021NotBoolean) {
  EXPECT_EQ(diags_of("E021", "rule a {\n  blame: client\n  when: client.wifi.rssi_dbm.avg\n}\n"),
            "t.rules:3:9: error[E021]: the `when` of rule `a` is not a condition but a value of type number in dBm\n"
            "    3 |   when: client.wifi.rssi_dbm.avg\n"
            "      |         ^~~~~~~~~~~~~~~~~~~~~~~~\n"
            "      = hint: compare it: `... > 10`\n");
}

TEST(Diagnostics, E022CannotRead) {
  const std::vector<std::string> paths{"/nonexistent/x.rules"};
  const LoadResult r = load_rules(paths);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(render_text(r.diagnostics[0]),
            "/nonexistent/x.rules: error[E022]: cannot read /nonexistent/x.rules: no such file or directory\n"
            "      = hint: give a readable .rules file or a folder of them\n");
  EXPECT_TRUE(r.has_errors());
}

TEST(Diagnostics, E023NotUtf8AtItsLineAndColumn) {
  EXPECT_EQ(diags_of("E023", "rule a {\n  description: \"caf\xE9\"\n}\n"),
            "t.rules:2:20: error[E023]: byte 0xE9 does not start or continue a UTF-8 character\n"
            "    2 |   description: \"caf?\"\n"
            "      |                    ^\n"
            "      = hint: save the file as UTF-8\n");
}

TEST(Diagnostics, TextFromTheFileCannotWriteToTheTerminal) {
  // An escape sequence and a carriage return in a stray-character message and
  // in the quoted line are shown as `?`; JSON output replaces bad bytes.
  const std::vector<std::pair<std::string, std::string>> src{{"t\xFF.rules", "rule a {\x1b[2J\r}\n"}};
  const LoadResult r = load_rules_from_text(src);
  ASSERT_FALSE(r.diagnostics.empty());
  for (const Diagnostic& d : r.diagnostics) {
    const std::string text = render_text(d);
    EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
    EXPECT_EQ(text.find('\r'), std::string::npos) << text;
    EXPECT_NO_THROW(render_json(d));
  }
}

/// A folder for one test under the test temp dir, emptied first.
std::filesystem::path scratch(const std::string& name) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string first_message(const LoadResult& r) { return r.diagnostics.empty() ? "" : r.diagnostics[0].message; }

TEST(Diagnostics, E022OnlyRegularFilesAreRead) {
  const auto dir = scratch("rules-not-regular");
  // A FIFO would block a reader for ever; /dev/zero would never end.
  ASSERT_EQ(::mkfifo((dir / "fifo.rules").c_str(), 0600), 0);
  std::filesystem::create_symlink("/dev/zero", dir / "zero.rules");
  std::ofstream(dir / "good.rules") << "rule a {\n  blame: client\n  when: sent.poor\n}\n";
  const std::vector<std::string> paths{dir.string()};
  const LoadResult r = load_rules(paths);
  std::vector<std::string> messages;
  for (const Diagnostic& d : r.diagnostics) {
    if (d.code == DiagnosticCode::E022) messages.push_back(d.message);
  }
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0], "cannot read " + (dir / "fifo.rules").string() + ": a FIFO, not a regular file");
  EXPECT_EQ(messages[1], "cannot read " + (dir / "zero.rules").string() + ": a character device, not a regular file");
  EXPECT_TRUE(r.has_errors());
  std::filesystem::remove_all(dir);
}

TEST(Diagnostics, E022RuleFileOverTheSizeLimit) {
  const auto dir = scratch("rules-too-big");
  const auto big = dir / "big.rules";
  {
    std::ofstream out(big);
    out << std::string(kMaxRuleFileBytes, '#') << "\n";
  }
  const std::vector<std::string> paths{big.string()};
  const LoadResult r = load_rules(paths);
  EXPECT_EQ(first_message(r), "cannot read " + big.string() + ": larger than the limit of 4 MiB for a rule file");
  EXPECT_TRUE(r.has_errors());
  std::filesystem::remove_all(dir);
}

TEST(Diagnostics, Warnings) {
  const std::string text =
      "macro unused_m = sent.poor\nparam unused_p = 3ms\nlist unused_l = [audio]\n"
      "rule a {\n  blame: client\n  when: 2ms > 1ms\n}\n";
  EXPECT_EQ(diags_of("W001", text),
            "t.rules:1:7: warning[W001]: macro `unused_m` is never used\n"
            "    1 | macro unused_m = sent.poor\n"
            "      |       ^~~~~~~~\n"
            "      = hint: remove it, or use it in a rule\n");
  EXPECT_EQ(diags_of("W002", text),
            "t.rules:2:7: warning[W002]: param `unused_p` is never used\n"
            "    2 | param unused_p = 3ms\n"
            "      |       ^~~~~~~~\n"
            "      = hint: remove it, or use it in a rule\n"
            "t.rules:3:6: warning[W002]: list `unused_l` is never used\n"
            "    3 | list unused_l = [audio]\n"
            "      |      ^~~~~~~~\n"
            "      = hint: remove it, or use it after `in`\n");
  EXPECT_EQ(diags_of("W003", text),
            "t.rules:4:6: warning[W003]: rule `a` has no scope: it applies to every poor segment\n"
            "    4 | rule a {\n"
            "      |      ^\n"
            "      = hint: add e.g. `scope: media in [audio, video]`\n");
  EXPECT_EQ(diags_of("W004", text),
            "t.rules:6:9: warning[W004]: the `when` of rule `a` is always true\n"
            "    6 |   when: 2ms > 1ms\n"
            "      |         ^~~~~~~~~\n"
            "      = hint: it reads no field; compare a field with the value\n");
  EXPECT_EQ(diags_of("W005", text),
            "t.rules:4:6: warning[W005]: rule `a` has no description or source\n"
            "    4 | rule a {\n"
            "      |      ^\n"
            "      = hint: say what the rule detects (`description`) and where its threshold comes from (`source`)\n");
  // Warnings do not stop compilation.
  const std::vector<std::pair<std::string, std::string>> src{{"t.rules", text}};
  const LoadResult r = load_rules_from_text(src);
  EXPECT_FALSE(r.has_errors());
  EXPECT_NE(r.program, nullptr);
}

TEST(Diagnostics, SeveralErrorsAreAllReported) {
  const std::string text = R"(param floor = -72dBm
rule a {
  blame: client
  when: client.wifi.rssi.avg < floor and
}
rule b {
  blame: clinet
  when: sent.jitter_avg_ms > 30
  weight: -2
}
macro m = endpoint.connection == wlan
rule c {
  when: m @ sent.poor
  blame: client
}
site "x" {
  disable zz
}
)";
  EXPECT_EQ(positions(text), (std::vector<std::string>{
                                 "5:1 E001",   // the dangling `and`
                                 "7:10 E012",  // target
                                 "8:30 E005",  // 30 without unit
                                 "9:11 E012",  // negative weight
                                 "11:34 E013", // wlan
                                 "13:11 E020", // @
                                 "17:11 E017", // unknown rule
                             }));
}

TEST(Diagnostics, Json) {
  const std::vector<std::pair<std::string, std::string>> src{
      {"t.rules", "rule a {\n  blame: client\n  when: sent.jitter_avg_ms > 30\n}\n"}};
  const LoadResult r = load_rules_from_text(src);
  std::string json;
  for (const Diagnostic& d : r.diagnostics) {
    if (d.code == DiagnosticCode::E005) json = render_json(d);
  }
  EXPECT_EQ(json,
            R"({"schema_version":1,"code":"E005","severity":"error","file":"t.rules","line":3,"column":30,"end_column":32,)"
            R"("message":"units do not match: ms > plain number","hint":"write `30ms`"})");
}

}  // namespace
}  // namespace callroot::rules
