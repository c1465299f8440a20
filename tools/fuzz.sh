#!/usr/bin/env bash
# Runs every libFuzzer target of a build made with -DCALLROOT_FUZZ=ON (clang):
# first each target's checked-in corpus (fuzz/corpus/<target>), replayed as a
# regression test, then a bounded run of FUZZ_SECONDS (default 20) seeded from
# that corpus and the test fixtures. New inputs go to a scratch folder, so the
# checked-in corpus never changes behind anyone's back. A crash leaves its
# input in the scratch folder and fails the script.
#   tools/fuzz.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: tools/fuzz.sh BUILD_DIR}
seconds=${FUZZ_SECONDS:-20}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/callroot-fuzz.XXXXXX")

# target, extra seed folders, max input length
targets=(
  "fuzz_native_decoder:tests/data/golden:65536"
  "fuzz_graph_decoder:tests/data/graph:65536"
  "fuzz_zoom_decoder:tests/data/zoom:65536"
  "fuzz_teamwork_decoder::65536"
  "fuzz_packet::4096"
  "fuzz_capture::8192"
  "fuzz_rules::4096"
  "fuzz_state::16384"
  "fuzz_connectors::4096"
)

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for spec in "${targets[@]}"; do
  IFS=: read -r target seeds max_len <<<"$spec"
  bin="$build/fuzz/$target"
  corpus="fuzz/corpus/${target#fuzz_}"
  mkdir -p "$scratch/$target/new"
  if [ -d "$corpus" ]; then
    echo "fuzz: $target: replaying $(ls "$corpus" | wc -l) corpus inputs"
    "$bin" -runs=0 "$corpus" >"$scratch/$target.replay.log" 2>&1 || {
      tail -40 "$scratch/$target.replay.log"
      echo "fuzz: $target failed on its corpus (log above)"
      exit 1
    }
  fi
  echo "fuzz: $target: ${seconds} s"
  dirs=("$scratch/$target/new")
  [ -d "$corpus" ] && dirs+=("$corpus")
  [ -n "$seeds" ] && [ -d "$seeds" ] && dirs+=("$seeds")
  "$bin" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$scratch/$target/" "${dirs[@]}" >"$scratch/$target.log" 2>&1 || {
    tail -40 "$scratch/$target.log"
    echo "fuzz: $target crashed; the input is in $scratch/$target"
    exit 1
  }
  grep -E "stat::number_of_executed_units" "$scratch/$target.log" | sed "s/^/fuzz: $target: /"
done
rm -rf "$scratch"
echo "fuzz: every target ran clean"
