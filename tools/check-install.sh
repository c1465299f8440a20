#!/usr/bin/env bash
# Installs a build into a scratch prefix and builds the example embedder
# (examples/embed) against it twice, with find_package(callroot) and with
# pkg-config; each must write, for the demo, exactly the verdicts and incident
# records that the installed `callroot replay` writes.
# Usage: tools/check-install.sh BUILD_DIR   (CTest runs it as `install_consumer`)
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
prefix="$work/prefix"
rules="$prefix/share/callroot/rules"
"$prefix/bin/callroot" replay "$src"/data/demo/*.jsonl --rules "$rules" --format jsonl --out "$work/replay.jsonl" 2> /dev/null

cmake -S "$src/examples/embed" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" > "$work/configure.log"
cmake --build "$work/cmake" > "$work/build.log"
"$work/cmake/embed" --rules "$rules" "$src"/data/demo/*.jsonl > "$work/cmake.jsonl" 2> /dev/null
cmp "$work/cmake.jsonl" "$work/replay.jsonl"

pc_dir=$(dirname "$(find "$prefix" -name callroot.pc)")
# shellcheck disable=SC2046  # pkg-config's flags are words
c++ -std=c++20 "$src/examples/embed/main.cpp" -o "$work/pkg-config-embed" \
  $(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs callroot) -Wl,-rpath,"$(dirname "$pc_dir")"
"$work/pkg-config-embed" --rules "$rules" "$src"/data/demo/*.jsonl > "$work/pkg-config.jsonl" 2> /dev/null
cmp "$work/pkg-config.jsonl" "$work/replay.jsonl"

echo "install: $(wc -l < "$work/replay.jsonl") records from find_package and pkg-config consumers, as callroot replay wrote them"
