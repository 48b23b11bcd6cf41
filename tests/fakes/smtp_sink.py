#!/usr/bin/env python3
"""A tiny SMTP server for tests (stdlib only): accepts AUTH PLAIN and LOGIN, records each message.

    smtp_sink.py --dir DIR [--user alice --password secret] [--fail N] [--port P]

Prints one JSON line {"port": P} once listening on 127.0.0.1 (port 0 or absent: a free one).
Each accepted message becomes DIR/msg-NNNN.json: {"mail_from", "rcpt_to": [...], "auth_user",
"data"}. Fault injection: the next N transactions are refused with "451 4.3.0 try again later"
at MAIL FROM; N comes from --fail or from the file DIR/fail-next (an integer, decremented as it
is used), so a running test can arm it. From Python: SmtpSink(dir).start() / .messages() /
.fail_next(n) / .stop().
"""
import argparse
import base64
import json
import os
import socketserver
import sys
import threading


class _State:
    def __init__(self, folder, user, password, fail):
        self.folder, self.user, self.password = folder, user, password
        self.lock = threading.Lock()
        if fail:
            self.write_fail(fail)

    def write_fail(self, n):
        with open(os.path.join(self.folder, "fail-next"), "w") as f:
            f.write(str(n))

    def take_failure(self):
        path = os.path.join(self.folder, "fail-next")
        with self.lock:
            try:
                with open(path) as f:
                    n = int(f.read().strip() or "0")
            except (OSError, ValueError):
                return False
            if n <= 0:
                return False
            self.write_fail(n - 1)
            return True

    def record(self, msg):
        with self.lock:
            n = len([x for x in os.listdir(self.folder) if x.startswith("msg-")])
            tmp = os.path.join(self.folder, ".msg-%04d.tmp" % (n + 1))
            with open(tmp, "w") as f:
                json.dump(msg, f)
            os.rename(tmp, os.path.join(self.folder, "msg-%04d.json" % (n + 1)))


def _b64(s):
    try:
        return base64.b64decode(s.strip(), validate=True).decode("utf-8", "replace")
    except (ValueError, UnicodeError):
        return None


class _Handler(socketserver.StreamRequestHandler):
    timeout = 30

    def reply(self, line):
        self.wfile.write((line + "\r\n").encode())
        self.wfile.flush()

    def readline(self):
        line = self.rfile.readline(65536)
        if not line:
            raise EOFError
        return line.decode("utf-8", "replace").rstrip("\r\n")

    def check_login(self, user, password):
        st = self.server.state
        if st.user is None or (user == st.user and password == st.password):
            self.auth_user = user
            self.reply("235 2.7.0 authenticated")
        else:
            self.reply("535 5.7.8 authentication failed")

    def do_auth(self, arg):
        parts = arg.split()
        mech = parts[0].upper() if parts else ""
        if mech == "PLAIN":
            if len(parts) > 1:
                blob = parts[1]
            else:
                self.reply("334 ")
                blob = self.readline()
            dec = _b64(blob)
            fields = dec.split("\0") if dec is not None else []
            if len(fields) != 3:
                return self.reply("501 5.5.2 bad AUTH PLAIN")
            return self.check_login(fields[1], fields[2])
        if mech == "LOGIN":
            if len(parts) > 1:
                user = _b64(parts[1])
            else:
                self.reply("334 VXNlcm5hbWU6")
                user = _b64(self.readline())
            self.reply("334 UGFzc3dvcmQ6")
            password = _b64(self.readline())
            if user is None or password is None:
                return self.reply("501 5.5.2 bad AUTH LOGIN")
            return self.check_login(user, password)
        self.reply("504 5.5.4 mechanism not supported")

    def do_data(self):
        self.reply("354 end with <CRLF>.<CRLF>")
        lines = []
        while True:
            raw = self.rfile.readline(1 << 20)
            if not raw:
                raise EOFError
            if raw in (b".\r\n", b".\n"):
                break
            if raw.startswith(b"."):
                raw = raw[1:]
            lines.append(raw)
        data = b"".join(lines).decode("utf-8", "replace")
        self.server.state.record({"mail_from": self.mail_from, "rcpt_to": self.rcpts,
                                  "auth_user": self.auth_user, "data": data})
        self.reply("250 2.0.0 queued")

    def handle(self):
        self.auth_user, self.mail_from, self.rcpts = None, None, []
        st = self.server.state
        self.reply("220 sink.test ESMTP")
        try:
            while True:
                line = self.readline()
                verb, _, arg = line.partition(" ")
                verb = verb.upper()
                if verb in ("EHLO", "HELO"):
                    if verb == "EHLO":
                        self.reply("250-sink.test\r\n250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250 SIZE 52428800")
                    else:
                        self.reply("250 sink.test")
                elif verb == "AUTH":
                    self.do_auth(arg)
                elif verb == "MAIL":
                    if st.user is not None and self.auth_user is None:
                        self.reply("530 5.7.0 authentication required")
                    elif st.take_failure():
                        self.reply("451 4.3.0 try again later")
                    else:
                        self.mail_from = arg.split(":", 1)[-1].strip().split(" ")[0].strip("<>")
                        self.rcpts = []
                        self.reply("250 2.1.0 ok")
                elif verb == "RCPT":
                    if self.mail_from is None:
                        self.reply("503 5.5.1 MAIL first")
                    else:
                        self.rcpts.append(arg.split(":", 1)[-1].strip().split(" ")[0].strip("<>"))
                        self.reply("250 2.1.5 ok")
                elif verb == "DATA":
                    if not self.rcpts:
                        self.reply("503 5.5.1 RCPT first")
                    else:
                        self.do_data()
                        self.mail_from, self.rcpts = None, []
                elif verb == "RSET":
                    self.mail_from, self.rcpts = None, []
                    self.reply("250 2.0.0 ok")
                elif verb == "NOOP":
                    self.reply("250 2.0.0 ok")
                elif verb == "QUIT":
                    self.reply("221 2.0.0 bye")
                    return
                else:
                    self.reply("502 5.5.2 not implemented")
        except (EOFError, ConnectionError, OSError):
            return


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SmtpSink:
    """An in-process sink: start() returns the port."""

    def __init__(self, folder, user=None, password=None, fail=0):
        os.makedirs(folder, exist_ok=True)
        self.folder = folder
        self.state = _State(folder, user, password, fail)
        self.server = None

    def start(self, port=0):
        self.server = _Server(("127.0.0.1", port), _Handler)
        self.server.state = self.state
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.port = self.server.server_address[1]
        return self.port

    def fail_next(self, n):
        self.state.write_fail(n)

    def messages(self):
        out = []
        for name in sorted(os.listdir(self.folder)):
            if name.startswith("msg-") and name.endswith(".json"):
                with open(os.path.join(self.folder, name)) as f:
                    out.append(json.load(f))
        return out

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--fail", type=int, default=0)
    a = ap.parse_args()
    sink = SmtpSink(a.dir, a.user, a.password, a.fail)
    port = sink.start(a.port)
    print(json.dumps({"port": port}), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    sink.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
