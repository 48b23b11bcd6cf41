"""Servers that misbehave on a loopback port, for the engine's fault tests.

    from lib_stall import StallServer
    s = StallServer("silent").start()   # accepts TCP, never sends a byte
    s = StallServer("drip").start()     # an IMAP greeting that never ends, 1 byte a second
    s = StallServer("smtp").start()     # an SMTP greeting, then silence after EHLO
    s.port, s.accepted (connections taken so far), s.stop()
"""
import socket
import threading
import time


class StallServer:
    def __init__(self, mode):
        if mode not in ("silent", "drip", "smtp"):
            raise ValueError(mode)
        self.mode = mode
        self.port = None
        self.accepted = 0
        self._sock = None
        self._stop = threading.Event()
        self._conns = []

    def start(self):
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def _accept(self):
        while not self._stop.is_set():
            try:
                c, _ = self._sock.accept()
            except (socket.timeout, OSError):
                continue
            self.accepted += 1
            self._conns.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        try:
            if self.mode == "smtp":
                c.sendall(b"220 slow.example ESMTP\r\n")
            elif self.mode == "drip":
                for b in b"* OK IMAP4rev1 ready but very slowly":
                    if self._stop.wait(1.0):
                        return
                    c.sendall(bytes([b]))
            while not self._stop.wait(1.0):
                if self.mode == "drip":
                    c.sendall(b".")
        except OSError:
            pass

    def stop(self):
        self._stop.set()
        for c in self._conns:
            try:
                c.close()
            except OSError:
                pass
        if self._sock:
            self._sock.close()


class Proxy:
    """A TCP forwarder to 127.0.0.1:target that can be taken down (connections are then closed
    at once, as a server that is not up yet) and brought up again, on the same port.

        p = Proxy(dc.port).start(); p.down(); p.up(); p.stop()
    """

    def __init__(self, target):
        self.target = target
        self.port = None
        self.is_up = True
        self._sock = None
        self._stop = threading.Event()

    def start(self):
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def down(self):
        self.is_up = False

    def up(self):
        self.is_up = True

    def _accept(self):
        while not self._stop.is_set():
            try:
                c, _ = self._sock.accept()
            except (socket.timeout, OSError):
                continue
            if not self.is_up:
                c.close()
                continue
            try:
                s = socket.create_connection(("127.0.0.1", self.target), timeout=5)
                s.settimeout(None)
            except OSError:
                c.close()
                continue
            for a, b in ((c, s), (s, c)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, a, b):
        try:
            while True:
                d = a.recv(65536)
                if not d:
                    break
                b.sendall(d)
        except OSError:
            pass
        for x in (a, b):
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self):
        self._stop.set()
        if self._sock:
            self._sock.close()
