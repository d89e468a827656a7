"""The three phases against one target, with a sampler thread taking a row of figures every
second."""
import json
import os
import sys
import threading
import time

from .common import attack

def run_scenario(name, socket_path, pg, phases, work, sample, outage=True):
    """Drives the three phases against `socket_path`; returns the attack reports."""
    reports = {}
    timeline = []
    stop_sampling = threading.Event()
    start = time.time()

    def sampler():
        while not stop_sampling.is_set():
            tick = time.time()
            row = sample()
            row["t"] = tick - start
            timeline.append(row)
            stop_sampling.wait(max(0.0, 1.0 - (time.time() - tick)))

    thread = threading.Thread(target=sampler, daemon=True)
    thread.start()
    for phase, seconds, rate, senders in (
            ("normal", phases.normal_s, phases.quiet_rejects, 1),
            ("flood", phases.flood_s, 0, 2),
            ("recovery", phases.recovery_s, phases.quiet_rejects, 1)):
        out = os.path.join(work, f"{name}-{phase}.json")
        print(f"incident: {name}: {phase} ({seconds} s)", file=sys.stderr, flush=True)
        proc = attack(socket_path, seconds, out, rate=rate, senders=senders,
                      normal_rate=phases.normal_rate)
        if phase == "flood" and outage:
            time.sleep(phases.down_at)
            down_since = time.time()
            pg.stop()
            time.sleep(phases.down_for)
            pg.start()
            reports["outage"] = (down_since - start, time.time() - start)
        proc.wait()
        with open(out) as f:
            reports[phase] = json.load(f)
        reports[phase + "_end"] = time.time() - start
    return reports, timeline, stop_sampling, thread, start
