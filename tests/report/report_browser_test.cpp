// The demo's report in a real browser: headless Chromium (Debian's
// `chromium`) loads the page from disk, runs its script without a console
// message or error, and the DOM it ends with has the five faulty components
// hot in the topology, the incidents and the first page of calls. A
// screenshot is kept in the build folder (report-demo.png) as the test's
// artifact.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "demo_report.h"

namespace callroot::report::testing {
namespace {

using runtime::testing::TempDir;

std::string run(const std::string& command, int& status) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[65536];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
  status = pclose(pipe);
  return out;
}

std::string chromium() {
  for (const char* candidate : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (std::ifstream(candidate).good()) return candidate;
  }
  return {};
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ReportInBrowser, TheDemosPageRendersWithoutErrorsAndShowsTheFaults) {
  const std::string browser = chromium();
  if (browser.empty()) GTEST_SKIP() << "chromium is not installed (tools/install-deps.sh installs it)";
  TempDir dir("report-browser");
  const std::string verdicts = (dir.path() / "verdicts.jsonl").string();
  write_demo_verdicts(verdicts);
  const std::string html = (dir.path() / "report.html").string();
  std::ofstream(html) << demo_report(verdicts);

  // Its own profile and no sandbox: CI runs as root in a container.
  const std::string flags = " --headless=new --no-sandbox --disable-gpu --no-first-run --user-data-dir=" +
                            (dir.path() / "profile").string() + " --enable-logging=stderr --v=0 ";
  const std::string errors = (dir.path() / "console.txt").string();
  int status = -1;
  const auto started = std::chrono::steady_clock::now();
  const std::string dom = run("timeout 120 " + browser + flags + "--dump-dom file://" + html + " 2> " + errors, status);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_EQ(status, 0) << slurp(errors);
  RecordProperty("render_seconds", std::to_string(seconds));

  // Nothing on the console: no script error, no warning of ours.
  std::istringstream log(slurp(errors));
  for (std::string line; std::getline(log, line);) {
    EXPECT_EQ(line.find(":CONSOLE"), std::string::npos) << line;
    EXPECT_EQ(line.find("Uncaught"), std::string::npos) << line;
  }
  EXPECT_NE(dom.find("data-ready=\"1\""), std::string::npos) << "the page's script did not finish";
  // The DOM the browser built has the faulty components hot.
  std::set<std::pair<std::string, std::string>> hot;
  static const std::regex node(R"re(<g class="node hot" data-kind="([^"]*)" data-id="([^"]*)")re");
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), node); it != std::sregex_iterator(); ++it) {
    hot.emplace((*it)[1], (*it)[2]);
  }
  for (const auto& fault : demo_faults()) EXPECT_EQ(hot.count(fault), 1u) << fault.first << " " << fault.second;
  EXPECT_NE(dom.find("<g class=\"incident\""), std::string::npos);
  // Paging: the first page of calls shows, the second is hidden.
  const auto first = dom.find("<article class=\"call\"");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(dom.substr(first, 200).find("hidden"), std::string::npos) << dom.substr(first, 200);
  EXPECT_NE(dom.find("hidden=\"\""), std::string::npos) << "no call was paged away";

  const std::string shot = std::string(CALLROOT_BUILD_DIR) + "/report-demo.png";
  run("timeout 120 " + browser + flags + "--window-size=1280,2200 --screenshot=" + shot + " file://" + html + " 2> " +
          errors,
      status);
  EXPECT_EQ(status, 0) << slurp(errors);
  EXPECT_TRUE(std::ifstream(shot).good()) << "no screenshot";
}

}  // namespace
}  // namespace callroot::report::testing
