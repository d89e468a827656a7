"""rsyslog 8 + ompgsql with a disk-assisted queue, as an instance of its own (own config, pid
file, work dir and socket; never the system's logging)."""
import os
import signal
import subprocess
import time

from .common import psql, rss_mib, totals
from .scenario import run_scenario

def bench_rsyslog(work, pg, phases):
    """rsyslog 8 + ompgsql + a disk-assisted queue, as its own instance."""
    rdir = os.path.join(work, "rsyslog")
    os.makedirs(os.path.join(rdir, "spool"))
    os.chmod(work, 0o711)
    socket_path = os.path.join(rdir, "log.sock")
    psql("CREATE TABLE IF NOT EXISTS rsyslog_rejects (received_at timestamptz, raw text)", pg.env)
    conf = os.path.join(rdir, "rsyslog.conf")
    with open(conf, "w") as f:
        f.write(f'''global(workDirectory="{rdir}/spool")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="{socket_path}" CreatePath="on")
module(load="ompgsql")
template(name="row" type="string" option.sql="on"
         string="INSERT INTO rsyslog_rejects (received_at, raw) VALUES (now(), '%rawmsg%')")
if $msg contains "reject" or $msg contains "rejected" or $msg contains "PREGREET" or
   $msg contains "User unknown" or $msg contains "Relaying denied" or
   $msg contains "pre-greeting" then {{
  action(type="ompgsql" conninfo="postgresql://sluice@/sluice?host={pg.env['PGHOST']}" template="row"
         queue.type="LinkedList" queue.filename="pgq" queue.saveOnShutdown="on"
         queue.maxDiskSpace="1g" queue.size="100000" action.resumeRetryCount="-1"
         action.resumeInterval="1")
}}
''')
    pidfile = os.path.join(rdir, "rsyslogd.pid")
    proc = subprocess.Popen(["rsyslogd", "-n", "-f", conf, "-i", pidfile],
                            stderr=open(os.path.join(rdir, "rsyslogd.log"), "w"))
    for _ in range(100):
        if os.path.exists(socket_path):
            break
        time.sleep(0.1)
    peak_rss = [0.0]
    peak_conn = [0]

    def sample():
        peak_rss[0] = max(peak_rss[0], rss_mib(proc.pid, "VmHWM"))
        n = pg.connections()
        if n:
            peak_conn[0] = max(peak_conn[0], n)
        rows = psql("SELECT count(*) FROM rsyslog_rejects", pg.env)
        return {"rows": int(rows) if rows is not None else None, "rss_mib": rss_mib(proc.pid)}

    reports, timeline, stop, thread, start = run_scenario(
        "rsyslog", socket_path, pg, phases, work, sample)
    sent, normal = totals(reports)
    drain_from = time.time()
    last, still = -1, 0
    while time.time() - drain_from < 120 and still < 10:  # until rows stop moving for 10 s
        rows = int(psql("SELECT count(*) FROM rsyslog_rejects", pg.env) or 0)
        still = still + 1 if rows == last else 0
        last = rows
        time.sleep(1)
    stop.set()
    thread.join()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    rows, distinct = [int(x) for x in psql(
        "SELECT count(*) || ' ' || count(DISTINCT raw) FROM rsyslog_rejects", pg.env).split()]
    return {"name": "rsyslog", "reports": reports, "sent": sent, "normal": normal, "rows": rows,
            "duplicates": rows - distinct, "lost": max(0, sent - distinct),
            "drain_s": time.time() - drain_from, "peak_rss_mib": peak_rss[0],
            "peak_connections": peak_conn[0], "timeline": timeline}
