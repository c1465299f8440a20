#!/usr/bin/env bash
# Sets up and runs every test: installs the Debian packages (when missing),
# builds, runs the suite, then builds again with AddressSanitizer and
# UndefinedBehaviorSanitizer and runs the suite that way too.
# CALLROOT_SKIP_SANITIZE=1 skips the second pass (quicker local runs).
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh
jobs=$(nproc)

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCALLROOT_BUILD_BENCHMARKS=ON
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"

if [ "${CALLROOT_SKIP_SANITIZE:-0}" != "1" ]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCALLROOT_SANITIZE=ON -DCALLROOT_BUILD_BENCHMARKS=OFF
  cmake --build build-asan -j "$jobs"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j "$jobs"
fi
