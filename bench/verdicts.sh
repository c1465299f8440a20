#!/usr/bin/env bash
# Checks that two builds of callroot write byte-identical verdicts: every
# attribution method on the three independent scenarios and on two simulated
# presets (campus and mixed, seed 1), replayed by each binary, then compared
# file by file.
#
#   bench/verdicts.sh BIN_BEFORE BIN_AFTER [WORKDIR]
#   bench/verdicts.sh /tmp/base_bin/callroot build/cli/callroot
#   CALLROOT_INDEPENDENT=/data/independent bench/verdicts.sh old/callroot new/callroot /tmp/v
#
# Methods: each one `replay --attribution` accepts (or `callroot attribution
# list` prints, where it exists); rules and combined with --rules data/rules,
# and "default": combined without --rules, what the engine does out of the box.
# Both presets are simulated with BIN_BEFORE, so both binaries read the same
# files even when the simulator changed.
#
# Verdicts, logs and scenarios go to WORKDIR (default a temporary directory,
# removed at the end unless something differs). At most two replays run at a
# time, one binary after the other.
#
# Exit status: 0 all identical, 1 some verdicts differ, 2 usage error or a
# simulate/replay that failed.
set -euo pipefail

usage() {
  echo "usage: $0 BIN_BEFORE BIN_AFTER [WORKDIR]" >&2
  exit 2
}
die() {
  echo "verdicts.sh: $*" >&2
  exit 2
}

if [ $# -lt 2 ] || [ $# -gt 3 ]; then usage; fi
repo=$(cd "$(dirname "$0")/.." && pwd)
independent=${CALLROOT_INDEPENDENT:-$repo/../shared/data/independent}
presets=(campus mixed)
scenarios=(s1 s2 s3)
max_jobs=2

declare -A bin
for side in before after; do
  path=$([ $side = before ] && echo "$1" || echo "$2")
  if [ ! -f "$path" ] || [ ! -x "$path" ]; then die "$side binary not found or not executable: $path"; fi
  bin[$side]=$(realpath "$path")
done
for s in "${scenarios[@]}"; do
  [ -f "$independent/$s/input.jsonl.gz" ] ||
    die "independent scenario missing: $independent/$s/input.jsonl.gz (set CALLROOT_INDEPENDENT)"
done
independent=$(realpath "$independent")
[ -d "$repo/data/rules" ] || die "rule pack not found: $repo/data/rules"

if [ $# -eq 3 ]; then
  mkdir -p "$3"
  work=$(cd "$3" && pwd)
  keep_work=1
else
  work=$(mktemp -d /tmp/callroot-verdicts.XXXXXX)
  keep_work=0
fi

# methods BIN: the attribution methods the binary offers, one per line.
methods() {
  if "$1" attribution list >/dev/null 2>&1; then
    "$1" attribution list | awk 'NF { print $1 }'
  else
    # CLI11 prints the allowed values as "--attribution TEXT:{a,b,c}".
    "$1" replay --help | sed -n 's/.*--attribution [A-Z]*:{\([^}]*\)}.*/\1/p' | tr ',' '\n'
  fi
}
mapfile -t m_before < <(methods "${bin[before]}" | sort)
mapfile -t m_after < <(methods "${bin[after]}" | sort)
[ ${#m_before[@]} -gt 0 ] || die "cannot list the attribution methods of ${bin[before]}"
[ ${#m_after[@]} -gt 0 ] || die "cannot list the attribution methods of ${bin[after]}"
mapfile -t common < <(comm -12 <(printf '%s\n' "${m_before[@]}") <(printf '%s\n' "${m_after[@]}"))
only=$(comm -3 <(printf '%s\n' "${m_before[@]}") <(printf '%s\n' "${m_after[@]}") | tr -d '\t' | xargs)
[ -z "$only" ] || echo "note: methods not offered by both binaries, skipped: $only"
[ ${#common[@]} -gt 0 ] || die "the two binaries have no attribution method in common"
variants=("${common[@]}")
if [[ " ${common[*]} " == *" combined "* ]]; then variants+=(default); fi

# Replays resolve data/rules from the repository root, as the other bench scripts do.
cd "$repo"

# spawn CMD...: runs CMD in the background once fewer than $max_jobs are running.
spawn() {
  while [ "$(jobs -rp | wc -l)" -ge "$max_jobs" ]; do wait -n || true; done
  "$@" &
}

# simulate PRESET: scenario PRESET-1 from BIN_BEFORE, top-level *.jsonl are its input.
simulate() {
  local dir=$work/scenarios/$1-1
  rm -rf "$dir"
  "${bin[before]}" simulate --preset "$1" --seed 1 --out "$dir" >"$work/scenarios/$1-1.log" 2>&1 ||
    touch "$work/scenarios/$1-1.failed"
}

# replay SIDE NAME VARIANT INPUT...: verdicts in $work/SIDE/NAME-VARIANT.jsonl,
# stderr beside them in .log, and a .failed marker when the replay fails.
replay() {
  local side=$1 name=$2 variant=$3
  shift 3
  local out=$work/$side/$name-$variant.jsonl attribution=$variant extra=()
  case $variant in
    rules | combined) extra=(--rules data/rules) ;;
    default) attribution=combined ;;
  esac
  "${bin[$side]}" replay "$@" --attribution "$attribution" "${extra[@]}" --format jsonl --no-progress \
    --out "$out" 2>"${out%.jsonl}.log" || touch "${out%.jsonl}.failed"
}

mkdir -p "$work/scenarios"
echo "simulating ${presets[*]} (seed 1) with ${bin[before]} ..."
for p in "${presets[@]}"; do spawn simulate "$p"; done
wait
for p in "${presets[@]}"; do
  [ ! -e "$work/scenarios/$p-1.failed" ] || die "simulate --preset $p failed, see $work/scenarios/$p-1.log"
done

names=()
declare -A inputs
for p in "${presets[@]}"; do
  names+=("$p-1")
  inputs[$p-1]=$(printf '%s\n' "$work/scenarios/$p-1"/*.jsonl)
done
for s in "${scenarios[@]}"; do
  names+=("$s")
  inputs[$s]=$independent/$s/input.jsonl.gz
done

for side in before after; do
  rm -rf "${work:?}/$side"
  mkdir -p "$work/$side"
  echo "replaying ${#names[@]} inputs x ${#variants[@]} methods with ${bin[$side]} ..."
  start=$SECONDS
  for name in "${names[@]}"; do
    mapfile -t files <<<"${inputs[$name]}"
    for v in "${variants[@]}"; do spawn replay "$side" "$name" "$v" "${files[@]}"; done
  done
  wait
  echo "  done in $((SECONDS - start)) s"
done

different=0
failed=0
for name in "${names[@]}"; do
  for v in "${variants[@]}"; do
    f=$name-$v
    a=$work/before/$f.jsonl
    b=$work/after/$f.jsonl
    status=
    for side in before after; do
      [ ! -e "$work/$side/$f.failed" ] || status+="${status:+, }$side replay FAILED (see $work/$side/$f.log)"
    done
    for out in "$a" "$b"; do
      [ -n "$status" ] || [ -f "$out" ] || status="no output: $out"
    done
    if [ -n "$status" ]; then
      failed=1
    elif cmp -s "$a" "$b"; then
      status="same ($(wc -l <"$a") verdicts)"
    else
      different=1
      la=$(wc -l <"$a")
      lb=$(wc -l <"$b")
      # GNU cmp names the line of the first differing byte; when one file is
      # a prefix of the other, the first missing line is one past its end.
      msg=$(cmp "$a" "$b" 2>&1 || true)
      if [[ $msg == *differ:*line\ * ]]; then
        line=${msg##*line }
      else
        line=$(((la < lb ? la : lb) + 1))
      fi
      status="DIFFERENT from line $line (before $la lines, after $lb)"
    fi
    printf '%-26s %s\n' "$f.jsonl" "$status"
  done
done

if [ $failed -ne 0 ] || [ $different -ne 0 ] || [ $keep_work -ne 0 ]; then
  echo "verdicts kept in $work/before and $work/after"
else
  rm -rf "$work"
fi
[ $failed -eq 0 ] || exit 2
[ $different -eq 0 ] || exit 1
echo "all verdicts identical"
