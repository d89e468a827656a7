"""The subject: sluiced between the MTAs' socket and PostgreSQL."""
import os
import re
import signal
import subprocess
import sys
import time

from .common import BIN, psql, rss_mib, sh, totals
from .report import plot_timeline
from .scenario import run_scenario

class Sluiced:
    def __init__(self, work, pg):
        self.work, self.pg = work, pg
        self.socket = os.path.join(work, "sluice.sock")
        self.log = os.path.join(work, "sluiced.log")
        self.config = os.path.join(work, "sluice.toml")
        with open(self.config, "w") as f:
            f.write(f'[ingest]\nsocket = "{self.socket}"\nqueue_mb = 128\n'
                    f'[database]\nconninfo = "{pg.conninfo}"\nwriters = 2\n'
                    f'backoff_max_ms = 1000\n'
                    f'[spool]\ndir = "{work}/spool"\nmemory_mb = 256\n')
        sh(os.path.join(BIN, "src/sluice"), "migrate", "--config", self.config,
           capture_output=True)
        self.proc = subprocess.Popen([os.path.join(BIN, "src/sluiced"), "--config", self.config],
                                     stderr=open(self.log, "w"))
        for _ in range(100):
            if os.path.exists(self.socket):
                break
            time.sleep(0.1)
        self.peak_rss = 0.0
        self.last_counters = {}

    def counters(self):
        """SIGUSR1, then the newest counters line as a dict."""
        before = self._lines()
        self.proc.send_signal(signal.SIGUSR1)
        for _ in range(50):
            lines = self._lines()
            if len(lines) > len(before):
                return dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", lines[-1]))
            time.sleep(0.02)
        return {}

    def _lines(self):
        with open(self.log) as f:
            return [l for l in f if "counters: " in l]

    def sample(self):
        c = self.counters() or self.last_counters  # no answer within 1 s: the last one
        self.last_counters = c
        self.peak_rss = max(self.peak_rss, rss_mib(self.proc.pid, "VmHWM"))
        ledger = psql("SELECT coalesce(sum(rows), 0) || ' ' || coalesce(sum(events), 0) "
                      "FROM sluice.batches", self.pg.env)
        rows, events = ([int(x) for x in ledger.split()] if ledger else (None, None))
        return {"received": c.get("received", 0), "rows": rows, "events": events,
                "backlog_events": c.get("spool_events", 0),
                "spool_memory_mib": c.get("spool_memory_bytes", 0) / 2**20,
                "spool_disk_mib": c.get("spool_disk_bytes", 0) / 2**20,
                "flood": c.get("flood", 0), "ladder_step": c.get("ladder_step", 1),
                "rss_mib": rss_mib(self.proc.pid),
                "connections": self.pg.connections("sluiced")}

    def accounted(self):
        value = psql("SELECT detail_events || ' ' || aggregated_events || ' ' || shed_events "
                     "FROM sluice.accounting", self.pg.env)
        return [int(x) for x in value.split()] if value else [0, 0, 0]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=120)
        with open(self.log) as f:
            stopped = [l for l in f if "stopped: " in l]
        return dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", stopped[-1])) \
            if stopped else {}


def bench_sluice(work, pg, phases, plot):
    daemon = Sluiced(work, pg)
    reports, timeline, stop, thread, start = run_scenario(
        "sluice", daemon.socket, pg, phases, work, daemon.sample)
    sent, normal = totals(reports)
    drain_from = time.time()
    deadline = drain_from + 180
    print(f"incident: sluice: draining ({sent} rejects sent)", file=sys.stderr, flush=True)
    while time.time() < deadline and sum(daemon.accounted()) < sent:
        time.sleep(0.2)
    drained = time.time() - drain_from
    time.sleep(1.5)
    stop.set()
    thread.join()
    counters = daemon.stop()
    detail, aggregated, shed = daemon.accounted()
    rows = int(psql("SELECT (SELECT count(*) FROM sluice.events) + "
                    "(SELECT count(*) FROM sluice.aggregates) + "
                    "(SELECT count(*) FROM sluice.shed)", pg.env))
    peak_conn = max((r["connections"] or 0) for r in timeline)
    with open(os.path.join(work, "sluiced.log")) as f:
        ladder = [l.split("sluice info: ")[-1].strip() for l in f
                  if "flood: " in l]
    result = {"name": "sluice", "reports": reports, "timeline": timeline, "sent": sent,
              "normal": normal, "counters": counters, "detail": detail,
              "aggregated": aggregated, "shed": shed, "rows": rows, "drain_s": drained,
              "peak_connections": peak_conn, "peak_rss_mib": daemon.peak_rss, "ladder": ladder,
              "ok": detail + aggregated + shed == sent and counters.get("received") == sent + normal}
    if plot:
        plot_timeline(result, work)
    return result
