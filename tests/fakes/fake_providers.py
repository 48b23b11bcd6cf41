#!/usr/bin/env python3
# Fake Google (OAuth, Gmail, Calendar), Microsoft (identity platform, Graph) and Nylas v3 servers
# on one port under /google, /microsoft and /nylas, plus the /_control API tests drive them with.
import argparse
import base64
import json
import os
import pickle
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_google  # noqa: E402
import fake_graph  # noqa: E402
import fake_nylas  # noqa: E402
from fake_common import (LOCK, Account, Event, Faults, OAuth, date_epoch, jresp,  # noqa: E402
                         new_id, now, parse_iso, req_json)

MODULES = {"google": fake_google, "microsoft": fake_graph, "nylas": fake_nylas}
DEFAULT_CONFIG = {"token_ttl": 3600, "page_size": 50, "auto_consent": False,
                  "require_pkce": False, "redirect_uris": [], "clients": {}}


class State:
    def __init__(self):
        self.config = json.loads(json.dumps(DEFAULT_CONFIG))
        self.accounts = {p: {} for p in MODULES}
        self.oauth = {p: OAuth(p) for p in MODULES}
        self.faults = Faults()
        self.actions = []
        self.requests = []
        self.base_url = ""

    def client(self, provider):
        c = self.config["clients"].get(provider)
        return tuple(c) if c else (provider + "-client-id", provider + "-client-secret")

    def page_size(self, asked=None):
        size = int(self.config.get("page_size", 50))
        try:
            if asked:
                size = min(size, max(1, int(asked)))
        except ValueError:
            pass
        return size

    def record(self, provider, email_addr, action, **kw):
        self.actions.append(dict(kw, provider=provider, email=email_addr, action=action,
                                 time=now()))

    def account(self, provider, email_addr):
        return self.accounts.get(provider, {}).get((email_addr or "").lower())


class Req:
    def __init__(self, method, target, headers, body, base):
        self.method = method
        self.target = target
        u = urllib.parse.urlsplit(target)
        self.full_path = urllib.parse.unquote(u.path)
        self.qlist = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        self.query = {k: v[0] for k, v in self.qlist.items()}
        self.headers = headers
        self.body = body
        self.base = base
        self.prefix = ""
        self.path = self.full_path


# ---- control API ---------------------------------------------------------------------------


def _time_field(d, key):
    v = d.get(key)
    return parse_iso(v) if isinstance(v, str) else float(v)


def apply_generic_event(ev, d):
    """Fill an Event from the control API's provider-neutral JSON."""
    for k in ("summary", "description", "location", "status", "rrule"):
        if k in d:
            setattr(ev, k, d[k])
    if "title" in d:
        ev.summary = d["title"]
    if "tz" in d:
        ev.tz = d["tz"]
    if d.get("all_day") or "start_date" in d:
        ev.all_day = True
        ev.start_date = d.get("start_date", ev.start_date)
        ev.end_date = d.get("end_date") or ev.end_date or ev.start_date
        ev.start, ev.end = date_epoch(ev.start_date), date_epoch(ev.end_date)
    if "start" in d:
        ev.all_day = False
        ev.start = _time_field(d, "start")
        ev.end = _time_field(d, "end") if "end" in d else ev.start + 1800
    if "organizer" in d:
        ev.organizer = {"email": d["organizer"].get("email", "").lower(),
                        "name": d["organizer"].get("name", "")}
    if "attendees" in d:
        ev.attendees = [{"email": a["email"].lower(), "name": a.get("name", ""),
                         "status": a.get("status", "NEEDS-ACTION")} for a in d["attendees"]]


def control(state, req):
    d = req_json(req) or {}
    q = dict(req.query)
    op = req.path
    if op == "/reset":
        with LOCK:
            fresh = State()
            fresh.base_url = state.base_url
            state.__dict__.update(fresh.__dict__)
        return jresp(200, {"ok": True})
    if op == "/config":
        with LOCK:
            state.config.update(d)
            return jresp(200, state.config)
    if op == "/faults":
        with LOCK:
            return jresp(200, state.faults.add(d))
    if op == "/faults/clear":
        with LOCK:
            state.faults.items = []
        return jresp(200, {"ok": True})
    if op == "/actions":
        with LOCK:
            out = [a for a in state.actions if all(a.get(k) == v for k, v in q.items())]
        return jresp(200, {"actions": out})
    if op == "/requests":
        with LOCK:
            return jresp(200, {"requests": state.requests[-int(q.get("last", 1000)):]})
    if op == "/nylas_webhook":
        with LOCK:
            return jresp(200, fake_nylas.register_webhook(state, d))
    provider = d.get("provider") or q.get("provider")
    if provider not in MODULES:
        return jresp(400, {"error": "provider must be one of google, microsoft, nylas"})
    mod = MODULES[provider]
    with LOCK:
        if op == "/accounts":
            email_addr = d["email"].lower()
            acct = state.accounts[provider].get(email_addr)
            if acct is None:
                acct = Account(provider, email_addr, d.get("name"), d.get("kind"))
                mod.init_account(acct)
                state.accounts[provider][email_addr] = acct
            return jresp(200, {"email": acct.email, "id": acct.id, "grant_id": acct.id,
                               "kind": acct.kind})
        if op == "/revoke":
            n = 0
            for t, r in state.oauth[provider].refresh.items():
                if t == d.get("refresh_token") or (d.get("email") or "").lower() == r["email"]:
                    r["revoked"] = True
                    n += 1
            if d.get("email"):  # revoking a grant also kills its access tokens
                for t, a in state.oauth[provider].access.items():
                    if a["email"] == d["email"].lower():
                        a["exp"] = 0
            return jresp(200, {"revoked": n})
        if op == "/expire_access":
            for a in state.oauth[provider].access.values():
                if not d.get("email") or a["email"] == d["email"].lower():
                    a["exp"] = 0
            return jresp(200, {"ok": True})
        acct = state.account(provider, d.get("email") or q.get("email"))
        if acct is None:
            return jresp(404, {"error": "no such account"})
        if op == "/state":
            return jresp(200, mod.dump(acct))
        if op == "/expire":
            acct.expire_cursors()
            return jresp(200, {"floor": acct.floor})
        if op == "/deliver":
            raw = base64.b64decode(d["raw_b64"]) if "raw_b64" in d else d["raw"].encode()
            raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            m = mod.deliver(acct, raw, d.get("folder", "inbox"), d.get("unread", True))
            out = {"id": m.id, "thread_id": m.thread_id, "seq": acct.seq}
        elif op == "/move_message":
            m = acct.messages.get(d.get("id")) or next(
                (x for x in acct.messages.values() if x.message_id.strip("<>") ==
                 d.get("message_id", "").strip("<>")), None)
            if m is None:
                return jresp(404, {"error": "no such message"})
            m = mod.move(acct, m, d["folder"])
            out = {"id": m.id}
        elif op == "/events":
            ev = Event(d.get("id") or mod.new_event_id(),
                       d.get("uid") or new_id(20) + "@fake.invalid")
            if not d.get("organizer"):
                ev.organizer = {"email": acct.email, "name": acct.name}
            apply_generic_event(ev, d)
            acct.events[ev.id] = ev
            acct.touch_event(ev)
            out = {"id": ev.id, "uid": ev.uid}
        elif op in ("/events/update", "/events/exception", "/events/cancel", "/events/delete"):
            ev = acct.events.get(d.get("id", ""))
            if ev is None:
                return jresp(404, {"error": "no such event"})
            if op == "/events/update":
                apply_generic_event(ev, d)
            elif op == "/events/cancel":
                ev.status = "cancelled"
            elif op == "/events/delete":
                ev.deleted = True
                ev.status = "cancelled"
            else:
                orig = str(int(_time_field(d, "original_start")))
                ov = {"cancelled": bool(d.get("cancelled"))}
                if "start" in d:
                    ov["start"] = _time_field(d, "start")
                    ov["end"] = _time_field(d, "end") if "end" in d else ov["start"] + (
                        ev.end - ev.start)
                for k in ("summary", "location"):
                    if k in d:
                        ov[k] = d[k]
                ev.exceptions[orig] = ov
            acct.touch_event(ev)
            out = {"id": ev.id}
        elif op == "/notify":
            out = None
        else:
            return jresp(404, {"error": "unknown control operation " + op})
        targets = mod.notify_targets(state, acct, d) if (op == "/notify" or d.get("notify")) \
            else []
    deliveries = [mod.send_notification(t) for t in targets]
    if op == "/notify":
        return jresp(200, {"deliveries": deliveries})
    out["deliveries"] = deliveries
    return jresp(200, out)


# ---- HTTP plumbing -------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeProviders/1.0"

    def log_message(self, fmt, *args):
        if os.environ.get("FAKE_VERBOSE"):
            sys.stderr.write("fake: " + fmt % args + "\n")

    def _serve(self):
        state = self.server.state
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            body = self._read_chunked()
        else:
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else b""
        base = "http://" + (self.headers.get("Host") or "127.0.0.1")
        req = Req(self.command, self.path, self.headers, body, base)
        state.base_url = base
        status, headers, out = self._dispatch(state, req)
        with LOCK:
            state.requests.append({"method": req.method, "path": req.target, "status": status,
                                   "time": now()})
            if self.server.state_file and req.method != "GET":
                save_state(state, self.server.state_file)
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(out)

    def _read_chunked(self):
        out = b""
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return out
            out += self.rfile.read(size)
            self.rfile.readline()

    def _dispatch(self, state, req):
        parts = req.full_path.split("/", 2)
        top = parts[1] if len(parts) > 1 else ""
        req.prefix = "/" + top
        req.path = "/" + (parts[2] if len(parts) > 2 else "")
        if top == "_control":
            try:
                return control(state, req)
            except (KeyError, ValueError, TypeError, AttributeError) as e:
                return jresp(400, {"error": "bad control request: %r" % (e,)})
            except Exception as e:
                import traceback
                traceback.print_exc()
                return jresp(500, {"error": "control failed: %r" % (e,)})
        if top not in MODULES:
            return jresp(404, {"error": "unknown provider prefix"})
        mod = MODULES[top]
        with LOCK:
            fault = state.faults.take(req.method, req.full_path + (
                "?" + req.target.split("?", 1)[1] if "?" in req.target else ""))
        if fault:
            time.sleep(float(fault.get("delay", 0)))
            if fault.get("malformed"):
                return 200, {"Content-Type": "application/json"}, b'{"value": [{"id": "tru'
            st = int(fault.get("status", 0))
            if st:
                h = {"Retry-After": str(fault["retry_after"])} if "retry_after" in fault else {}
                s, hh, b = mod.error(st, "Injected fault")
                hh.update(h)
                if st == 401:
                    hh["WWW-Authenticate"] = 'Bearer error="invalid_token"'
                return s, hh, b
        try:
            answer = mod.handle(state, req)
            if fault and fault.get("nul"):
                answer = with_nuls(answer, fault["nul"])
            return answer
        except Exception as e:  # a bug in the fake must not kill the server
            import traceback
            traceback.print_exc()
            return mod.error(500, "fake internal error: %r" % (e,))

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve


def with_nuls(answer, keys):
    """The answer with a NUL in the middle of every string at one of keys (escaped \\u0000)."""
    status, headers, body = answer

    def put(v):
        if isinstance(v, dict):
            return {k: (x[:len(x) // 2] + "\0" + x[len(x) // 2:]
                        if k in keys and isinstance(x, str) else put(x)) for k, x in v.items()}
        if isinstance(v, list):
            return [put(x) for x in v]
        return v
    try:
        doc = json.loads(body)
    except ValueError:
        return answer
    return status, headers, json.dumps(put(doc)).encode()


def save_state(state, path):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        pickle.dump({k: v for k, v in state.__dict__.items()}, f)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--state-dir", help="keep state in DIR/state.pickle across restarts")
    ap.add_argument("--port-file", help="write the chosen port here once listening")
    a = ap.parse_args()
    state = State()
    state_file = None
    if a.state_dir:
        os.makedirs(a.state_dir, exist_ok=True)
        state_file = os.path.join(a.state_dir, "state.pickle")
        if os.path.exists(state_file):
            with open(state_file, "rb") as f:
                state.__dict__.update(pickle.load(f))
    ThreadingHTTPServer.request_queue_size = 128   # curl multi opens many connections at once
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    srv.state = state
    srv.state_file = state_file
    port = srv.server_address[1]
    state.base_url = "http://127.0.0.1:%d" % port
    if a.port_file:
        with open(a.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.replace(a.port_file + ".tmp", a.port_file)
    print("fake providers listening on http://127.0.0.1:%d" % port, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
