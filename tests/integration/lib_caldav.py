"""Private CalDAV servers for tests: Radicale and Xandikos on 127.0.0.1, each in its own temp dir.

    from lib_caldav import start_radicale, start_xandikos
    srv = start_radicale()            # or start_xandikos()
    srv.put("ev1.ics", ics_text)      # -> (status, etag)
    srv.calendar_url, srv.base_url, srv.user, srv.password
    srv.stop()

Ports are picked at random in 20000-60000 and retried, so several tests can run at once.
Radicale's server speaks HTTP/1.0 with a listen backlog of 5: one connection per request here.
"""
import base64
import http.client
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse


def _port_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _wait_port(port, proc, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            return False
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.05)
    return False


class Server:
    """One running server; calendar_url is an empty calendar collection ready for events."""

    def __init__(self, kind, proc, tmp, port, user, password, cal_path, log):
        self.kind, self.proc, self.tmp, self.port = kind, proc, tmp, port
        self.user, self.password = user, password
        self.base_url = "http://127.0.0.1:%d/" % port
        self.cal_path = cal_path
        self.calendar_url = self.base_url.rstrip("/") + cal_path
        self.log = log

    def request(self, method, path, body=None, headers=None):
        """(status, headers dict lower-cased, body text) of one request on a fresh connection."""
        h = dict(headers or {})
        if self.user is not None:
            tok = base64.b64encode(("%s:%s" % (self.user, self.password)).encode()).decode()
            h["Authorization"] = "Basic " + tok
        if isinstance(body, str):
            body = body.encode()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            data = r.read().decode("utf-8", "replace")
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            conn.close()

    def put(self, name, ics, etag=None, create=True):
        """PUT an event resource under the calendar; returns (status, etag)."""
        h = {"Content-Type": "text/calendar; charset=utf-8"}
        if etag:
            h["If-Match"] = etag
        elif create:
            h["If-None-Match"] = "*"
        st, hd, _ = self.request("PUT", self.cal_path + urllib.parse.quote(name), ics, h)
        return st, hd.get("etag")

    def delete(self, name):
        st, _, _ = self.request("DELETE", self.cal_path + urllib.parse.quote(name))
        return st

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _start(kind, argv_for_port, setup, tries=8):
    tmp = tempfile.mkdtemp(prefix="crm-%s-" % kind)
    setup(tmp)
    for _ in range(tries):
        port = random.randint(20000, 60000)
        if not _port_free(port):
            continue
        log = open(os.path.join(tmp, "server.log"), "ab")
        proc = subprocess.Popen(argv_for_port(tmp, port), stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        if _wait_port(port, proc):
            return tmp, proc, port, log
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        log.close()
    shutil.rmtree(tmp, ignore_errors=True)
    raise RuntimeError("%s did not start" % kind)


def start_radicale(user="alice", password="secret", calendar="cal"):
    """Radicale (auth none, rights owner_only) with an empty calendar /<user>/<calendar>/."""
    def setup(tmp):
        os.makedirs(os.path.join(tmp, "collections"))

    def argv(tmp, port):
        with open(os.path.join(tmp, "config"), "w") as f:
            f.write("[server]\nhosts = 127.0.0.1:%d\n[auth]\ntype = none\n"
                    "[rights]\ntype = owner_only\n[storage]\nfilesystem_folder = %s\n"
                    "[web]\ntype = none\n[logging]\nlevel = warning\n"
                    % (port, os.path.join(tmp, "collections")))
        return ["radicale", "--config", os.path.join(tmp, "config")]

    tmp, proc, port, log = _start("radicale", argv, setup)
    srv = Server("radicale", proc, tmp, port, user, password, "/%s/%s/" % (user, calendar), log)
    st, _, body = srv.request("MKCALENDAR", srv.cal_path)
    if st not in (201, 405):
        srv.stop()
        raise RuntimeError("radicale MKCALENDAR: %d %s" % (st, body))
    return srv


def start_xandikos():
    """Xandikos (no auth) with its default calendar /user/calendars/calendar/."""
    def setup(tmp):
        pass

    def argv(tmp, port):
        return ["xandikos", "-d", os.path.join(tmp, "data"), "--defaults",
                "-l", "127.0.0.1", "-p", str(port)]

    tmp, proc, port, log = _start("xandikos", argv, setup)
    srv = Server("xandikos", proc, tmp, port, "user", "unused", "/user/calendars/calendar/", log)
    end = time.time() + 10
    while time.time() < end:   # the defaults are created just after the port opens
        st, _, _ = srv.request("PROPFIND", srv.cal_path, headers={"Depth": "0"})
        if st == 207:
            return srv
        time.sleep(0.1)
    srv.stop()
    raise RuntimeError("xandikos calendar missing")
