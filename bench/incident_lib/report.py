"""The report: markdown with the three targets side by side, and the gnuplot timeline."""
import os
import shutil
import subprocess

from .common import MAX_CONNECTIONS

def plot_timeline(result, work):
    if not shutil.which("gnuplot"):
        return
    data = os.path.join(work, "timeline.dat")
    prev = None
    with open(data, "w") as f:
        for r in result["timeline"]:
            ingest = rows = events = 0
            if prev is not None:
                dt = max(r["t"] - prev["t"], 1e-3)
                ingest = (r["received"] - prev["received"]) / dt
                if r["rows"] is not None and prev["rows"] is not None:
                    rows = (r["rows"] - prev["rows"]) / dt
                    events = (r["events"] - prev["events"]) / dt
            f.write(f'{r["t"]:.1f} {ingest:.0f} {rows:.0f} {r["backlog_events"]} '
                    f'{r["spool_disk_mib"]:.2f} {r["flood"]} {r["rss_mib"]:.1f} '
                    f'{r["connections"] if r["connections"] is not None else 0} {events:.0f}\n')
            prev = r
    down = result["reports"]["outage"]
    png = os.path.join(work, "timeline.png")
    script = f'''set terminal pngcairo size 1100,800 font ",10"
set output "{png}"
set multiplot layout 3,1 title "sluice under the incident: flood with the database down from {down[0]:.0f} s to {down[1]:.0f} s"
set object 1 rect from {down[0]},graph 0 to {down[1]},graph 1 fc rgb "#f4cccc" fs solid 0.5 behind
set xlabel "seconds"
set ylabel "events/s"
plot "{data}" using 1:2 with lines lw 2 title "ingest (datagrams/s)", "" using 1:9 with lines lw 2 title "events/s into PostgreSQL (detail + aggregated)", "" using 1:3 with lines lw 2 title "rows/s into PostgreSQL"
set ylabel "events"
set y2label "MiB"
set y2tics
plot "{data}" using 1:4 with lines lw 2 title "backlog (events in the spool)", "" using 1:5 axes x1y2 with lines title "spool on disk (MiB)", "" using 1:7 axes x1y2 with lines title "RSS (MiB)"
unset y2tics
unset y2label
set ylabel "count"
set yrange [0:*]
plot "{data}" using 1:8 with steps lw 2 title "sluiced's connections", "" using 1:6 with steps title "flood (0/1)"
unset multiplot
'''
    subprocess.run(["gnuplot"], input=script, text=True, check=False)
    result["plot"] = png


def plot_comparison(results, work):
    """sluice and rsyslog on the same axes: rejects landed per second, rejects landed in all,
    and RSS. sluice's landed events are detail + aggregated (the ledger's events); rsyslog's
    are its rows (one per reject)."""
    s, r = results.get("sluice"), results.get("rsyslog")
    if not (s and r) or not shutil.which("gnuplot"):
        return
    files = {}
    for name, result, key in (("sluice", s, "events"), ("rsyslog", r, "rows")):
        path = os.path.join(work, f"compare-{name}.dat")
        prev = None
        with open(path, "w") as f:
            for row in result["timeline"]:
                landed = row[key] if row[key] is not None else (prev[1] if prev else 0)
                rate = 0.0
                if prev is not None:
                    rate = (landed - prev[1]) / max(row["t"] - prev[0], 1e-3)
                f.write(f'{row["t"]:.1f} {rate:.0f} {landed} {row["rss_mib"]:.1f}\n')
                prev = (row["t"], landed)
        files[name] = path
    down = s["reports"]["outage"]
    flood = (s["reports"]["normal_end"], s["reports"]["flood_end"])
    png = os.path.join(work, "comparison.png")
    a, b = files["sluice"], files["rsyslog"]
    script = f'''set terminal pngcairo size 1100,800 font ",10"
set output "{png}"
set multiplot layout 3,1 title "The same incident into sluice and into rsyslog + ompgsql (flood {flood[0]:.0f}-{flood[1]:.0f} s, database down {down[0]:.0f}-{down[1]:.0f} s)"
set object 1 rect from {down[0]},graph 0 to {down[1]},graph 1 fc rgb "#f4cccc" fs solid 0.5 behind
set xlabel "seconds"
set ylabel "rejects/s"
plot "{a}" using 1:2 with lines lw 2 title "sluice: rejects landed/s (detail + aggregated)", "{b}" using 1:2 with lines lw 2 title "rsyslog: rejects landed/s (rows)"
set ylabel "rejects"
plot "{a}" using 1:3 with lines lw 2 title "sluice: rejects landed in all", "{b}" using 1:3 with lines lw 2 title "rsyslog: rejects landed in all"
set ylabel "MiB"
set yrange [0:*]
plot "{a}" using 1:4 with lines lw 2 title "sluiced RSS", "{b}" using 1:4 with lines lw 2 title "rsyslogd RSS"
unset multiplot
'''
    subprocess.run(["gnuplot"], input=script, text=True, check=False)
    results["comparison_plot"] = png


def fmt(n):
    return f"{n:,.0f}" if isinstance(n, (int, float)) else str(n)


def report(results, phases, out):
    s = results.get("sluice")
    lines = ["# The incident, replayed", "",
             f"Normal mail {phases.normal_s} s, flood {phases.flood_s} s (the database stopped "
             f"from {phases.down_at} s into the flood for {phases.down_for} s), recovery "
             f"{phases.recovery_s} s; PostgreSQL 15 with max_connections = {MAX_CONNECTIONS} and "
             f"fsync on; ordinary mail lines at {phases.normal_rate}/s throughout. Senders: "
             "`sluice-attack` (blocking, like syslog(3); 100,000 addresses, Zipf; Postfix, Exim "
             "and Sendmail wording). Generated by `bench/incident` — every figure from this run.",
             ""]
    if s:
        flood = s["reports"]["flood"]
        lines += ["## sluice", "",
                  "| accounting | events |", "|---|---:|",
                  f"| rejects sent | {fmt(s['sent'])} |",
                  f"| ordinary lines sent (counted as ignored) | {fmt(s['normal'])} |",
                  f"| received by sluiced | {fmt(s['counters'].get('received', '?'))} |",
                  f"| detail rows (sluice.events) | {fmt(s['detail'])} |",
                  f"| in aggregates (sluice.aggregates) | {fmt(s['aggregated'])} |",
                  f"| shed (sluice.shed) | {fmt(s['shed'])} |",
                  f"| **detail + aggregated + shed − sent** | **{s['detail'] + s['aggregated'] + s['shed'] - s['sent']}** |",
                  f"| rows written in all | {fmt(s['rows'])} |", "",
                  "| measure | value |", "|---|---:|",
                  f"| flood: accepted datagrams/s | {fmt(flood['rate_per_s'])} |",
                  f"| sender send latency p50 / p99 / p99.9 / max (µs) | "
                  f"{flood['send_latency_us']['p50']:.1f} / {flood['send_latency_us']['p99']:.1f} / "
                  f"{flood['send_latency_us']['p99_9']:.1f} / {flood['send_latency_us']['max']:.0f} |",
                  f"| sends blocked > 1 ms (flood) | {fmt(flood['sends_over_1ms'])} |",
                  f"| total time senders spent in send() (flood, s) | {flood['send_blocked_total_us'] / 1e6:.2f} |",
                  f"| sluiced's peak database connections (writers = 2) | {s['peak_connections']} |",
                  f"| peak RSS of sluiced (MiB) | {s['peak_rss_mib']:.0f} |",
                  f"| time to drain after the last send (s) | {s['drain_s']:.1f} |", ""]
        if s.get("ladder"):
            lines += ["Ladder, as sluiced logged it:", "", "```"] + s["ladder"] + ["```", ""]
        if s.get("plot"):
            lines += [f"![timeline]({os.path.basename(s['plot'])})", ""]
    d, r = results.get("direct"), results.get("rsyslog")
    if results.get("comparison_plot"):
        lines += ["## sluice and rsyslog on the same axes", "",
                  f"![comparison]({os.path.basename(results['comparison_plot'])})", ""]
    if d or r:
        lines += ["## Side by side", "", "| | sluice | " + ("direct writes (the incident) | " if d else "") +
                  ("rsyslog + ompgsql (DA queue) |" if r else ""),
                  "|---|---:|" + ("---:|" if d else "") + ("---:|" if r else "")]

        def row(label, sv, dv="", rv=""):
            lines.append(f"| {label} | {sv} | " + (f"{dv} | " if d else "") + (f"{rv} |" if r else ""))

        sf = s["reports"]["flood"] if s else None
        rf = r["reports"]["flood"] if r else None
        row("flood rejects/s accepted", fmt(sf["rate_per_s"]) if sf else "",
            f"{fmt(d['written'] / d['seconds'])} written" if d else "",
            fmt(rf["rate_per_s"]) if rf else "")
        row("rejects neither in the database nor counted at the end",
            fmt(s["sent"] - s["detail"] - s["aggregated"] - s["shed"]) if s else "",
            f"{fmt(d['not_written'])} never written" if d else "",
            fmt(r["lost"]) if r else "")
        row("duplicates", "0 (ledger)", "", fmt(r["duplicates"]) if r else "")
        row("longest time a sender was held (ms)",
            f"{sf['send_latency_us']['max'] / 1000:.1f}" if sf else "",
            f"{d['held_ms']['max']:.0f}" if d else "",
            f"{rf['send_latency_us']['max'] / 1000:.1f}" if rf else "")
        row("p99.9 of a send / a write (ms)",
            f"{sf['send_latency_us']['p99_9'] / 1000:.2f}" if sf else "",
            f"{d['held_ms']['p99_9']:.0f}" if d else "",
            f"{rf['send_latency_us']['p99_9'] / 1000:.2f}" if rf else "")
        row("total time senders were held (s)",
            f"{sf['send_blocked_total_us'] / 1e6:.1f}" if sf else "",
            f"{d['blocked_total_s']:.0f}" if d else "",
            f"{rf['send_blocked_total_us'] / 1e6:.1f}" if rf else "")
        row("peak database connections", f"{s['peak_connections']}" if s else "",
            f"{d['peak_connections']} of {MAX_CONNECTIONS}" if d else "",
            f"{r['peak_connections']}" if r else "")
        row("MTA processes that never got a connection", "0", 
            f"{d['processes_never_connected']} of {d['processes']}" if d else "", "0")
        row("peak RSS (MiB)", f"{s['peak_rss_mib']:.0f}" if s else "", "",
            f"{r['peak_rss_mib']:.0f}" if r else "")
        row("rows written", fmt(s["rows"]) if s else "", fmt(d["written"]) if d else "",
            fmt(r["rows"]) if r else "")
        lines.append("")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write(text)
    return text
