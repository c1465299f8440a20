#pragma once
// A `callroot` child process for end-to-end tests: spawned with its
// arguments (stderr to a file when given), killed if the test leaves it
// running, stopped with SIGTERM when the test wants a clean exit.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace callroot::runtime::testing {

class ChildProcess {
 public:
  /// Runs `args[0]` with `args`; stderr goes to `stderr_path` when not empty.
  explicit ChildProcess(std::vector<std::string> args, const std::string& stderr_path = {}) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (!stderr_path.empty()) {
      posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    }
    EXPECT_EQ(posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  /// Sends SIGTERM and waits up to `limit` for the exit; returns the wait status or -1.
  int terminate(std::chrono::seconds limit) {
    kill(pid_, SIGTERM);
    return wait(limit);
  }
  /// Sends `sig` (SIGHUP: read the configuration again).
  void signal(int sig) const { kill(pid_, sig); }
  /// Kills it with SIGKILL, as a crash or the OOM killer would, and reaps it.
  void kill_now() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  /// Waits up to `limit` for the process to exit by itself; returns the wait status or -1.
  int wait(std::chrono::seconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return status;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }
  [[nodiscard]] bool running() const { return pid_ > 0 && kill(pid_, 0) == 0; }

 private:
  pid_t pid_ = -1;
};

}  // namespace callroot::runtime::testing
