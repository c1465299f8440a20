// The command as a terminal user and a script see it: help that is text
// (tools like grep and help2man read it), choices named in words.
#include <gtest/gtest.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "demo_files.h"

namespace callroot::cli::testing {
namespace {

/// Runs `command` through the shell; its standard output, and the exit code.
std::string shell(const std::string& command, int& code) {
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int status = pclose(pipe);
  code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

/// Runs `callroot ARGS`; its standard output and error, and the exit code.
std::string run(const std::string& args, int& code) {
  return shell(std::string(CALLROOT_BINARY) + " " + args + " 2>&1", code);
}

TEST(CommandLine, EveryHelpIsPlainText) {
  const std::vector<std::string> commands{"",        "replay",  "run",         "keygen",       "privacy",
                                          "privacy keygen", "privacy pseudonym", "rules", "rules check",
                                          "rules list", "rules fields", "rules targets", "rules test",
                                          "rules explain", "rtp", "simulate", "score"};
  for (const std::string& command : commands) {
    int code = -1;
    const std::string help = run(command + " --help", code);
    EXPECT_EQ(code, 0) << command;
    EXPECT_NE(help.find("Options:"), std::string::npos) << command;
    for (std::size_t i = 0; i < help.size(); ++i) {
      const auto c = static_cast<unsigned char>(help[i]);
      ASSERT_TRUE(c == '\n' || (c >= 0x20 && c != 0x7f))
          << "`callroot " << command << " --help` has byte " << int{c} << " at " << i << ": "
          << help.substr(i > 40 ? i - 40 : 0, 80);
    }
  }
}

TEST(CommandLine, AnUnknownChoiceIsNamedWithTheChoices) {
  int code = -1;
  const std::string out = run("replay --format xml /dev/null", code);
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("callroot: error: --format: xml not in {auto,table,jsonl}"), std::string::npos) << out;
  EXPECT_EQ(run("replay /no/such/file.jsonl", code).rfind("callroot: error: files: File does not exist: /no/such/file.jsonl", 0),
            0u);
  EXPECT_EQ(code, 2);
}



TEST(CommandLine, ReplayReadsStandardInputAsDash) {
  int code = -1;
  const std::string out =
      run("replay - --format jsonl --out /dev/null < " + std::string(CALLROOT_DATA_DIR) + "/demo/inventory.jsonl", code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("records: 23 read, 23 accepted"), std::string::npos) << out;
}



/// What bash completion offers after `callroot WORDS...` (the last word being completed).
std::string complete(const std::string& words) {
  const std::string script = std::string(CALLROOT_SOURCE_DIR) + "/tools/callroot-completion.bash";
  const std::string command = "bash -c 'source " + script + "; COMP_WORDS=(" + CALLROOT_BINARY + " " + words +
                              "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _callroot; echo \"${COMPREPLY[*]}\"'";
  int code = -1;
  std::string out = shell(command, code);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

TEST(CommandLine, BashCompletionOffersSubcommandsAndOptionsFromHelp) {
  EXPECT_EQ(complete("ru"), "run rules");  // in --help's order
  EXPECT_EQ(complete("rules ch"), "check");
  EXPECT_EQ(complete("replay --po"), "--poor");
  EXPECT_EQ(complete("rules explain --se"), "--segment");
}

// One configuration file for the daemon and for a replay of what it saw:
// replay takes its shared part (here the attribution), flags given win, and
// a key it does not know is an error naming the key.
TEST(CommandLine, ReplayTakesTheDaemonsConfigurationFile) {
  runtime::testing::TempDir dir("replay-config");
  const std::string config = (dir.path() / "run.json").string();
  std::ofstream(config) << R"({"pull": ["tcp://127.0.0.1:7711"], "attribution": "heuristic", "grace_ms": 60000})";
  std::string files;
  for (const auto& f : runtime::testing::demo_inputs()) files += " " + f;
  int code = -1;
  const auto verdicts = [&](const std::string& args) {
    return shell(std::string(CALLROOT_BINARY) + " replay --format jsonl " + args + files + " 2>/dev/null", code);
  };
  const std::string configured = verdicts("--config " + config);
  EXPECT_EQ(code, 0);
  const std::string heuristic = verdicts("--attribution heuristic");
  const std::string combined = verdicts("");
  EXPECT_FALSE(configured.empty());
  EXPECT_EQ(configured, heuristic);
  EXPECT_NE(configured, combined) << "the demo's verdicts do not depend on the method: the test shows nothing";
  EXPECT_EQ(verdicts("--attribution combined --config " + config), combined);

  std::ofstream(config, std::ios::trunc) << R"({"grace": 5})";
  const std::string out = run("replay --config " + config + files, code);
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("unknown key `grace`"), std::string::npos) << out;
}

// --log-format json, before or after the subcommand: each log line is one
// JSON object with ts, level, logger and msg (the summary stays text).
TEST(CommandLine, LogLinesInJsonWhereverTheFlagIsGiven) {
  runtime::testing::TempDir dir("log-format");
  const std::string input = (dir.path() / "bad.jsonl").string();
  std::ofstream(input) << "{\"type\":\"wifi.client\",\"ts\":\n";
  for (const std::string args : {"--log-format json replay ", "replay --log-format json "}) {
    int code = -1;
    const std::string out = run(args + input + " --out /dev/null", code);
    EXPECT_EQ(code, 0) << out;
    std::size_t json_lines = 0;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
      if (line.empty() || line[0] != '{') continue;
      const auto j = nlohmann::json::parse(line);
      EXPECT_EQ(j.at("logger"), "callroot replay");
      EXPECT_TRUE(j.contains("ts") && j.contains("level") && j.contains("msg")) << line;
      ++json_lines;
    }
    EXPECT_GE(json_lines, 1u) << out;
  }
}

/// Runs `callroot ARGS` on a pseudo-terminal of `columns` columns, as a user
/// at a terminal would (standard output and error both the terminal); what
/// the terminal received, and the exit code.
std::string run_on_terminal(const std::vector<std::string>& args, unsigned short columns, int& code) {
  winsize size{};
  size.ws_row = 50;
  size.ws_col = columns;
  int terminal = -1;
  const pid_t pid = forkpty(&terminal, nullptr, nullptr, &size);
  if (pid < 0) {
    ADD_FAILURE() << "forkpty failed";
    return {};
  }
  if (pid == 0) {
    std::vector<char*> argv{const_cast<char*>(CALLROOT_BINARY)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(CALLROOT_BINARY, argv.data());
    _exit(127);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(terminal, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // EIO once the child has closed the terminal
    }
  }
  close(terminal);
  int status = 0;
  waitpid(pid, &status, 0);
  code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

// Paced so that the replay lasts a few seconds: long enough for the progress
// line to come (it waits for 16,384 records and a quarter of a second) if
// anything let it onto the terminal the table is written to.
TEST(CommandLine, ATableOnATerminalHasNoProgressLineInIt) {
  std::vector<std::string> args{"replay", "--speed", "3000"};
  for (const auto& f : runtime::testing::demo_inputs()) args.push_back(f);
  int code = -1;
  const std::string out = run_on_terminal(args, 100, code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("segment"), std::string::npos) << "no table on the terminal:\n" << out;
  EXPECT_EQ(out.find("replay: "), std::string::npos) << "a progress line in the table:\n" << out;
  EXPECT_EQ(out.find('\r' + std::string("replay")), std::string::npos);
  // The table fits the terminal: no row is wider than its 100 columns.
  std::size_t start = 0;
  while (start < out.size()) {
    std::size_t end = out.find('\n', start);
    if (end == std::string::npos) end = out.size();
    std::string line = out.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    EXPECT_LE(line.size(), 100u) << line;
    start = end + 1;
  }
}

}  // namespace
}  // namespace callroot::cli::testing
