"""The incident as it happened: MTA processes writing each reject straight into the database
(bench/direct-writer), each over a connection of its own."""
import json
import os
import subprocess
import threading
import time

from .common import BIN, psql

def bench_direct(work, pg, phases, sluice_flood_rate):
    """MTA processes writing each reject straight into the database (the incident)."""
    rate = max(1000, int(sluice_flood_rate))
    out = os.path.join(work, "direct.json")
    # The MTA's own role, not a superuser: it cannot take the slots kept for superusers.
    psql("CREATE ROLE mta LOGIN; CREATE TABLE direct_rejects (received_at timestamptz, "
         "client_ip inet, reason text, raw text); GRANT INSERT ON direct_rejects TO mta", pg.env)
    conninfo = f"host={pg.env['PGHOST']} dbname=sluice user=mta"
    peak = [0]
    stop = threading.Event()

    def sampler():
        while not stop.is_set():
            n = pg.connections()
            if n is not None:
                peak[0] = max(peak[0], n)
            stop.wait(0.5)

    thread = threading.Thread(target=sampler, daemon=True)
    thread.start()
    with open(out, "w") as f:
        proc = subprocess.Popen([os.path.join(BIN, "bench/direct-writer"), conninfo,
                                 "--processes", "100", "--rate", str(rate),
                                 "--seconds", str(phases.flood_s)], stdout=f)
        time.sleep(phases.down_at)
        pg.stop()
        time.sleep(phases.down_for)
        pg.start()
        proc.wait()
    stop.set()
    thread.join()
    with open(out) as f:
        report = json.load(f)
    report["peak_connections"] = peak[0]
    return report
