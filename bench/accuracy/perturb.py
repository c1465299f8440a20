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
"""
import gzip
import json
import sys

TELEMETRY = ("wifi.client", "wifi.ap", "switch.port", "wan.link", "client.device")


def series_key(r):
    for k in ("client", "ap", "switch", "link", "device"):
        if k in r:
            return (r["type"], str(r[k]), str(r.get("port", "")), str(r.get("band", r.get("radio", ""))))
    return (r["type"],)


def main():
    mode, src, dst = sys.argv[1:4]
    opener = gzip.open if src.endswith(".gz") else open
    seen = {}
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
            out.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
