#!/bin/sh
# The NATS figures of BENCHMARKS.md in one run: ingest-to-verdict over ZeroMQ
# loopback (the reference) and over NATS JetStream, then routing and scoring
# with 1, 2 and 4 instances beside a replay of the same files.
# Usage: bench/nats.sh BUILD_DIR [nats_bench options]
set -eu
build=${1:?usage: bench/nats.sh BUILD_DIR [nats_bench options]}
shift
"$build/bench/runtime/zmq_latency_bench" 2000
"$build/bench/runtime/nats_bench" "$@"
