#!/usr/bin/env bash
# Sets up and runs the main job on the bundled demo: installs the Debian
# packages (when missing), builds callroot, replays the demo campus and shows
# the verdicts. The verdicts are also written to out/demo-verdicts.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target callroot

mkdir -p out
./build/cli/callroot replay data/demo/*.jsonl --rules data/rules --out out/demo-verdicts.jsonl
echo
echo "Poor segments and their blame (all verdicts: out/demo-verdicts.jsonl):"
./build/cli/callroot replay data/demo/*.jsonl --rules data/rules --format table --no-progress 2>/dev/null |
  grep -E "^end|poor" | sed -n '1,41p'
# Why one of them was blamed: every rule, every predicate, every observed value.
segment=$(grep -m1 '"blame":\[{"kind":"client"' out/demo-verdicts.jsonl | sed 's/.*"segment_id":"\([^"]*\)".*/\1/')
echo
echo "How segment $segment got its verdict (callroot rules explain):"
./build/cli/callroot rules explain --segment "$segment" --rules data/rules data/demo/*.jsonl 2>/dev/null |
  grep -E "^segment|^  poor|candidate client|FIRED|^blame|^  client|^    wifi" | sed -n '1,30p'
# The picture: one HTML page of the same verdicts (docs/report.md).
./build/cli/callroot report out/demo-verdicts.jsonl data/demo/*.jsonl --out out/demo-report.html 2>/dev/null
echo
echo "The report, with the topology coloured by blame: out/demo-report.html (open it in a browser)"
