#pragma once
// Starting the real `callroot run` from a benchmark program.

#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

#include <string>
#include <vector>

extern char** environ;

namespace callroot::bench {

/// Starts CALLROOT_BINARY with `args` (after the program name), its stderr
/// to `stderr_path` when given; the pid, or -1 when it cannot start.
inline pid_t start_daemon(std::vector<std::string> args, const std::string& stderr_path = {}) {
  args.insert(args.begin(), CALLROOT_BINARY);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!stderr_path.empty()) {
    posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  }
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

}  // namespace callroot::bench
