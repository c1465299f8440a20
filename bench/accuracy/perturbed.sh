#!/usr/bin/env bash
# The independent scenarios replayed as another generator might report them
# (perturb.py: half-rate telemetry, 5-minute switch and WAN polling, late
# call records, no endpoint CPU telemetry, no client retries, one end of each
# switch link unreported, no switch or AP telemetry), graded by their own
# truth. A robustness check: attribution should not lean on one generator's
# habits. Prints one Markdown table.
#
#   bench/accuracy/perturbed.sh [BUILD_DIR] [MODES]
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}
modes=${2:-"none 60s snmp300 latecalls nodevice noretries oneend noswitch noap"}
callroot="$build/cli/callroot"
independent=${INDEPENDENT:-$repo/../shared/data/independent}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "| variant | s1 top-1 (worst fault type) | s2 | s3 |"
echo "|---|---|---|---|"
for mode in $modes; do
  row="| $mode |"
  for s in s1 s2 s3; do
    input="$independent/$s/input.jsonl.gz"
    if [ "$mode" != none ]; then
      python3 "$repo/bench/accuracy/perturb.py" "$mode" "$input" "$work/$s.jsonl"
      input="$work/$s.jsonl"
    fi
    "$callroot" replay "$input" --format jsonl --no-progress --out "$work/$s-v.jsonl" 2>/dev/null
    # top-1 (kind+id) over poor segments with a known cause, and the worst fault type
    top=$("$callroot" score --truth "$independent/$s" "$work/$s-v.jsonl" --json | python3 -c '
import json, sys
a = json.load(sys.stdin)["attribution"]
o, f = a["outside_gaps"], a["by_fault"]
worst = min(f, key=lambda k: f[k]["id_accuracy"])
print("%.3f (worst: %s %d/%d)" % (o["id_accuracy"], worst, f[worst]["id_correct"], f[worst]["segments"]))')
    row="$row $top |"
  done
  echo "$row"
done
