"""What every target of the incident shares: paths, the throwaway PostgreSQL (max_connections
20, fsync on), the phases, the attack sender, and small helpers."""
import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "build/release")
MAX_CONNECTIONS = 20


def sh(*args, **kwargs):
    return subprocess.run(args, check=True, cwd=ROOT, **kwargs)


def psql(sql, env):
    """One value (or None when the database does not answer)."""
    r = subprocess.run(["psql", "-XtAc", sql], env=env, capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def rss_mib(pid, key="VmRSS"):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Pg:
    """tools/pg-sandbox in WORK/pg, fsync on; max_connections MAX_CONNECTIONS unless given
    (None: the server's default, 100)."""

    def __init__(self, work, max_connections=MAX_CONNECTIONS):
        self.dir = os.path.join(work, "pg")
        self.max_connections = max_connections
        out = self.start()
        self.env = os.environ.copy()
        for line in out.splitlines():
            if line.startswith("export "):
                for name, value in re.findall(r"(\w+)=(\S+)", line):
                    self.env[name] = value.strip("'\"")
        self.conninfo = f"host={self.env['PGHOST']} dbname=sluice user=sluice"

    def stop(self):
        sh("tools/pg-sandbox", "stop", self.dir, capture_output=True)

    def start(self):
        """Starts the server (initdb the first time); returns the PG* variables it prints."""
        env = os.environ.copy()
        if self.max_connections is not None:
            env["PG_SANDBOX_OPTS"] = f"-c max_connections={self.max_connections}"
        return sh("tools/pg-sandbox", "start", self.dir, "--fsync", env=env,
                  capture_output=True, text=True).stdout

    def destroy(self):
        subprocess.run(["tools/pg-sandbox", "destroy", self.dir], cwd=ROOT, capture_output=True)

    def connections(self, application=None):
        where = f" WHERE application_name = '{application}'" if application else \
            " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
        value = psql("SELECT count(*) FROM pg_stat_activity" + where, self.env)
        return int(value) if value else None


class Phases:
    """normal → flood (database stopped from down_at for down_for) → recovery."""

    def __init__(self, quick):
        self.normal_s, self.flood_s, self.recovery_s = (5, 25, 10) if quick else (10, 60, 20)
        self.down_at, self.down_for = (8, 8) if quick else (20, 20)
        self.normal_rate = 2000   # ordinary mail lines/s throughout
        self.quiet_rejects = 200  # rejects/s outside the flood


def attack(socket_path, seconds, out, rate=0, senders=1, ips=100_000, normal_rate=2000):
    args = [os.path.join(BIN, "tools/sluice-attack"), socket_path, "--seconds", str(seconds),
            "--count", "1000000000", "--ips", str(ips), "--zipf", "1", "--mta", "mix",
            "--senders", str(senders), "--normal-rate", str(normal_rate), "--report", out]
    if rate:
        args += ["--rate", str(rate)]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL)


def totals(reports):
    sent = sum(reports[p]["sent"] for p in ("normal", "flood", "recovery"))
    normal = sum(reports[p]["normal_sent"] for p in ("normal", "flood", "recovery"))
    return sent, normal
