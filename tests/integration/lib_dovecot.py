"""A private Dovecot IMAP server on 127.0.0.1 for tests (plain login, Maildir, Sent with \\Sent).

Use from another test:
    sys.path.insert(0, os.path.dirname(__file__)); from lib_dovecot import Dovecot
    with Dovecot({"alice": "secret"}) as dc:
        dc.port; dc.append("alice", "INBOX", raw_bytes); dc.client("alice")  # imaplib client
Run alone (`python3 lib_dovecot.py alice:secret`) it starts a server, prints "port N" and waits.
"""
import imaplib
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time

CONF = """\
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
instance_name = crmtest-{port}
protocols = imap
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = 0
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={d}/mail/%u
}}
namespace inbox {{
  inbox = yes
  separator = .
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  inet_listener http {{
    port = 0
  }}
}}
"""

# The auth and anvil services take a client per login process and per session: their client
# limit must be well above the sessions' (with n there, logins stall once the IDLE sessions
# of one daemon fill it).
LIMITS = """\
default_process_limit = {n}
default_client_limit = {c}
service imap {{
  process_limit = {n}
}}
service imap-login {{
  process_limit = {n}
}}
"""


def _free_port():
    for _ in range(50):
        port = random.randint(20000, 60000)
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError("no free port")


def _raise_inotify(n):
    """Each IMAP session in IDLE is an imap process with an inotify instance of its own, all of
    one user (the mail user): past fs.inotify.max_user_instances (128 by default) Dovecot falls
    back to looking every 30 s, for this instance and every other one on the machine. As root,
    raise the limit for that many sessions (else say so)."""
    path = "/proc/sys/fs/inotify/max_user_instances"
    try:
        with open(path) as f:
            cur = int(f.read())
        if cur >= n:
            return
        with open(path, "w") as f:
            f.write(str(n))
    except (OSError, ValueError) as e:
        sys.stderr.write("lib_dovecot: cannot raise %s to %d (%s): sessions past it are told of"
                         " new mail every 30 s only\n" % (path, n, e))


class Dovecot:
    """One Dovecot instance in its own temp directory; stop() kills it and removes the dir."""

    def __init__(self, users, tls=False, connections=0):
        """tls: also listen for implicit TLS on self.tls_port with a self-signed certificate.
        connections: raise Dovecot's process and client limits (100 by default) so that this
        many IMAP sessions can be open at once (one imap process each)."""
        self.users = dict(users)
        self.tls = tls
        self.connections = connections
        self.dir = None
        self.proc = None
        self.port = None
        self.tls_port = 0

    def _ssl_conf(self):
        if not self.tls:
            return "ssl = no"
        cert, key = os.path.join(self.dir, "cert.pem"), os.path.join(self.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=localhost", "-keyout", key, "-out", cert],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return "ssl = yes\nssl_cert = <%s\nssl_key = <%s" % (cert, key)

    def start(self):
        if os.geteuid() == 0:
            user, group = "nobody", "nogroup"
        else:
            import grp
            import pwd
            user = pwd.getpwuid(os.geteuid()).pw_name
            group = grp.getgrgid(os.getegid()).gr_name
        for attempt in range(5):
            self.dir = tempfile.mkdtemp(prefix="crm-dovecot-")
            os.chmod(self.dir, 0o755)
            for sub in ("run", "state", "mail"):
                os.makedirs(os.path.join(self.dir, sub))
            with open(os.path.join(self.dir, "users"), "w") as f:
                for u, p in self.users.items():
                    f.write("%s:{PLAIN}%s\n" % (u, p))
            if os.geteuid() == 0:
                shutil.chown(os.path.join(self.dir, "mail"), user, group)
            self.port = _free_port()
            self.tls_port = _free_port() if self.tls else 0
            with open(os.path.join(self.dir, "dovecot.conf"), "w") as f:
                f.write(CONF.format(d=self.dir, port=self.port, user=user, group=group,
                                    ssl=self._ssl_conf(), tls_port=self.tls_port))
                if self.connections:
                    f.write(LIMITS.format(n=self.connections + 50, c=4 * self.connections + 100))
                    _raise_inotify(self.connections + 200)
            self.proc = subprocess.Popen(
                ["dovecot", "-F", "-c", os.path.join(self.dir, "dovecot.conf")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if self._wait_ready():
                return self
            self.stop()
        raise RuntimeError("dovecot did not start")

    def _wait_ready(self):
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def log(self):
        try:
            with open(os.path.join(self.dir, "dovecot.log")) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def client(self, user):
        """A logged-in imaplib client for user (the caller logs out)."""
        c = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        c.login(user, self.users[user])
        return c

    def append(self, user, mailbox, raw, flags=""):
        """Append raw (bytes) to mailbox as another client would; returns the server's reply."""
        c = self.client(user)
        try:
            typ, data = c.append(mailbox, flags or None, None, raw)
            if typ != "OK":
                raise RuntimeError("append failed: %r" % (data,))
            return data
        finally:
            c.logout()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


if __name__ == "__main__":
    users = dict(a.split(":", 1) for a in sys.argv[1:]) or {"alice": "secret"}
    with Dovecot(users) as dc:
        print("port %d dir %s" % (dc.port, dc.dir), flush=True)
        try:
            dc.proc.wait()
        except KeyboardInterrupt:
            pass
