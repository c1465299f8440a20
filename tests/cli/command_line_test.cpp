// The command as a terminal user and a script see it: help that is text
// (tools like grep and help2man read it), choices named in words.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

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

}  // namespace
}  // namespace callroot::cli::testing

namespace callroot::cli::testing {
namespace {

TEST(CommandLine, ReplayReadsStandardInputAsDash) {
  int code = -1;
  const std::string out =
      run("replay - --format jsonl --out /dev/null < " + std::string(CALLROOT_DATA_DIR) + "/demo/inventory.jsonl", code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("records: 23 read, 23 accepted"), std::string::npos) << out;
}

}  // namespace
}  // namespace callroot::cli::testing

namespace callroot::cli::testing {
namespace {

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

}  // namespace
}  // namespace callroot::cli::testing
