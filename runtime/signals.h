#pragma once
/// The signals a long-running command stops or reloads on, without a handler.

#include <signal.h>

namespace callroot::runtime {

/// SIGINT/SIGTERM are blocked and then polled with sigtimedwait, so there is
/// no signal handler and no global flag: the loop asks whether one is pending.
class SignalWatch {
 public:
  SignalWatch() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
  }
  ~SignalWatch() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  /// The pending signal (SIGINT, SIGTERM or SIGHUP), or 0.
  int poll() {
    timespec zero{0, 0};
    const int sig = sigtimedwait(&set_, nullptr, &zero);
    return sig > 0 ? sig : 0;
  }

 private:
  sigset_t set_{};
  sigset_t old_{};
};

}  // namespace callroot::runtime
