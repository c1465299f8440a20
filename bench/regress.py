#!/usr/bin/env python3
"""Benchmark regression check: runs the Google Benchmark programs of a build
and compares each checked benchmark, as a ratio to a reference benchmark
measured in the same run, with the ratio recorded in the spec.

    bench/regress.py BUILD_DIR [--spec bench/regress.json] [--repetitions 3]
                     [--min-time 1.0] [--filter SUBSTR] [--update]

Machines differ, so absolute times say nothing; a ratio to a reference that
does not depend on callroot's code (plain simdjson parsing) travels between
machines far better.

The spec is a JSON list of checks:
  {"name": label, "program": path under BUILD_DIR, "benchmark": run_name,
   "reference": {"program": ..., "benchmark": ...},
   "recorded_ratio": time / reference time when recorded (null: not yet),
   "tolerance": 0.30 fails when the ratio grows by more than 30 %}

Exit status: 0 all checks pass (or --update), 1 a check failed, 2 usage
error, a program or benchmark missing, or a benchmark run that failed.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NS_PER_UNIT = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
CHECK_KEYS = ("name", "program", "benchmark", "reference", "recorded_ratio", "tolerance")


class UsageError(Exception):
    """Reported as one message and exit status 2."""


def regex_escape(name):
    # The filter is a std::regex (ECMAScript), which rejects some of the
    # escapes Python's re.escape emits (e.g. "\-"); escape only what is special.
    return "".join("\\" + c if c in "\\^$.|?*+()[]{}" else c for c in name)


def load_spec(path):
    try:
        with open(path) as f:
            spec = json.load(f)
    except OSError as e:
        raise UsageError(f"cannot read spec {path}: {e.strerror}")
    except json.JSONDecodeError as e:
        raise UsageError(f"spec {path} is not valid JSON: {e}")
    if not isinstance(spec, list):
        raise UsageError(f"spec {path}: expected a JSON list of checks")
    for i, c in enumerate(spec):
        where = f"spec {path}, check #{i + 1}"
        if not isinstance(c, dict):
            raise UsageError(f"{where}: expected an object")
        for key in ("name", "program", "benchmark", "reference", "tolerance"):
            if key not in c:
                raise UsageError(f"{where} ({c.get('name', '?')}): missing \"{key}\"")
        ref = c["reference"]
        if not isinstance(ref, dict) or "program" not in ref or "benchmark" not in ref:
            raise UsageError(f"{where} ({c['name']}): \"reference\" needs \"program\" and \"benchmark\"")
        recorded = c.get("recorded_ratio")
        if recorded is not None and (not isinstance(recorded, (int, float)) or recorded <= 0):
            raise UsageError(f"{where} ({c['name']}): \"recorded_ratio\" must be a positive number or null")
        if not isinstance(c["tolerance"], (int, float)) or c["tolerance"] < 0:
            raise UsageError(f"{where} ({c['name']}): \"tolerance\" must be a number >= 0")
    return spec


def needed_benchmarks(checks):
    """{program: [run_name, ...]} in spec order, each program and name once."""
    needed = {}
    for c in checks:
        for prog, bench in ((c["program"], c["benchmark"]),
                            (c["reference"]["program"], c["reference"]["benchmark"])):
            names = needed.setdefault(prog, [])
            if bench not in names:
                names.append(bench)
    return needed


def program_path(build_dir, prog, checks):
    path = os.path.join(build_dir, prog)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        users = sorted({c["name"] for c in checks
                        if prog in (c["program"], c["reference"]["program"])})
        raise UsageError(f"benchmark program not found or not executable: {path} "
                         f"(needed by: {', '.join(users)}; built with CALLROOT_BUILD_BENCHMARKS=ON?)")
    return path


def filter_regex(names):
    # Anchored: the filter is searched, not matched, so BM_ScoreSegments would
    # otherwise also select BM_ScoreSegmentsWith.
    return "^(" + "|".join(regex_escape(n) for n in names) + ")$"


def check_listed(path, names):
    """Fails early, before minutes of running, when a name is not registered."""
    out = subprocess.run([path, "--benchmark_list_tests", "--benchmark_filter=" + filter_regex(names)],
                         capture_output=True, text=True)
    listed = set(out.stdout.split())
    missing = [n for n in names if n not in listed]
    if out.returncode != 0 or missing:
        raise UsageError(f"{path}: benchmark(s) not found: {', '.join(missing) or '(listing failed)'}\n"
                         f"  see: {path} --benchmark_list_tests\n"
                         f"  names are run_names, with any '/min_time:2.000' the code adds")


def run_program(path, names, repetitions, min_time, tmpdir):
    """{run_name: median real time in ns} of one run of the program."""
    out_file = os.path.join(tmpdir, os.path.basename(path) + ".json")
    cmd = [path,
           "--benchmark_filter=" + filter_regex(names),
           f"--benchmark_repetitions={repetitions}",
           f"--benchmark_min_time={min_time:g}",
           "--benchmark_out=" + out_file,
           "--benchmark_out_format=json"]
    # Without repetitions there are no aggregates to keep; the single
    # iteration row then stands for the median.
    if repetitions > 1:
        cmd.append("--benchmark_report_aggregates_only=true")
    print(f"running {path} ({len(names)} benchmarks) ...", file=sys.stderr, flush=True)
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise UsageError(f"{path} exited with status {proc.returncode}\n  command: {' '.join(cmd)}\n{tail}")
    print(f"  done in {time.monotonic() - start:.0f} s", file=sys.stderr, flush=True)
    with open(out_file) as f:
        report = json.load(f)

    times = {}
    samples = {}
    for row in report.get("benchmarks", []):
        name = row.get("run_name", row.get("name"))
        if row.get("error_occurred"):
            raise UsageError(f"{path}: benchmark {name} reported an error: {row.get('error_message', '?')}")
        ns = row["real_time"] * NS_PER_UNIT[row.get("time_unit", "ns")]
        if repetitions > 1:
            if row.get("run_type") == "aggregate" and row.get("aggregate_name") == "median":
                times[name] = ns
        elif row.get("run_type", "iteration") == "iteration":
            samples.setdefault(name, []).append(ns)
    for name, values in samples.items():
        times.setdefault(name, statistics.median(values))
    missing = [n for n in names if n not in times]
    if missing:
        raise UsageError(f"{path}: no result for {', '.join(missing)} in {out_file}")
    return times


def fmt_time(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def print_table(rows):
    header = ("check", "time", "reference", "ratio", "recorded", "change", "result")
    table = [header] + rows
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for r in table:
        # The label left-aligned, the figures right-aligned.
        print("  ".join(r[0].ljust(widths[0]) if i == 0 else r[i].rjust(widths[i])
                        for i in range(len(r))).rstrip())


def canonical(check):
    """The known keys in a fixed order, then any others as they were, so that
    --update rewrites the file with a minimal diff."""
    out = {k: check[k] for k in CHECK_KEYS if k in check}
    out.update((k, v) for k, v in check.items() if k not in out)
    return out


def main():
    ap = argparse.ArgumentParser(
        description="Compare benchmark time ratios (to a same-run reference) with the recorded ones.")
    ap.add_argument("build_dir", help="a Release build directory, e.g. build-rel")
    ap.add_argument("--spec", default=os.path.join(HERE, "regress.json"),
                    help="the checks (default: %(default)s)")
    ap.add_argument("--repetitions", type=int, default=3,
                    help="repetitions per benchmark; the median is compared (default: %(default)s)")
    ap.add_argument("--min-time", type=float, default=1.0,
                    help="seconds per repetition, unless the benchmark sets its own MinTime (default: %(default)s)")
    ap.add_argument("--filter", default="",
                    help="only the checks whose name or benchmark contains this substring")
    ap.add_argument("--update", action="store_true",
                    help="write this run's ratios into the spec as recorded_ratio")
    args = ap.parse_args()

    try:
        if args.repetitions < 1:
            raise UsageError("--repetitions must be at least 1")
        if args.min_time <= 0:
            raise UsageError("--min-time must be positive")
        if not os.path.isdir(args.build_dir):
            raise UsageError(f"build directory not found: {args.build_dir}")
        spec = load_spec(args.spec)
        checks = [c for c in spec if args.filter in c["name"] or args.filter in c["benchmark"]]
        if not checks:
            raise UsageError(f"no check in {args.spec} matches --filter {args.filter!r}")

        needed = needed_benchmarks(checks)
        paths = {prog: program_path(args.build_dir, prog, checks) for prog in needed}
        for prog, names in needed.items():
            check_listed(paths[prog], names)

        times = {}
        with tempfile.TemporaryDirectory(prefix="callroot-regress-") as tmpdir:
            for prog, names in needed.items():
                for name, ns in run_program(paths[prog], names, args.repetitions,
                                            args.min_time, tmpdir).items():
                    times[(prog, name)] = ns
    except UsageError as e:
        print(f"regress.py: {e}", file=sys.stderr)
        return 2

    rows = []
    ratios = {}  # id(check) -> this run's ratio
    failed = 0
    for c in checks:
        t = times[(c["program"], c["benchmark"])]
        ref = times[(c["reference"]["program"], c["reference"]["benchmark"])]
        ratio = t / ref
        recorded = c.get("recorded_ratio")
        if recorded is None:
            change, result = "", "NEW"
        else:
            delta = ratio / recorded - 1.0
            change = f"{delta * 100:+.1f} %"
            result = "FAIL" if delta > c["tolerance"] else "PASS"
            failed += result == "FAIL"
        rows.append((c["name"], fmt_time(t), fmt_time(ref), f"{ratio:.4g}",
                     "-" if recorded is None else f"{recorded:.4g}", change, result))
        ratios[id(c)] = ratio
    print_table(rows)

    if args.update:
        for c in checks:
            c["recorded_ratio"] = float(f"{ratios[id(c)]:.4g}")
        with open(args.spec, "w") as f:
            json.dump([canonical(c) for c in spec], f, indent=2)
            f.write("\n")
        print(f"recorded {len(checks)} ratio(s) in {args.spec}")
        return 0
    if failed:
        print(f"{failed} of {len(checks)} check(s) FAILED (ratio more than its tolerance above the recorded one)")
        return 1
    print(f"all {len(checks)} check(s) passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
