#!/usr/bin/env bash
# Sets up and runs every test: installs the Debian packages (when missing),
# builds, runs the suite, then builds again with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer, runs the suite that way too, and runs the
# libFuzzer targets of that same build (their corpora, then FUZZ_SECONDS each;
# tools/fuzz.sh). One clang build serves both: the libraries carry the
# fuzzers' coverage instrumentation, which the tests do not mind. A third
# pass builds the daemon and the tests that run it with ThreadSanitizer (the
# daemon has a reload thread, a ZAP thread, a capture thread and ZeroMQ's own)
# and runs them; tools/tsan.supp silences only libraries that are not
# instrumented (libzmq, libsodium).
# Between the first build's suite and the sanitizers, the systemd unit runs
# under a real systemd where the machine allows it (tools/systemd-check.sh).
# CALLROOT_SKIP_SANITIZE=1 skips the second and third passes (quicker local runs).
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh
jobs=$(nproc)

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCALLROOT_BUILD_BENCHMARKS=ON
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"
# The shipped unit under a real systemd, where this machine lets root make
# namespaces for it (docs/operations.md, section 2).
if [ "$(id -u)" = 0 ] && [ -x /lib/systemd/systemd ] && unshare --pid --fork --mount true 2>/dev/null; then
  tools/systemd-check.sh build/cli/callroot
else
  echo "test.sh: the unit is not run under systemd here (needs root and namespaces; tools/systemd-check.sh)"
fi

if [ "${CALLROOT_SKIP_SANITIZE:-0}" != "1" ]; then
  # -O1: what libFuzzer recommends; -O0 makes the fuzzers several times slower.
  CXX=clang++ cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-g -O1" \
    -DCALLROOT_SANITIZE=ON -DCALLROOT_FUZZ=ON -DCALLROOT_BUILD_BENCHMARKS=OFF
  cmake --build build-asan -j "$jobs"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j "$jobs"
  tools/fuzz.sh build-asan

  CXX=clang++ cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-g -O1" \
    -DCALLROOT_TSAN=ON -DCALLROOT_BUILD_BENCHMARKS=OFF
  cmake --build build-tsan -j "$jobs" --target callroot runtime_test security_test
  # Without address randomization: clang 14's ThreadSanitizer stops at start
  # on kernels that randomize mappings with more bits than it expects.
  TSAN_OPTIONS="halt_on_error=1:suppressions=$PWD/tools/tsan.supp" \
    setarch "$(uname -m)" -R ctest --test-dir build-tsan --output-on-failure -j "$jobs" -L 'runtime_test|security'
fi
