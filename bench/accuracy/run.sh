#!/usr/bin/env bash
# Attribution accuracy side by side: generates scenarios (presets x seeds),
# replays each with every attribution method, grades the verdicts with
# `callroot score`, and prints one Markdown table (BENCHMARKS.md).
#
#   bench/accuracy/run.sh [BUILD_DIR] [PRESETS] [SEEDS]
#   bench/accuracy/run.sh build-rel "campus enterprise" "1 2 3"
#
# Needs python3 for the table. Scenarios and verdicts go to $WORK (default a
# temporary directory, removed at the end).
set -euo pipefail
build=${1:-build}
presets=${2:-"campus enterprise"}
seeds=${3:-"1 2 3"}
# combined = the rule pack plus statistics; default = what the engine does
# without --rules (the heuristic plus statistics).
methods=${METHODS:-"threshold 007 heuristic rules stats default combined"}
rules=${RULES:-data/rules}
callroot="$build/tools/callroot"
work=${WORK:-$(mktemp -d)}
mkdir -p "$work"
[ -n "${WORK:-}" ] || trap 'rm -rf "$work"' EXIT

results="$work/results.jsonl"
: >"$results"
for preset in $presets; do
  for seed in $seeds; do
    dir="$work/$preset-$seed"
    "$callroot" simulate --preset "$preset" --seed "$seed" --out "$dir" 2>/dev/null
    mkdir -p "$dir/out"  # verdicts beside the inputs would be read back as input by the next replay
    for method in $methods; do
      extra=()
      attribution=$method
      case $method in
        rules | combined) extra=(--rules "$rules") ;;
        default) attribution=combined ;;
      esac
      start=$(date +%s.%N)
      "$callroot" replay "$dir"/*.jsonl --attribution "$attribution" "${extra[@]}" --format jsonl --no-progress \
        --out "$dir/out/$method.jsonl" 2>/dev/null
      end=$(date +%s.%N)
      "$callroot" score --truth "$dir/truth" "$dir/out/$method.jsonl" --json |
        python3 -c 'import json,sys; d=json.load(sys.stdin); d["preset"],d["seed"],d["method"],d["seconds"]=sys.argv[1],sys.argv[2],sys.argv[3],float(sys.argv[5])-float(sys.argv[4]); print(json.dumps(d))' \
          "$preset" "$seed" "$method" "$start" "$end" >>"$results"
    done
  done
done

python3 - "$results" <<'PY'
import json, sys
from collections import defaultdict
rows = [json.loads(l) for l in open(sys.argv[1])]
agg = defaultdict(lambda: defaultdict(float))
order = []
for r in rows:
    key = (r["preset"], r["method"])
    if key not in agg: order.append(key)
    a = agg[key]
    og, ig = r["attribution"]["outside_gaps"], r["attribution"]["in_gaps"]
    a["runs"] += 1
    a["known"] += og["segments"] + ig["segments"]
    a["right"] += og["id_correct"] + ig["id_correct"]
    a["og"] += og["segments"]; a["og_right"] += og["id_correct"]
    a["ig"] += ig["segments"]; a["ig_right"] += ig["id_correct"]
    a["named"] += r["false_blame"]["poor_verdicts"]
    a["false"] += r["false_blame"]["false_blame"]
    a["conf_blamed"] += sum(c["blamed_in_interval"] for c in r["confounders"])
    a["ece"] += r["calibration"]["ece"]
    a["bg"] += r["background"]["segments"]; a["bg_unknown"] += r["background"]["unknown"] + r["background"]["remote"]
print("| scenario | method | top-1 (kind+id), all known causes | outside gaps | in telemetry gaps | false blame | confounder blames | background left unknown | ECE |")
print("|---|---|---|---|---|---|---|---|---|")
for key in order:
    a = agg[key]
    pct = lambda x, y: f"{x / y:.3f}" if y else "-"
    print(f"| {key[0]} x{int(a['runs'])} | {key[1]} | {pct(a['right'], a['known'])} ({int(a['right'])}/{int(a['known'])}) "
          f"| {pct(a['og_right'], a['og'])} | {pct(a['ig_right'], a['ig'])} "
          f"| {pct(a['false'], a['named'])} ({int(a['false'])}/{int(a['named'])}) | {int(a['conf_blamed'])} "
          f"| {int(a['bg_unknown'])}/{int(a['bg'])} | {a['ece'] / a['runs']:.3f} |")
PY
