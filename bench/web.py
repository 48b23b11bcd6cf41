#!/usr/bin/env python3
"""Web benchmark: wrk against /healthz (the stack's ceiling), /calendar for a month of 300 items,
and nginx serving the same calendar HTML as a static file; prints req/s, ratios, p99 latency and
crm.fcgi's memory beside the targets. Called by bench/web.sh; binaries from $CRM_BIN."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import lib_db  # noqa: E402
import lib_web as w  # noqa: E402

ENGINE = "PostgreSQL" if lib_db.on_pg() else "SQLite"

DURATION = os.environ.get("BENCH_DURATION", "10s")
CONNS = int(os.environ.get("BENCH_CONNECTIONS", "64"))
MONTH = (2023, 7)
# Other binaries (a build of an earlier commit) whose uncached calendar is measured too, in the
# same run, for a before/after on a shared machine.
BASE_BIN = os.environ.get("BENCH_BASE_BIN")


def seed(db):
    """300 items in July 2023 on demo@example.com's calendar: 200 appointments, 100 threads."""
    demo = w.user_id(db, "demo@example.com")
    contacts = db.execute("SELECT c.id, c.account_id, e.email FROM contacts c JOIN contact_emails e"
                          " ON e.contact_id = c.id ORDER BY c.id").fetchall()
    db.execute("BEGIN")
    for i in range(200):
        cid, acct, _ = contacts[i % len(contacts)]
        w.add_appt(db, demo, w.epoch(*MONTH, 1 + i % 31, 7 + (i // 31) % 10, 15 * (i % 4)),
                   "Service visit %03d" % i, account=acct, contact_ids=[cid],
                   location="Site %d" % i)
    for i in range(100):
        cid, acct, email = contacts[(i * 7) % len(contacts)]
        w.add_thread(db, demo, "Pickup schedule question %03d" % i, [
            {"sent_at": w.epoch(*MONTH, 1 + (i * 3) % 31, 8 + i % 9, 5), "from_email": email,
             "from_name": "Contact %d" % cid, "to_list": "demo@example.com",
             "body": "Hello,\nCould you confirm the schedule?\nThanks"}], contact_ids=[cid])
    db.execute("COMMIT")
    n = db.execute("SELECT (SELECT count(*) FROM appointments WHERE start_at BETWEEN ? AND ?) +"
                   " (SELECT count(*) FROM threads WHERE started_at BETWEEN ? AND ?)",
                   (w.epoch(*MONTH, 1), w.epoch(MONTH[0], MONTH[1] + 1, 1),
                    w.epoch(*MONTH, 1), w.epoch(MONTH[0], MONTH[1] + 1, 1))).fetchone()[0]
    return n


class RssSampler:
    """Samples a process's VmRSS every 0.2 s while wrk runs; max_mb is the largest seen."""

    def __init__(self, pid):
        import threading
        self.pid, self.max_mb, self.stop = pid, 0.0, threading.Event()
        self.t = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.wait(0.2):
            try:
                self.max_mb = max(self.max_mb, mem(self.pid).get("VmRSS", 0.0))
            except OSError:
                return

    def __enter__(self):
        self.t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.t.join()


def wrk(url, cookie=None, duration=DURATION):
    cmd = ["wrk", "-t2", "-c%d" % CONNS, "-d" + duration, "--latency"]
    if cookie:
        cmd += ["-H", "Cookie: " + cookie]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=120).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\b", out, re.M)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errs = re.search(r"Socket errors:.*", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    return {"rps": float(rps.group(1)) if rps else 0.0,
            "p99": float(p99.group(1)) * scale[p99.group(2)] if p99 else float("nan"),
            "non2xx": int(bad.group(1)) if bad else 0,
            "errors": errs.group(0) if errs else "", "raw": out}


def mem(pid):
    vals = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                vals[k] = int(v.split()[0]) / 1024.0
    return vals


def verdict(ok):
    return "ok" if ok else "MISSED"


def uncached(static, path, bin_dir=None):
    """wrk against the same calendar on a stack whose page cache is off (every request renders
    the page: its queries, grid and templates), or None."""
    st = w.Stack(bin_dir=bin_dir, static_dir=static, extra_core="page_cache = 0\n")
    try:
        st.start()
        seed(st.db())
        c = st.client()
        if c.login("demo@example.com", "demo").status != 303:
            return None
        cookie = "crm_session=" + c.cookies["crm_session"]
        wrk(st.url + path, cookie, "2s")
        return wrk(st.url + path, cookie)
    finally:
        st.stop()


def main():
    if not shutil.which("wrk"):
        print("bench/web: wrk is not installed (scripts/install-deps)")
        return 1
    tmp = tempfile.mkdtemp(prefix="crm-bench-")
    os.chmod(tmp, 0o755)
    static = os.path.join(tmp, "static")
    shutil.copytree(os.path.join(ROOT, "static"), static)
    os.chmod(static, 0o755)
    st = w.Stack(static_dir=static)
    try:
        st.start()
        n = seed(st.db())
        c = st.client()
        r = c.login("demo@example.com", "demo")
        if r.status != 303 or "crm_session" not in c.cookies:
            print("bench/web: cannot log in (%d); is the web app built?" % r.status)
            return 1
        cookie = "crm_session=" + c.cookies["crm_session"]
        path = "/calendar?month=%04d-%02d" % MONTH
        page = c.get(path)
        if page.status != 200:
            print("bench/web: %s answered %d" % (path, page.status))
            return 1
        with open(os.path.join(static, "bench-calendar.html"), "w") as f:
            f.write(page.body)
        os.chmod(os.path.join(static, "bench-calendar.html"), 0o644)
        wrk(st.url + path, cookie, "2s")   # warm up: statements prepared, pages in cache
        with RssSampler(st.fcgi.pid) as rss:
            hz = wrk(st.url + "/healthz")
            cal = wrk(st.url + path, cookie)
        sta = wrk(st.url + "/static/bench-calendar.html")
        m = mem(st.fcgi.pid)
        cores = os.cpu_count()
        ratio = cal["rps"] / hz["rps"] if hz["rps"] else 0.0
        print("web bench on %s: wrk -t2 -c%d -d%s on %d cores; demo@example.com's July 2023 holds"
              " %d items (page of %d bytes)" % (ENGINE, CONNS, DURATION, cores, n,
                                                len(page.body.encode())))
        for label, res in (("/healthz (stack ceiling)", hz), (path, cal),
                           ("same calendar as a static file", sta)):
            extra = ""
            if res["non2xx"]:
                extra += "  non-2xx: %d" % res["non2xx"]
            if res["errors"]:
                extra += "  " + res["errors"]
            print("  %-32s %9.0f req/s   p99 %7.2f ms%s" % (label, res["rps"], res["p99"], extra))
        load = os.getloadavg()
        print("  load average %.1f %.1f %.1f on %d cores%s" % (load + (cores, (
            ": other work on this machine skews these figures" if load[0] > cores else ""),)))
        print("  calendar / healthz      %6.2f   (target >= 0.60: %s)" % (ratio, verdict(ratio >= 0.6)))
        print("  calendar / static file  %6.2f" % (cal["rps"] / sta["rps"] if sta["rps"] else 0.0))
        print("  calendar p99        %7.2f ms  (target < 10 ms: %s)" % (cal["p99"], verdict(cal["p99"] < 10)))
        print("  crm.fcgi RSS under load %.1f MB  (target < 30 MB: %s); after %.1f MB" % (
            rss.max_mb, verdict(0 < rss.max_mb < 30), m.get("VmRSS", 0)))
        print("  crm.fcgi peak RSS (VmHWM) %.1f MB: includes the login's argon2id hash"
              " (19 MiB, one at a time)" % m.get("VmHWM", 0))
        runs = [("", uncached(static, path, w.BIN))]
        if BASE_BIN:
            runs.append((" with " + BASE_BIN, uncached(static, path, BASE_BIN)))
        for label, unc in runs:
            if not unc:
                print("  uncached calendar%s: the stack did not log in" % label)
                continue
            ur = unc["rps"] / hz["rps"] if hz["rps"] else 0.0
            print("  uncached calendar (page_cache = 0, rendered on every request)%s:" % label)
            print("    %9.0f req/s   p99 %7.2f ms%s" % (unc["rps"], unc["p99"], (
                "  non-2xx: %d" % unc["non2xx"]) if unc["non2xx"] else ""))
            print("    uncached calendar / healthz %6.2f   (target >= 0.50: %s)" % (
                ur, verdict(ur >= 0.5)))
        if cal["non2xx"] or hz["non2xx"]:
            print("  WARNING: non-2xx answers during the run; figures are not valid")
        return 0
    finally:
        st.stop()
        for p in st.problems():
            print("bench/web: " + p)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
