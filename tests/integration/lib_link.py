"""The link-flow tests' stack: lib_web's Stack with the fake providers' config sections (and
extra config), plus helpers that walk the OAuth flow over HTTP by hand.

    with lib_link.LinkStack() as st:          # starts the fakes too (st.fake)
        c = st.client(); c.login("demo@example.com", "demo")
        page = lib_link.oauth_link(st, c, "google")   # the page the callback answered
"""
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "fakes"))
import lib_web as w  # noqa: E402
from fake_client import Fake  # noqa: E402

WEBHOOK_SECRET = "nylas-hook-secret-1"


class LinkStack(w.Stack):
    """A web stack whose crm.conf also points at a private fake provider server."""

    def __init__(self, extra_conf="", **kw):
        super().__init__(**kw)
        self.extra_conf = extra_conf
        self.fake = None

    def _start_fcgi(self):
        if self.fake is None:
            self.fake = Fake()
        with open(self.conf, "a") as f:
            f.write("\n[sync]\npoll_interval = 60\n\n")
            f.write(self.fake.config_ini(webhook_secret=WEBHOOK_SECRET))
            f.write(self.extra_conf)
        return super()._start_fcgi()

    def stop(self):
        super().stop()
        if self.fake is not None:
            self.fake.stop()
            self.fake = None

    def db_bytes(self):
        """The raw bytes of the database file and its WAL (what a thief of the disk gets)."""
        if self.db_name:
            return w.lib_db.pg_disk_bytes(self.db_target)
        out = b""
        for suffix in ("", "-wal", "-journal"):
            p = os.path.join(self.dir, "crm.db" + suffix)
            if os.path.exists(p):
                with open(p, "rb") as f:
                    out += f.read()
        return out


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def fetch_no_redirect(url):
    """GET url (the fake's authorize page); returns (status, Location, body)."""
    try:
        with _opener.open(url, timeout=20) as r:
            return r.status, r.headers.get("Location"), r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Location"), e.read().decode("utf-8", "replace")


def start_form(page, provider, purpose="link"):
    """The fields of the form on page that starts provider's flow (Continue / provider list /
    Resync), or None."""
    for form in page.doc.find_all("form"):
        fields = dict(w.form_fields(form))
        if fields.get("provider") == provider and fields.get("purpose", "link") == purpose:
            return form.attrs.get("action"), fields
    return None


def start_flow(st, c, provider, purpose="link"):
    """From /profile/link (or Sync settings for resync), POST the start form. Returns the
    response (303 to the provider's authorize URL when all is well)."""
    page = c.get("/settings/sync" if purpose == "resync" else "/profile/link")
    w.expect(page.status == 200, w.snippet(page))
    found = start_form(page, provider, purpose)
    w.expect(found, "no form starting %s (%s) on the page" % (provider, purpose))
    return c.post(found[0], found[1])


def authorize(st, auth_url, hint=None):
    """Let the fake answer the authorize URL (auto_consent set) as the account hint (else the
    URL's login_hint, else the fake's first account); returns the callback path."""
    if hint:
        auth_url += "&login_hint=" + urllib.parse.quote(hint, safe="")
    status, loc, body = fetch_no_redirect(auth_url)
    w.expect(status == 302 and loc, "authorize answered %s: %s" % (status, body[:300]))
    p = urllib.parse.urlsplit(loc)
    w.expect(p.port == st.port, "redirect_uri %r is not this app" % loc)
    return p.path + "?" + p.query


def oauth_link(st, c, provider, purpose="link", hint=None):
    """The whole flow: start, authorize at the fake, come back. Returns the callback page."""
    r = start_flow(st, c, provider, purpose)
    w.expect(r.status == 303, "start: " + w.snippet(r))
    loc = r.header("Location")
    w.expect(loc.startswith(st.fake.base + "/"), "start went to %r, not the fake" % loc)
    return c.get(authorize(st, loc, hint))


def test_outcome(c, resp, timeout=60):
    """Follow the IMAP + CalDAV form's answer to its connection test (303 to the test's page,
    which reloads itself with <meta http-equiv=refresh> while crm-sync runs it) until the page
    stops reloading. Returns that last page; a response that is not a 303 is returned as is."""
    if resp.status != 303:
        return resp
    loc = resp.header("Location")
    w.expect(loc and loc.startswith("/profile/link/imap/test/"), "redirected to %r" % loc)
    deadline = time.time() + timeout
    while True:
        page = c.get(loc)
        if not testing(page):
            return page
        w.expect(time.time() < deadline, "the connection test still runs after %d s" % timeout)
        time.sleep(0.2)


def testing(page):
    """1 when page is the connection test under way (it reloads itself)."""
    return page.status == 200 and page.doc.find("meta", http_equiv="refresh") is not None


def _serve(argv):
    """`python3 lib_link.py serve [--bin DIR]`: a LinkStack (fakes included) until stdin
    closes; prints one JSON line {url, port, dir, conf, bin, fake}."""
    import argparse
    import json
    import signal
    ap = argparse.ArgumentParser(prog="lib_link.py serve")
    ap.add_argument("--bin", default=w.BIN)
    a = ap.parse_args(argv)
    st = LinkStack(bin_dir=a.bin)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    st.start()
    try:
        print(json.dumps({"url": st.url, "port": st.port, "dir": st.dir, "conf": st.conf,
                          "bin": st.bin, "fake": st.fake.base}), flush=True)
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
