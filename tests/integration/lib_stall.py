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
