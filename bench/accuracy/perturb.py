#!/usr/bin/env python3
"""Variants of a scenario that another generator, or another controller,
might produce: the same network and faults with telemetry reported
differently. Used by perturbed.sh to check that attribution does not lean on
one generator's habits.

    perturb.py MODE IN.jsonl[.gz] OUT.jsonl

MODE:
  60s           every telemetry series at half the rate (every other sample)
  nodevice      no client.device records (no endpoint CPU telemetry)
  noretries     wifi.client records without their retry columns
  oneend        switch.port records only for the port nearer the client of
                each switch-to-switch link (the upstream end unreported)
  noswitch      no switch.port records (switches not polled)
  noap          no wifi.ap records (radio statistics not exported)
  snmp300       switch.port and wan.link polled every 5 minutes (every tenth sample)
  latecalls     every call.segment record delivered 30 minutes after its end, as
                Graph call records come in (the file stays in arrival order)
"""
import gzip
import json
import sys

TELEMETRY = ("wifi.client", "wifi.ap", "switch.port", "wan.link", "client.device")


def event_ms(v):
    """RFC 3339 or integer milliseconds, as the contract allows."""
    if isinstance(v, (int, float)):
        return int(v)
    from datetime import datetime
    return int(datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp() * 1000)


def series_key(r):
    for k in ("client", "ap", "switch", "link", "device"):
        if k in r:
            return (r["type"], str(r[k]), str(r.get("port", "")), str(r.get("band", r.get("radio", ""))))
    return (r["type"],)


def main():
    mode, src, dst = sys.argv[1:4]
    opener = gzip.open if src.endswith(".gz") else open
    seen = {}
    held = []  # latecalls: (when it is delivered, the line), in order
    upstream = set()  # (switch, port) of the upper end of each switch-to-switch link
    with opener(src, "rt") as inp, open(dst, "w") as out:
        for line in inp:
            r = json.loads(line)
            t = r.get("type")
            if t == "inventory.switch" and isinstance(r.get("uplink"), dict) and "switch" in r["uplink"]:
                upstream.add((r["uplink"]["switch"], r["uplink"].get("port")))
            if mode == "60s" and t in TELEMETRY:
                k = series_key(r)
                n = seen.get(k, 0)
                seen[k] = n + 1
                if n % 2:
                    continue
            elif mode == "nodevice" and t == "client.device":
                continue
            elif mode == "noretries" and t == "wifi.client":
                r = {f: v for f, v in r.items() if "retr" not in f}
            elif mode == "oneend" and t == "switch.port" and (r.get("switch"), r.get("port")) in upstream:
                continue
            elif (mode == "noswitch" and t == "switch.port") or (mode == "noap" and t == "wifi.ap"):
                continue
            elif mode == "snmp300" and t in ("switch.port", "wan.link"):
                k = series_key(r)
                n = seen.get(k, 0)
                seen[k] = n + 1
                if n % 10:
                    continue
            elif mode == "latecalls" and t == "call.segment":
                held.append((event_ms(r["end"]) + 30 * 60_000, line))
                continue
            if mode == "latecalls" and t in TELEMETRY:
                now = event_ms(r["ts"])
                while held and held[0][0] <= now:
                    out.write(held.pop(0)[1])
            out.write(json.dumps(r) + "\n")
        for _, line in held:
            out.write(line)


if __name__ == "__main__":
    main()
