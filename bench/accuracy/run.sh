#!/usr/bin/env bash
# Attribution accuracy side by side: generates scenarios (presets x seeds),
# replays each with every attribution method, grades the verdicts with
# `callroot score`, and prints one Markdown table (BENCHMARKS.md). Then the
# same for the independent scenarios (s1 s2 s3 of $INDEPENDENT, default
# ../shared/data/independent beside the checkout; skipped when absent),
# graded by their own rules: a table per file and method, and top-1 per
# fault type and method.
#
#   bench/accuracy/run.sh [BUILD_DIR] [PRESETS] [SEEDS]
#   bench/accuracy/run.sh build-rel "campus enterprise mixed" "1 2 3"
#   bench/accuracy/run.sh build ""        # the independent scenarios only
#   INDEPENDENT=/data/independent bench/accuracy/run.sh
#
# Needs python3 for the tables. Scenarios and verdicts go to $WORK (default a
# temporary directory, removed at the end).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}
presets=${2-"campus enterprise mixed"}  # "" (given) is none
seeds=${3:-"1 2 3"}
# combined = the rule pack plus statistics; default = what the engine does
# without --rules (the heuristic plus statistics).
methods=${METHODS:-"threshold 007 heuristic rules stats default combined"}
rules=${RULES:-data/rules}
callroot="$build/cli/callroot"
work=${WORK:-$(mktemp -d)}
mkdir -p "$work"
[ -n "${WORK:-}" ] || trap 'rm -rf "$work"' EXIT

independent=${INDEPENDENT:-$repo/../shared/data/independent}

# replay METHOD OUT INPUT...: the verdicts of one attribution method.
replay() {
  local method=$1 out=$2
  shift 2
  local extra=() attribution=$method
  case $method in
    rules | combined) extra=(--rules "$rules") ;;
    default) attribution=combined ;;
  esac
  "$callroot" replay "$@" --attribution "$attribution" "${extra[@]}" --format jsonl --no-progress \
    --out "$out" 2>/dev/null
}

# graded TRUTH VERDICTS SECONDS KEY=VALUE...: the score as one JSON line, with the keys added.
graded() {
  local truth=$1 verdicts=$2 seconds=$3
  shift 3
  "$callroot" score --truth "$truth" "$verdicts" --json |
    python3 -c 'import json,sys; d=json.load(sys.stdin); d["seconds"]=float(sys.argv[1]); d.update(a.split("=",1) for a in sys.argv[2:]); print(json.dumps(d))' \
      "$seconds" "$@"
}

# timed_replay METHOD OUT INPUT...: replays and prints the seconds it took.
timed_replay() {
  local start end
  start=$(date +%s.%N)
  replay "$@"
  end=$(date +%s.%N)
  python3 -c 'import sys; print(float(sys.argv[2]) - float(sys.argv[1]))' "$start" "$end"
}

results="$work/results.jsonl"
: >"$results"
for preset in $presets; do
  for seed in $seeds; do
    dir="$work/$preset-$seed"
    "$callroot" simulate --preset "$preset" --seed "$seed" --out "$dir" 2>/dev/null
    mkdir -p "$dir/out"  # verdicts beside the inputs would be read back as input by the next replay
    for method in $methods; do
      seconds=$(timed_replay "$method" "$dir/out/$method.jsonl" "$dir"/*.jsonl)
      graded "$dir/truth" "$dir/out/$method.jsonl" "$seconds" preset="$preset" seed="$seed" method="$method" >>"$results"
    done
  done
done

if [ -s "$results" ]; then
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
fi

independent_results="$work/independent.jsonl"
: >"$independent_results"
if [ -d "$independent" ]; then
  for name in s1 s2 s3; do
    dir="$independent/$name"
    if [ ! -f "$dir/input.jsonl.gz" ]; then
      echo "independent: no $dir/input.jsonl.gz, skipped" >&2
      continue
    fi
    out="$work/independent-$name"
    mkdir -p "$out"
    for method in $methods; do
      seconds=$(timed_replay "$method" "$out/$method.jsonl" "$dir/input.jsonl.gz")
      graded "$dir" "$out/$method.jsonl" "$seconds" file="$name" method="$method" >>"$independent_results"
    done
  done
else
  echo "independent scenarios: $independent not found, skipped (set INDEPENDENT=DIR)" >&2
fi

if [ -s "$independent_results" ]; then
  python3 - "$independent_results" <<'PY'
import json, sys
from collections import defaultdict
rows = [json.loads(l) for l in open(sys.argv[1])]
pct = lambda x, y: f"{x / y:.3f}" if y else "-"
fmt = lambda v: "-" if v is None else f"{v:.3f}"
print()
print("Independent scenarios, graded by their README (top-1: a missing verdict, no blame and unknown count wrong; "
      "false blame: the independent definition).")
print()
print("| file | method | top-1 (kind+id) | kind | false blame (independent) | poor precision | poor recall | confounder blames | ECE |")
print("|---|---|---|---|---|---|---|---|---|")
for r in rows:
    a = r["attribution"]["outside_gaps"]
    f = r["false_blame_independent"]
    d = r["detection"]
    # Blames of a confounder's component that were the segment's known cause are right, not confounder blames.
    conf = sum((c["blamed"] or 0) - (c["right"] or 0) for c in r["confounders"])
    print(f"| {r['file']} | {r['method']} | {pct(a['id_correct'], a['segments'])} ({a['id_correct']}/{a['segments']}) "
          f"| {pct(a['kind_correct'], a['segments'])} | {fmt(f['rate'])} ({f['false_blame']}/{f['good'] + f['background']}) "
          f"| {fmt(d['precision'])} | {fmt(d['recall'])} | {conf} | {fmt(r['calibration']['ece'])} |")

# Top-1 per fault type and method, over all the files.
methods, faults = [], set()
cell = defaultdict(lambda: [0, 0])
for r in rows:
    if r["method"] not in methods: methods.append(r["method"])
    for fault, t in r["attribution"]["by_fault"].items():
        faults.add(fault)
        cell[(fault, r["method"])][0] += t["id_correct"]
        cell[(fault, r["method"])][1] += t["segments"]
files = sorted({r["file"] for r in rows})
print()
print(f"Top-1 (kind+id) per fault type, {' + '.join(files)}:")
print()
print("| fault | " + " | ".join(methods) + " |")
print("|---|" + "---|" * len(methods))
for fault in sorted(faults):
    print(f"| {fault} | " + " | ".join(f"{pct(*cell[(fault, m)])} ({cell[(fault, m)][0]}/{cell[(fault, m)][1]})" for m in methods) + " |")
PY
fi
