"""A temp CRM database and config for driving the real crm-sync and crmctl binaries.

    from lib_sync import SyncEnv, mail
    env = SyncEnv()                              # temp dir, config, `crmctl init`
    env.user("alice@crm.example")                # CRM user
    env.contact("48958001", "John Smith", "john.smith@example.net")
    link = env.link_imap("alice@crm.example", imap_port=..., caldav_url=..., username="alice",
                         password="secret")
    env.sync(link)                               # crm-sync --once --link N; returns the log
    env.q("SELECT count(*) FROM messages")      # -> first column of the first row
    env.close()
env.db is the [core] database: DIR/crm.db, or on a PostgreSQL run (tests/run, CRM_TEST_PG_URL)
the URL of a fresh database, dropped by close(); env.connect() / conn() / q() / rows() reach it
through lib_db.
"""
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import uuid
from email.utils import formatdate

import lib_db

ROOT = os.environ.get("CRM_ROOT", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BIN = os.environ.get("CRM_BIN", os.path.join(ROOT, "build-san", "bin"))


class SyncEnv:
    def __init__(self, poll_interval=900):
        self.dir = tempfile.mkdtemp(prefix="crm-sync-test-")
        self.conf = os.path.join(self.dir, "crm.conf")
        self.poll_interval = poll_interval
        self.allowed = []   # [security] allow_hosts: exactly the test's own servers
        self.daemons = []
        # the database: DIR/crm.db, or a fresh PostgreSQL database of the run's server
        self.db, self.db_name = lib_db.new_target(self.dir)
        self._write_conf()
        self.ctl("init")

    def _write_conf(self):
        """crm.conf: [core], allow_hosts, then [sync] last with what tests appended to it."""
        sync = "[sync]\npoll_interval = %d\n" % self.poll_interval
        if os.path.exists(self.conf):
            with open(self.conf) as f:
                text = f.read()
            sync = text[text.index("[sync]\n"):]
        with open(self.conf, "w") as f:
            f.write("[core]\ndatabase = %s\nsecret_key_file = secret.key\n"
                    % (self.db if self.db_name else "crm.db"))
            if self.allowed:
                f.write("# the test's own servers\n[security]\nallow_hosts = %s\n"
                        % ", ".join(self.allowed))
            f.write(sync)

    def allow(self, *servers):
        """Let crm-sync reach these servers of the test ("127.0.0.1:PORT" or a URL): every
        server on loopback is refused by the address guard unless allow_hosts names it."""
        for s in servers:
            if "://" in s:
                u = urllib.parse.urlsplit(s)
                s = "%s:%d" % (u.hostname, u.port or (443 if u.scheme == "https" else 80))
            if s not in self.allowed:
                self.allowed.append(s)
        self._write_conf()

    def ctl(self, *args, stdin=None):
        r = subprocess.run([os.path.join(BIN, "crmctl"), "-c", self.conf] + list(args),
                           input=stdin, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("crmctl %s: %s" % (" ".join(args), r.stderr))
        return r.stdout

    def user(self, email, name=None):
        self.ctl("user", "add", email, name or email.split("@")[0], stdin="pw-%s\n" % email)

    def contact(self, number, name, email):
        with self.conn() as c:
            c.execute("INSERT OR IGNORE INTO accounts (number, name) VALUES (?, ?)",
                      (number, "Account " + number))
            acct = c.execute("SELECT id FROM accounts WHERE number = ?", (number,)).fetchone()[0]
            c.execute("INSERT OR IGNORE INTO contacts (account_id, name) VALUES (?, ?)", (acct, name))
            cid = c.execute("SELECT id FROM contacts WHERE account_id = ? AND name = ?",
                            (acct, name)).fetchone()[0]
            c.execute("INSERT OR IGNORE INTO contact_emails (contact_id, email) VALUES (?, ?)",
                      (cid, email.strip().lower()))
            return cid

    def link_imap(self, user_email, password, imap_port=None, caldav_url=None, username=None,
                  address=None, backfill_days=None):
        args = ["link-imap", user_email]
        if imap_port:
            args += ["--imap-host", "127.0.0.1", "--imap-port", str(imap_port)]
            self.allow("127.0.0.1:%d" % imap_port)
        if caldav_url:
            args += ["--caldav-url", caldav_url]
            self.allow(caldav_url)
        if username:
            args += ["--username", username]
        if address:
            args += ["--address", address]
        if backfill_days:
            args += ["--backfill-days", str(backfill_days)]
        out = self.ctl(*args, stdin=password + "\n")
        return int(re.search(r"link (\d+) added", out).group(1))

    def sync(self, link=None, timeout=120, fails=False):
        """One crm-sync --once pass; returns its log (stderr). Raises when it fails to run, or
        when its exit status does not say what fails wants (1: a link's pass failed)."""
        args = [os.path.join(BIN, "crm-sync"), "-c", self.conf, "--once"]
        if link:
            args += ["--link", str(link)]
        r = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
        if r.returncode != (1 if fails else 0):
            raise RuntimeError("crm-sync exited %d: %s" % (r.returncode, r.stderr[-3000:]))
        return r.stderr

    def daemon(self, *extra):
        log = open(os.path.join(self.dir, "daemon.log"), "a")
        p = subprocess.Popen([os.path.join(BIN, "crm-sync"), "-c", self.conf] + list(extra),
                             stdout=log, stderr=subprocess.STDOUT)
        self.daemons.append((p, log))
        return p

    def daemon_log(self):
        try:
            with open(os.path.join(self.dir, "daemon.log")) as f:
                return f.read()
        except OSError:
            return ""

    def connect(self):
        """A connection on the database (lib_db: sqlite3, or psycopg2 behind the same calls)."""
        return lib_db.connect(self.db)

    def conn(self):
        return _Tx(self.connect())

    def q(self, sql, *args):
        c = self.connect()
        try:
            row = c.execute(sql, args).fetchone()
            return row[0] if row else None
        finally:
            c.close()

    def rows(self, sql, *args):
        c = self.connect()
        try:
            return c.execute(sql, args).fetchall()
        finally:
            c.close()

    def wait_for(self, sql, want, timeout=10.0, *args):
        """Poll sql until it returns want; returns seconds waited or None on timeout."""
        t0 = time.time()
        while time.time() - t0 < timeout:
            if self.q(sql, *args) == want:
                return time.time() - t0
            time.sleep(0.02)
        return None

    def close(self):
        for p, log in self.daemons:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            log.close()
        if not os.environ.get("CRM_KEEP_TEST_DIR"):
            lib_db.drop(self.db_name)
            shutil.rmtree(self.dir, ignore_errors=True)


class _Tx:
    """A lib_db connection as a context manager: one transaction, committed (rolled back on an
    exception), then closed."""

    def __init__(self, c):
        self.c = c

    def __enter__(self):
        self.c.execute("BEGIN")
        return self.c

    def __exit__(self, typ, *exc):
        self.c.execute("COMMIT" if typ is None else "ROLLBACK")
        self.c.close()


def mail(frm, to, subject="Hello", body="Hi there.", msgid=None, in_reply_to=None,
         references=None, cc=None, date=None):
    """A raw RFC 5322 message (bytes, CRLF) and its Message-ID (without <>)."""
    mid = msgid or "%s@test.example" % uuid.uuid4().hex
    h = ["From: %s" % frm, "To: %s" % to, "Subject: %s" % subject,
         "Date: %s" % (date or formatdate(localtime=False)), "Message-ID: <%s>" % mid,
         "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
    if cc:
        h.append("Cc: %s" % cc)
    if in_reply_to:
        h.append("In-Reply-To: <%s>" % in_reply_to)
    if references:
        h.append("References: %s" % " ".join("<%s>" % r for r in references))
    return ("\r\n".join(h) + "\r\n\r\n" + body + "\r\n").encode(), mid


def ok(name, cond, detail=""):
    print("%s - %s%s" % ("ok" if cond else "not ok", name, "" if cond or not detail else "  # " + str(detail)),
          flush=True)
    return bool(cond)
