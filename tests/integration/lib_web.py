"""A private web stack for tests: temp dir, crm.conf, `crmctl init` + `demo`, crm.fcgi and nginx
(from nginx.conf.example) on a free 127.0.0.1 port, plus a small HTTP client and HTML reader.

Use from a test:
    sys.path.insert(0, os.path.dirname(__file__)); import lib_web as w
    with w.Stack() as st:
        c = st.client(); c.login("demo@example.com", "demo")
        r = c.get("/calendar?month=2023-07"); r.status; r.doc.find_all("td", cls="x")
        db = st.db()   # connection on the stack's database (lib_db: sqlite3 or PostgreSQL)
Binaries come from $CRM_BIN (default build-san/bin), the checkout from $CRM_ROOT.
Run alone (`python3 lib_web.py serve [--bin DIR] [--threads N]`) it starts a stack, prints one
JSON line {"url", "port", "dir", "db" (the crm.db path or PostgreSQL URL), "fcgi_pid",
"nginx_pid", "ids"} and runs until stdin closes or SIGTERM; --seed july adds the known July 2023 of seed_july() (ids in "ids").
"""
import atexit
import html.parser
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import datetime
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib_db  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("CRM_ROOT") or os.path.abspath(os.path.join(HERE, "..", ".."))
BIN = os.environ.get("CRM_BIN") or os.path.join(ROOT, "build-san", "bin")
CHICAGO = ZoneInfo("America/Chicago")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


def epoch(y, m, d, hh=0, mm=0, tz=CHICAGO):
    """UTC epoch seconds of a wall-clock time in tz (America/Chicago by default)."""
    return int(datetime(y, m, d, hh, mm, tzinfo=tz).timestamp())


def _die_with_parent():
    """preexec_fn: the child gets SIGTERM when this process dies, even by SIGKILL."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _exit_on_signal(signum, frame):
    sys.exit(128 + signum)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---------------------------------------------------------------- HTML reading

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class Node:
    def __init__(self, tag, attrs, parent=None):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []

    def classes(self):
        return (self.attrs.get("class") or "").split()

    def text(self):
        """All text inside, whitespace collapsed."""
        out = []
        self._text(out)
        return re.sub(r"\s+", " ", "".join(out)).strip()

    def raw_text(self):
        """All text inside, whitespace kept (for bodies with newlines)."""
        out = []
        self._text(out)
        return "".join(out)

    def _text(self, out):
        for ch in self.children:
            if isinstance(ch, str):
                out.append(ch)
            else:
                ch._text(out)

    def iter(self):
        for ch in self.children:
            if isinstance(ch, Node):
                yield ch
                yield from ch.iter()

    def find_all(self, tag=None, cls=None, **attrs):
        """Descendants matching tag, all classes in cls ("a b" or list), and attrs
        (name_=value; underscores become dashes, e.g. data_date="2023-07-01")."""
        want = cls.split() if isinstance(cls, str) else (cls or [])
        res = []
        for n in self.iter():
            if tag and n.tag != tag:
                continue
            if want and not all(c in n.classes() for c in want):
                continue
            if any(n.attrs.get(k.rstrip("_").replace("_", "-")) != v for k, v in attrs.items()):
                continue
            res.append(n)
        return res

    def find(self, tag=None, cls=None, **attrs):
        r = self.find_all(tag, cls, **attrs)
        return r[0] if r else None

    def __repr__(self):
        return "<%s %s>" % (self.tag, self.attrs)


class _Builder(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        n = Node(tag, [(k, v if v is not None else "") for k, v in attrs], self.cur)
        self.cur.children.append(n)
        if tag not in VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        n = Node(tag, [(k, v if v is not None else "") for k, v in attrs], self.cur)
        self.cur.children.append(n)

    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def parse_html(text):
    b = _Builder()
    b.feed(text)
    b.close()
    return b.root


def form_fields(form):
    """What a browser would submit from form: list of (name, value), skipping disabled fields,
    unchecked boxes and buttons."""
    out = []
    for n in form.iter():
        name = n.attrs.get("name")
        if not name or "disabled" in n.attrs:
            continue
        if n.tag == "input":
            t = n.attrs.get("type", "text").lower()
            if t in ("submit", "button", "reset", "image", "file"):
                continue
            if t in ("checkbox", "radio"):
                if "checked" in n.attrs:
                    out.append((name, n.attrs.get("value", "on")))
                continue
            out.append((name, n.attrs.get("value", "")))
        elif n.tag == "textarea":
            v = n.raw_text()
            out.append((name, v[1:] if v.startswith("\n") else v))
        elif n.tag == "select":
            opts = n.find_all("option")
            sel = [o for o in opts if "selected" in o.attrs]
            if not sel and opts and "multiple" not in n.attrs:
                sel = opts[:1]
            for o in sel:
                out.append((name, o.attrs.get("value", o.text())))
    return out


def field_value(form, name):
    """The value a form shows for a field (input value, textarea text, selected option)."""
    for n in form.iter():
        if n.attrs.get("name") != name:
            continue
        if n.tag == "textarea":
            v = n.raw_text()
            return v[1:] if v.startswith("\n") else v
        if n.tag == "select":
            for o in n.find_all("option"):
                if "selected" in o.attrs:
                    return o.attrs.get("value", o.text())
            return None
        if n.attrs.get("type") == "checkbox":
            return "checked" in n.attrs
        return n.attrs.get("value", "")
    return None


def field_node(form, name):
    for n in form.iter():
        if n.attrs.get("name") == name and n.tag in ("input", "textarea", "select"):
            return n
    return None


# ---------------------------------------------------------------- HTTP client

class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers            # list of (name, value) as received
        self.raw = body                   # the bytes as received
        self.body = body.decode("utf-8", "replace")
        self._doc = None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def doc(self):
        if self._doc is None:
            self._doc = parse_html(self.body)
        return self._doc

    def csrf(self):
        n = self.doc.find("input", name="csrf")
        return n.attrs.get("value") if n is not None else None

    def location(self):
        loc = self.header("Location") or ""
        p = urllib.parse.urlsplit(loc)
        return (p.path + ("?" + p.query if p.query else "")) if p.netloc else loc

    def __repr__(self):
        return "<Response %d %s>" % (self.status, self.body[:80].replace("\n", " "))


class Client:
    """One browser-like user: a cookie jar, no automatic redirects."""

    def __init__(self, port, host="127.0.0.1"):
        self.host, self.port = host, port
        self.cookies = {}

    def request(self, method, path, form=None, headers=None, body=None):
        h = {"Host": "%s:%d" % (self.host, self.port), "Connection": "close"}
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        if form is not None:
            items = form.items() if isinstance(form, dict) else form
            body = urllib.parse.urlencode(list(items)).encode()
            h["Content-Type"] = "application/x-www-form-urlencoded"
        if isinstance(body, str):
            body = body.encode()
        h.update(headers or {})
        conn = http.client.HTTPConnection(self.host, self.port, timeout=20)
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            resp = Response(r.status, r.getheaders(), r.read())
        finally:
            conn.close()
        for sc in resp.header_all("Set-Cookie"):
            name, _, rest = sc.partition("=")
            value = rest.split(";", 1)[0]
            attrs = sc.lower()
            if value == "" or "max-age=0" in attrs or "expires=thu, 01 jan 1970" in attrs:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, form=None, **kw):
        if form is None and "body" not in kw:
            form = {}
        return self.request("POST", path, form=form, **kw)

    def follow(self, resp, limit=5):
        """Follow 30x redirects of resp with GETs."""
        while resp.status in (301, 302, 303, 307, 308) and limit > 0:
            resp = self.get(resp.location())
            limit -= 1
        return resp

    def login(self, email, password, next_path=None):
        """Log in through the form (reading its CSRF token). Returns the POST's response."""
        page = self.get("/login" + ("?next=" + urllib.parse.quote(next_path) if next_path else ""))
        form = page.doc.find("form")
        fields = dict(form_fields(form)) if form is not None else {}
        fields.update({"email": email, "password": password})
        if "csrf" not in fields and page.csrf():
            fields["csrf"] = page.csrf()
        action = (form.attrs.get("action") if form is not None else None) or "/login"
        return self.post(action, fields)

    def csrf_of(self, path):
        """The CSRF token a page's form carries (for posting as this user)."""
        return self.get(path).csrf()


# ---------------------------------------------------------------- the stack

CONF = """\
# crm.conf for a test stack (written by tests/integration/lib_web.py)
[core]
database = {database}
secret_key_file = secret.key
base_url = http://127.0.0.1:{port}
listen = app.sock
templates = {root}/templates
static = {root}/static
files = files
threads = {threads}
time_zone = America/Chicago
"""


ALLOW_MARK = "\n# the test's own servers\n[security]\n"


class Stack:
    """crm.fcgi + nginx on a temp database (with sync=True also the crm-sync daemon, without
    push). stop() kills them and removes the dir (unless CRM_KEEP is set); problems() lists
    sanitizer reports and unclean exits."""

    def __init__(self, bin_dir=None, threads=4, demo=True, static_dir=None, extra_core="",
                 sync=False):
        self.bin = bin_dir or BIN
        self.extra_core = extra_core   # more [core] lines, e.g. "page_cache = 0\n"
        self.threads, self.demo = threads, demo
        self.sync, self.syncd = sync, None
        self.static_dir = static_dir or os.path.join(ROOT, "static")
        self.dir = self.port = None
        self.db_target = self.db_name = None   # crm.db's path, or a PostgreSQL URL and name
        self.fcgi = self.nginx = None
        self.fcgi_rc = None
        self._problems = []

    # -- start
    def start(self):
        atexit.register(self.stop)
        for sig in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(sig) in (signal.SIG_DFL, None):
                signal.signal(sig, _exit_on_signal)
        self.dir = tempfile.mkdtemp(prefix="crm-web-")
        for sub in ("logs", "tmp"):
            os.makedirs(os.path.join(self.dir, sub))
        try:
            self.port = free_port()
            self.db_target, self.db_name = lib_db.new_target(self.dir)
            self.conf = os.path.join(self.dir, "crm.conf")
            with open(self.conf, "w") as f:
                f.write(CONF.format(port=self.port, root=ROOT, threads=self.threads,
                                    database=self.db_target if self.db_name else "crm.db") +
                        self.extra_core)
            self.ctl("init")
            if self.demo:
                self.ctl("demo")
            self._start_fcgi()
            if self.sync:
                self._start_sync()
            for attempt in range(5):
                if self._start_nginx():
                    return self
                self.port = free_port()
            raise RuntimeError("nginx did not start: " + self.log("logs/error.log")[-2000:])
        except BaseException:
            self.stop()
            raise

    def allow(self, *servers):
        """Name the test's own servers ("127.0.0.1:PORT" or a URL) in [security] allow_hosts
        of crm.conf, for the programs started after this (crm-sync, crmctl): the address
        guard refuses every loopback server it does not name."""
        import urllib.parse
        self.allowed = getattr(self, "allowed", [])
        for v in servers:
            if "://" in v:
                u = urllib.parse.urlsplit(v)
                v = "%s:%d" % (u.hostname, u.port or (443 if u.scheme == "https" else 80))
            if v not in self.allowed:
                self.allowed.append(v)
        with open(self.conf) as f:
            text = f.read()
        text = text.split(ALLOW_MARK)[0]
        with open(self.conf, "w") as f:
            f.write(text + ALLOW_MARK + "allow_hosts = %s\n" % ", ".join(self.allowed))

    def ctl(self, *args, input=None):
        """Run crmctl on this stack's config; returns stdout, raises on failure."""
        r = subprocess.run([os.path.join(self.bin, "crmctl"), "-c", self.conf] + list(args),
                           input=input, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("crmctl %s failed (%d): %s" % (" ".join(args), r.returncode,
                                                              r.stderr.strip()))
        return r.stdout

    def _start_fcgi(self):
        sock = os.path.join(self.dir, "app.sock")
        self.fcgi_log = open(os.path.join(self.dir, "fcgi.log"), "w")
        self.fcgi = subprocess.Popen([os.path.join(self.bin, "crm.fcgi"), "-c", self.conf],
                                     stdout=self.fcgi_log, stderr=subprocess.STDOUT,
                                     cwd=self.dir, preexec_fn=_die_with_parent)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.fcgi.poll() is not None:
                raise RuntimeError("crm.fcgi exited %d: %s" % (self.fcgi.returncode,
                                                               self.log("fcgi.log")[-2000:]))
            if os.path.exists(sock):
                return
            time.sleep(0.02)
        raise RuntimeError("crm.fcgi did not open its socket " + sock)

    def _start_sync(self):
        self.sync_log = open(os.path.join(self.dir, "sync.log"), "w")
        self.syncd = subprocess.Popen([os.path.join(self.bin, "crm-sync"), "-c", self.conf,
                                       "--no-push"], stdout=self.sync_log,
                                      stderr=subprocess.STDOUT, cwd=self.dir,
                                      preexec_fn=_die_with_parent)

    def _stop_sync(self):
        if self.syncd is None:
            return
        if self.syncd.poll() is None:
            self.syncd.terminate()
            try:
                rc = self.syncd.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._problems.append("crm-sync did not exit within 10 s of SIGTERM")
                self.syncd.kill()
                rc = self.syncd.wait()
        else:
            rc = self.syncd.returncode
            self._problems.append("crm-sync had exited with %d before the end" % rc)
        self.sync_log.close()
        lg = self.log("sync.log")
        for pat in ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer"):
            i = lg.find(pat)
            if i >= 0:
                self._problems.append("crm-sync log: " + lg[max(0, i - 200):i + 1500])
        if rc not in (0, -signal.SIGTERM) and not self._problems:
            self._problems.append("crm-sync exited %d on SIGTERM" % rc)
        self.syncd = None

    def _start_nginx(self):
        with open(os.path.join(ROOT, "nginx.conf.example")) as f:
            text = f.read()
        import grp
        import pwd
        user = "%s %s" % (pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name)
        text = (text.replace("@RUN@", self.dir).replace("@STATIC@", self.static_dir)
                .replace("@PORT@", str(self.port)).replace("@USER@", user)
                .replace("@FILES@", os.path.join(self.dir, "files")))
        ncf = os.path.join(self.dir, "nginx.conf")
        with open(ncf, "w") as f:
            f.write(text)
        self.nginx = subprocess.Popen(
            ["nginx", "-p", self.dir + "/", "-c", ncf, "-e", os.path.join(self.dir, "logs/error.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.nginx.poll() is not None:
                self.nginx = None
                return False
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return True
            except OSError:
                time.sleep(0.02)
        return False

    # -- use
    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def client(self):
        return Client(self.port)

    def db(self):
        """A connection on the stack's database, each statement on its own (lib_db)."""
        return lib_db.connect(self.db_target, timeout=10, foreign_keys=True)

    def log(self, name="fcgi.log"):
        try:
            with open(os.path.join(self.dir, name), errors="replace") as f:
                return f.read()
        except (OSError, TypeError):
            return ""

    # -- stop
    def stop(self):
        self._stop_sync()
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)
            try:
                self.nginx.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
                self.nginx.wait()
        if self.fcgi is not None:
            if self.fcgi.poll() is None:
                self.fcgi.terminate()
                try:
                    self.fcgi_rc = self.fcgi.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._problems.append("crm.fcgi did not exit within 10 s of SIGTERM")
                    self.fcgi.kill()
                    self.fcgi.wait()
            else:
                self._problems.append("crm.fcgi had exited with %d before the end"
                                      % self.fcgi.returncode)
            self.fcgi_log.close()
            lg = self.log("fcgi.log")
            for pat in ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer"):
                i = lg.find(pat)
                if i >= 0:
                    self._problems.append("crm.fcgi log: " + lg[max(0, i - 200):i + 1500])
            if self.fcgi_rc not in (None, 0, -signal.SIGTERM) and not self._problems:
                self._problems.append("crm.fcgi exited %d on SIGTERM" % self.fcgi_rc)
            self.fcgi = None
        self.nginx = None
        if self.dir and not os.environ.get("CRM_KEEP"):
            lib_db.drop(self.db_name)
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = self.db_name = None

    def problems(self):
        return list(self._problems)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# ---------------------------------------------------------------- seeding

def user_id(db, email):
    return db.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()[0]


def account_id(db, number):
    return db.execute("SELECT id FROM accounts WHERE number = ?", (number,)).fetchone()[0]


def contact(db, email):
    """(contact id, account id) of a contact by e-mail address."""
    return db.execute("SELECT c.id, c.account_id FROM contacts c JOIN contact_emails e"
                      " ON e.contact_id = c.id WHERE e.email = ?", (email,)).fetchone()


_seq = [0]


def add_appt(db, user, start, title, duration=30, source="crm", account=None, contact_ids=(),
             location="", note="", typ=None, attendees=()):
    """Insert an appointment on user's calendar; returns its id."""
    _seq[0] += 1
    now = int(time.time())
    cur = db.execute(
        "INSERT INTO appointments (source, ical_uid, type, assigned_user_id, account_id, start_at,"
        " duration_min, time_zone, location, title, note, created_at, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (source, "test-%d-%d-%d@crm.test" % (os.getpid(), start, _seq[0]),
         typ or ("Imported" if source == "imported" else "Follow Up"), user, account, start,
         duration, "America/Chicago", location, title, note, now, now))
    aid = cur.lastrowid
    db.execute("INSERT INTO appointment_users (appointment_id, user_id, provider_id) VALUES (?,?,?)",
               (aid, user, "prov-%d" % aid if source == "imported" else None))
    for c in contact_ids:   # as the app does: a contact is invited by its first address
        db.execute("INSERT INTO appointment_contacts VALUES (?,?)", (aid, c))
        if not attendees:
            db.execute("INSERT OR IGNORE INTO appointment_attendees (appointment_id, email, name)"
                       " SELECT ?, (SELECT min(email) FROM contact_emails WHERE contact_id = c.id),"
                       " c.name FROM contacts c WHERE c.id = ?", (aid, c))
    for email, name in attendees:
        db.execute("INSERT INTO appointment_attendees (appointment_id, email, name) VALUES (?,?,?)",
                   (aid, email, name))
    return aid


def add_thread(db, user, subject, msgs, contact_ids=()):
    """Insert a mail thread seen by user. msgs: list of dicts with sent_at, from_email,
    from_name, to_list, body, direction ('received'|'sent'). Returns (thread id, [message ids])."""
    _seq[0] += 1
    started = min(m["sent_at"] for m in msgs)
    last = max(m["sent_at"] for m in msgs)
    tid = db.execute("INSERT INTO threads (subject, started_at, last_at) VALUES (?,?,?)",
                     (subject, started, last)).lastrowid
    ids = []
    for i, m in enumerate(msgs):
        mid = db.execute(
            "INSERT INTO messages (thread_id, message_id, subject, from_email, from_name, to_list,"
            " sent_at, body_text, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
            (tid, "<t%d-%d-%d@crm.test>" % (os.getpid(), _seq[0], i),
             m.get("subject", subject if i == 0 else "Re: " + subject), m["from_email"],
             m.get("from_name", ""), m.get("to_list", ""), m["sent_at"], m.get("body", ""),
             int(time.time()))).lastrowid
        db.execute("INSERT INTO message_users (message_id, user_id, provider_id, direction)"
                   " VALUES (?,?,?,?)", (mid, user, "m-%d" % mid, m.get("direction", "received")))
        for c in contact_ids:
            db.execute("INSERT INTO message_contacts VALUES (?,?)", (mid, c))
        ids.append(mid)
    return tid, ids


HOSTILE_TITLE = "<script>alert('t')</script> Rates & \"quotes\""
HOSTILE_SUBJECT = "<img src=x onerror=alert(1)> Invoice"
HOSTILE_BODY = "Hello,\n<script>alert('b')</script>\nLine two & more"


def seed_july(db):
    """A known July 2023 for demo@example.com (America/Chicago), Dave's private calendar and
    Maria's public one. Returns a dict of the ids the tests look for."""
    demo, dave, maria = (user_id(db, e) for e in
                         ("demo@example.com", "dave@example.com", "maria@example.com"))
    john, acct = contact(db, "john.smith@example.net")
    linda, acct2 = contact(db, "linda@bayoucitydiner.example")
    ids = {"demo": demo, "dave": dave, "maria": maria, "john": john, "account": acct}
    ids["appt"] = add_appt(db, demo, epoch(2023, 7, 31, 11, 30), "Review Rates for Service Increase",
                           account=acct, contact_ids=[john], location="1234 Washington Ave",
                           note="Bring the rate sheet")
    ids["imported"] = add_appt(db, demo, epoch(2023, 7, 26, 9, 0), "Quarterly review (imported)",
                               duration=60, source="imported", account=acct, contact_ids=[john],
                               location="Main office",
                               attendees=[("john.smith@example.net", "John Smith")])
    ids["to_delete"] = add_appt(db, demo, epoch(2023, 7, 27, 15, 0), "Imported to delete",
                                source="imported", account=acct, contact_ids=[john])
    ids["hostile_appt"] = add_appt(db, demo, epoch(2023, 7, 5, 8, 15), HOSTILE_TITLE,
                                   account=acct, contact_ids=[john])
    # A busy day: more than fits in a cell.
    ids["busy_day"] = [add_appt(db, demo, epoch(2023, 7, 18, 8 + i // 2, 30 * (i % 2)),
                                "Route stop %02d" % (i + 1), account=acct2, contact_ids=[linda])
                       for i in range(12)]
    # A thread started late on 12 July in Chicago (13 July in UTC), with a reply the next day.
    ids["thread"], ids["thread_msgs"] = add_thread(db, demo, "Container swap request", [
        {"sent_at": epoch(2023, 7, 12, 23, 30), "from_email": "john.smith@example.net",
         "from_name": "John Smith", "to_list": "Aliena Somers <demo@example.com>",
         "body": "Hi Aliena,\nCan we swap the 20 yd container?\nThanks, John"},
        {"sent_at": epoch(2023, 7, 13, 9, 5), "from_email": "demo@example.com",
         "from_name": "Aliena Somers", "to_list": "John Smith <john.smith@example.net>",
         "direction": "sent", "body": "Hi John,\nYes, Tuesday works.\nAliena"},
    ], contact_ids=[john])
    ids["hostile_thread"], ids["hostile_msgs"] = add_thread(db, demo, HOSTILE_SUBJECT, [
        {"sent_at": epoch(2023, 7, 6, 10, 0), "from_email": "john.smith@example.net",
         "from_name": "John <b>Smith</b>", "to_list": "demo@example.com", "body": HOSTILE_BODY},
    ], contact_ids=[john])
    # Dave: private calendar; Maria: public.
    db.execute("UPDATE users SET calendar_privacy = 'private' WHERE id = ?", (dave,))
    db.execute("UPDATE users SET calendar_privacy = 'public' WHERE id = ?", (maria,))
    ids["dave_appt"] = add_appt(db, dave, epoch(2023, 7, 20, 11, 30), "Secret contract talk",
                                account=acct2, contact_ids=[linda])
    ids["dave_thread"], ids["dave_msgs"] = add_thread(db, dave, "Private pricing", [
        {"sent_at": epoch(2023, 7, 20, 14, 0), "from_email": "linda@bayoucitydiner.example",
         "from_name": "Linda Park", "to_list": "dave@example.com", "body": "Our numbers."},
    ], contact_ids=[linda])
    ids["maria_appt"] = add_appt(db, maria, epoch(2023, 7, 21, 13, 0), "Dental office walk-through",
                                 account=acct2, contact_ids=[linda])
    return ids


def add_attachment(db, files_dir, msg, name, media_type, data, stored_at=None):
    """Store data as an attachment of message msg the way crm-sync does (one blob per content:
    in the row up to 64 KB, else the file files_dir/<2 hex>/<sha256>); returns its id."""
    import hashlib
    sha = hashlib.sha256(data).hexdigest()
    big = len(data) > 64 * 1024
    if big:
        os.makedirs(os.path.join(files_dir, sha[:2]), exist_ok=True)
        with open(os.path.join(files_dir, sha[:2], sha), "wb") as f:
            f.write(data)
    db.execute("INSERT OR IGNORE INTO blobs (sha256, size, data, stored_at) VALUES (?,?,?,?)",
               (sha, len(data), None if big else data, stored_at or int(time.time())))
    return db.execute("INSERT INTO attachments (message_id, blob, name, media_type, size, state)"
                      " VALUES (?,?,?,?,?, 'stored')", (msg, sha, name, media_type,
                                                         len(data))).lastrowid


# ---------------------------------------------------------------- reporting

class Report:
    """Prints "ok - name" / "not ok - name" (+ reason) per case; exit code 1 on any failure."""

    def __init__(self):
        self.failed = 0

    def case(self, name, fn, *args):
        try:
            fn(*args)
            print("ok - " + name, flush=True)
        except Exception as e:  # a failed check or a crash of the check itself
            self.failed += 1
            msg = "%s: %s" % (type(e).__name__, e) if not isinstance(e, AssertionError) else str(e)
            print("not ok - %s\n    %s" % (name, msg.replace("\n", "\n    ")[:1500]), flush=True)

    def check(self, name, cond, why=""):
        def f():
            assert cond, why
        self.case(name, f)

    def finish(self, stack=None):
        if stack is not None:
            stack.stop()
            probs = stack.problems()
            self.check("crm.fcgi ran clean (no sanitizer report, clean exit on SIGTERM)",
                       not probs, "\n".join(probs))
        sys.exit(1 if self.failed else 0)


def expect(cond, why):
    if not cond:
        raise AssertionError(why)


def snippet(resp, n=600):
    return "status %d; body: %s" % (resp.status, re.sub(r"\s+", " ", resp.body)[:n])


def _serve(argv):
    import argparse
    ap = argparse.ArgumentParser(prog="lib_web.py serve")
    ap.add_argument("--bin", default=BIN)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--static", default=None)
    ap.add_argument("--seed", choices=["july"], default=None,
                    help="july: seed_july() and print its ids under \"ids\"")
    a = ap.parse_args(argv)
    st = Stack(bin_dir=a.bin, threads=a.threads, static_dir=a.static)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    st.start()
    try:
        ids = seed_july(st.db()) if a.seed == "july" else {}
        print(json.dumps({"ids": ids, "url": st.url, "port": st.port, "dir": st.dir,
                          "db": st.db_target, "fcgi_pid": st.fcgi.pid,
                          "nginx_pid": st.nginx.pid}), flush=True)
        sys.stdin.read()
    except KeyboardInterrupt:
        pass
    finally:
        st.stop()
        for p in st.problems():
            print("problem: " + p, file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "serve":
        _serve(sys.argv[2:])
    else:
        print(__doc__)
        sys.exit(2)
