# Helper for Python tests: start the fake providers on a free port, drive the control API, and
# write the provider sections of a config file that point a client at them.
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))

ENDPOINTS = {
    "google": ("/google/o/oauth2/v2/auth", "/google/token", "/google", "/google/calendar/v3"),
    "microsoft": ("/microsoft/common/oauth2/v2.0/authorize",
                  "/microsoft/common/oauth2/v2.0/token", "/microsoft/v1.0", ""),
    "nylas": ("/nylas/v3/connect/auth", "/nylas/v3/connect/token", "/nylas", ""),
}


class Fake:
    """A running fake: Fake() starts it, .stop() ends it (also usable as a context manager)."""

    def __init__(self, state_dir=None):
        self.tmp = tempfile.mkdtemp(prefix="fake-providers-")
        pf = os.path.join(self.tmp, "port")
        cmd = [sys.executable, os.path.join(HERE, "fake_providers.py"), "--port", "0",
               "--port-file", pf]
        if state_dir:
            cmd += ["--state-dir", state_dir]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
        for _ in range(200):
            if os.path.exists(pf):
                break
            if self.proc.poll() is not None:
                raise RuntimeError("fake providers exited with %d" % self.proc.returncode)
            time.sleep(0.025)
        self.port = int(open(pf).read())
        self.base = "http://127.0.0.1:%d" % self.port

    def urls(self, provider):
        """auth_url, token_url, api_base, calendar_base of a provider."""
        a, t, api, cal = ENDPOINTS[provider]
        return {"auth_url": self.base + a, "token_url": self.base + t,
                "api_base": self.base + api, "calendar_base": self.base + cal if cal else ""}

    def config_ini(self, providers=("google", "microsoft", "nylas"), webhook_secret=""):
        """[google] / [microsoft] / [nylas] sections with the fake's endpoints and clients."""
        out = []
        for p in providers:
            out.append("[%s]" % p)
            out.append("client_id = %s-client-id" % p)
            out.append("client_secret = %s-client-secret" % p)
            for k, v in self.urls(p).items():
                if v:
                    out.append("%s = %s" % (k, v))
            if webhook_secret and p == "nylas":   # Google and Graph channels carry their own tokens
                out.append("webhook_secret = %s" % webhook_secret)
            out.append("")
        return "\n".join(out)

    def ctl(self, op, **body):
        """POST /_control/<op> with a JSON body; returns the decoded answer or raises."""
        req = urllib.request.Request(self.base + "/_control/" + op, json.dumps(body).encode(),
                                     {"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            raise RuntimeError("control %s: %d %s" % (op, e.code, e.read()[:300]))

    def get(self, op, **query):
        """GET /_control/<op>?query (actions, requests, state)."""
        url = self.base + "/_control/" + op + "?" + urllib.parse.urlencode(query)
        with urllib.request.urlopen(url, timeout=30) as r:
            return json.loads(r.read())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
