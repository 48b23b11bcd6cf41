#!/usr/bin/env python3
"""The web month page beside the sync store: a stack with the page cache off whose database
holds 100,000 messages (demo@example.com's history, built by bench/import_history), wrk on
/calendar?month=2023-07 alone, then again while 2,000-mail bursts are stored through the store
back to back; prints both req/s, their ratio and the non-2xx answers beside the target (0).
Called by bench/run; binaries from $CRM_BIN, the bench program from $CRM_BIN/../bench."""
import os
import subprocess
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib_web as w  # noqa: E402
import web as wb  # noqa: E402

HISTORY = int(os.environ.get("BENCH_WEB_HISTORY", "100000"))
BURST = int(os.environ.get("BENCH_BURST", "2000"))
TOOL = os.path.join(os.environ.get("CRM_BIN", os.path.join(ROOT, "build", "bin")), "..", "bench",
                    "import_history")


class Bursts:
    """Bursts of BURST mails stored one after another until stopped."""

    def __init__(self, db, link):
        self.db, self.link, self.stop = db, link, threading.Event()
        self.stored, self.rates, self.pages, self.failed = 0, [], [], 0
        self.t = threading.Thread(target=self.run, daemon=True)

    def run(self):
        k = 0
        while not self.stop.is_set():
            r = subprocess.run([TOOL, "--db", self.db, "--link", str(self.link), "--burst",
                                str(BURST), "--first", str(k * BURST)],
                               capture_output=True, text=True, timeout=600)
            k += 1
            parts = r.stdout.split()
            if r.returncode != 0 or len(parts) < 7:
                self.failed += 1
                continue
            self.stored += int(parts[0])
            self.rates.append(float(parts[2]))
            self.pages.append(float(parts[6]))

    def __enter__(self):
        self.t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.t.join()


def main():
    if not os.path.exists(TOOL):
        print("bench/web_burst: %s is missing: make benches" % TOOL)
        return 1
    st = w.Stack(extra_core="page_cache = 0\n")
    try:
        st.start()
        db = st.db()
        n = wb.seed(db)
        demo = w.user_id(db, "demo@example.com")
        db.execute("INSERT INTO links (user_id, provider, address, linked_at) VALUES (?, 'imap',"
                   " 'demo@example.com', strftime('%s', 'now'))", (demo,))
        link = db.execute("SELECT id FROM links WHERE user_id = ?", (demo,)).fetchone()[0]
        path = os.path.join(st.dir, "crm.db")
        t0 = time.monotonic()
        subprocess.run([TOOL, "--db", path, "--link", str(link), "--history", str(HISTORY)],
                       check=True, timeout=1200)
        built = time.monotonic() - t0
        c = st.client()
        if c.login("demo@example.com", "demo").status != 303:
            print("bench/web_burst: cannot log in")
            return 1
        cookie = "crm_session=" + c.cookies["crm_session"]
        url = st.url + "/calendar?month=2023-07"
        wb.wrk(url, cookie, "2s")
        alone = wb.wrk(url, cookie)
        with Bursts(path, link) as b:
            busy = wb.wrk(url, cookie)
        stored = db.execute("SELECT count(*) FROM messages").fetchone()[0]
        print("web month page beside the store: %d items in July 2023, %d messages stored"
              " (history built in %.0f s), page cache off, wrk -t2 -c%d -d%s"
              % (n, stored, built, wb.CONNS, wb.DURATION))
        print("  alone:                   %7.0f req/s  p99 %7.2f ms  non-2xx %d"
              % (alone["rps"], alone["p99"], alone["non2xx"]))
        print("  during %d bursts of %d:  %7.0f req/s  p99 %7.2f ms  non-2xx %d   (target 0: %s)"
              % (len(b.rates), BURST, busy["rps"], busy["p99"], busy["non2xx"],
                 wb.verdict(busy["non2xx"] == 0 and not busy["errors"])))
        print("  ratio during / alone:    %7.2f" % (busy["rps"] / alone["rps"] if alone["rps"] else 0))
        if b.rates:
            print("  the bursts meanwhile:    %7.0f mails/s (median of %d), longest page %.0f ms,"
                  " %d mails stored, %d bursts failed" % (sorted(b.rates)[len(b.rates) // 2],
                                                         len(b.rates), max(b.pages), b.stored,
                                                         b.failed))
        if busy["errors"]:
            print("  " + busy["errors"])
        return 0
    finally:
        st.stop()
        for p in st.problems():
            print("bench/web_burst: " + p)


if __name__ == "__main__":
    sys.exit(main())
