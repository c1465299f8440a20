#!/usr/bin/env bash
# Runs the shipped unit (packaging/callroot.service) under a real systemd, as
# an operator would: start (Type=notify, READY=1), the listener's /readyz,
# `systemctl reload` with a changed and then a broken configuration,
# `systemctl stop` (the checkpoint saved, private to the service). systemd
# runs as PID 1 of a PID and mount namespace of its own, with /run, /tmp and
# /var on tmpfs there, so nothing of the host is touched. Needs root (to make
# the namespaces) and the `systemd` package; the CI machines run the test
# suite in containers where this is not always allowed, so it is run by hand:
#
#   sudo tools/systemd-check.sh [build/cli/callroot]
#
# Exit 0 when every step did what docs/operations.md says.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=$(realpath "${1:-build/cli/callroot}")
repo=$PWD
[ "$(id -u)" = 0 ] || { echo "systemd-check: needs root (namespaces for systemd)" >&2; exit 2; }
[ -x /lib/systemd/systemd ] || { echo "systemd-check: needs the systemd package" >&2; exit 2; }

boot=$(mktemp "$repo/build/systemd-boot.XXXXXX")
trap 'rm -f "$boot"' EXIT
cat > "$boot" <<EOF
#!/bin/bash
set -e
mount --make-rprivate /
for d in /run /tmp /var/tmp /var/lib /var/log; do mount -t tmpfs tmpfs \$d; done
mkdir -p /run/systemd/system /run/callroot
cp "$binary" /run/callroot/callroot
cp -r "$repo/data/rules" /run/callroot/rules
cat > /run/callroot/run.json <<'JSON'
{"pull": ["tcp://127.0.0.1:17711"], "sub": ["tcp://127.0.0.1:17710"], "pub": ["tcp://127.0.0.1:17720"],
 "rules": ["/run/callroot/rules"], "checkpoint": "/var/lib/callroot/state.ckpt",
 "metrics_listen": "127.0.0.1:19464", "attribution": "combined"}
JSON
sed 's#^ExecStart=/usr/bin/callroot run --config /etc/callroot/run.json#ExecStart=/run/callroot/callroot run --config /run/callroot/run.json#' \
  "$repo/packaging/callroot.service" > /run/systemd/system/callroot.service
exec /lib/systemd/systemd --system --log-target=null
EOF
chmod +x "$boot"
unshare --pid --fork --mount-proc --mount "$boot" > /dev/null 2>&1 &
outer=$!
pid=""
for _ in $(seq 50); do
  pid=$(pgrep -P "$outer" || true)
  [ -n "$pid" ] && break
  sleep 0.1
done
[ -n "$pid" ] || { echo "systemd-check: systemd did not start" >&2; exit 1; }
trap 'kill -9 "$pid" 2>/dev/null || true; rm -f "$boot"' EXIT
in_ns() { nsenter -t "$pid" -m -p "$@"; }
for _ in $(seq 100); do
  in_ns systemctl is-system-running > /dev/null 2>&1 && break
  state=$(in_ns systemctl is-system-running 2>/dev/null || true)
  case "$state" in running|degraded) break ;; esac
  sleep 0.1
done

# Waits up to 5 s for the service's journal to hold a line with the fixed string $1.
journal_has() {
  for _ in $(seq 50); do
    in_ns journalctl -u callroot --no-pager | grep -qF -- "$1" && return 0
    sleep 0.1
  done
  return 1
}
# Waits up to 5 s for the listener's metric line $1 (the daemon hands its totals over every 200 ms).
metric_is() {
  for _ in $(seq 50); do
    curl -s 127.0.0.1:19464/metrics | grep -qxF -- "$1" && return 0
    sleep 0.1
  done
  return 1
}
fail() { echo "systemd-check: FAILED: $*" >&2; in_ns journalctl -u callroot --no-pager | tail -20 >&2; exit 1; }
step() { echo "systemd-check: $*"; }

in_ns systemctl start callroot || fail "systemctl start"
[ "$(in_ns systemctl show -P ActiveState callroot)" = active ] || fail "not active after start"
step "started: $(in_ns systemctl show -P StatusText callroot)"
curl -sf 127.0.0.1:19464/readyz > /dev/null || fail "/readyz"
step "/readyz: $(curl -s 127.0.0.1:19464/readyz)"

in_ns sed -i 's/"attribution": "combined"/"attribution": "heuristic"/; s/17720/17721/' /run/callroot/run.json
in_ns systemctl reload callroot || fail "systemctl reload"
journal_has "SIGHUP: attribution heuristic" || fail "the new attribution was not taken"
journal_has '`pub` changed in the configuration; it takes effect at the next start' ||
  fail "the changed PUB endpoint was not named"
metric_is 'callroot_config_reloads_total{result="ok"} 1' || fail "the reload was not counted"
step "reloaded: the attribution is heuristic now; the changed PUB endpoint waits for a restart"

in_ns sh -c 'echo "{\"attribution\": " > /run/callroot/run.json'
in_ns systemctl reload callroot || fail "systemctl reload of a broken file"
journal_has "the configuration was not taken, the running one stays" || fail "a broken configuration was not refused"
[ "$(in_ns systemctl show -P ActiveState callroot)" = active ] || fail "not active after a broken reload"
metric_is 'callroot_config_reloads_total{result="failed"} 1' || fail "the refused reload was not counted"
step "refused a broken file; still running"

in_ns systemctl stop callroot || fail "systemctl stop"
journal_has "SIGTERM received, flushing" || fail "no clean stop"
mode=$(in_ns stat -c %a /var/lib/private/callroot/state.ckpt) || fail "no checkpoint in the state directory"
[ "$mode" = 600 ] || fail "the checkpoint is mode $mode, not 600 (UMask=0077)"
step "stopped: checkpoint /var/lib/callroot/state.ckpt, mode $mode"
step "OK"
