"""The test's own view of the stack's database, SQLite or PostgreSQL, behind one small interface.

    import lib_db
    target, name = lib_db.new_target(dir)   # "DIR/crm.db", None on SQLite; a fresh database's
                                            # URL and its name when $CRM_TEST_PG_URL is set
    db = lib_db.connect(target)             # sqlite3 connection, or the same calls on psycopg2
    db.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()
    db.commit(); db.close()
    lib_db.drop(name)                       # at the end (no-op for None)

tests/run sets CRM_TEST_DB=postgres and CRM_TEST_PG_URL=postgresql://crm@127.0.0.1:PORT/ (one
private server per run, scripts/pg-server); every test environment gets its own database.
Both connections run each statement on its own (autocommit) unless the test says BEGIN.
On PostgreSQL the SQL is rewritten where that is mechanical: ? and ?N parameters, INSERT OR
IGNORE, strftime('%s','now'), group_concat(x), last_insert_rowid(), json_set(x, '$.key', v, ...),
LIKE (as ILIKE: SQLite's ignores ASCII case); cursor.lastrowid is lastval(). Anything else
SQLite-only (PRAGMA, sqlite_master, rowid, ...) fails there.
"""
import os
import re
import sqlite3
import uuid

PG_URL = os.environ.get("CRM_TEST_PG_URL") or ""


def on_pg():
    """True when the run is on PostgreSQL."""
    return bool(PG_URL)


def skip_line(why):
    """The line a SQLite-only case prints in its place on PostgreSQL."""
    return "ok - skipped on PostgreSQL: " + why


def is_pg_target(target):
    return target.startswith(("postgresql://", "postgres://"))


def _psycopg2():
    """psycopg2, from Debian's python3-psycopg2 (scripts/install-deps) even when python3 is
    another build of the same Python version (a pyenv one, say), which does not look there."""
    try:
        import psycopg2
    except ImportError:
        import sys
        deb = "/usr/lib/python3/dist-packages"
        if not os.path.isdir(os.path.join(deb, "psycopg2")) or deb in sys.path:
            raise
        sys.path.append(deb)
        import psycopg2
    import psycopg2.extensions  # noqa: F401
    return psycopg2


def _base(url):
    return url if url.endswith("/") else url + "/"


def _admin():
    c = _psycopg2().connect(_base(PG_URL) + "postgres", connect_timeout=10)
    c.autocommit = True
    return c


def create(name):
    """CREATE DATABASE name on the run's server; returns its URL."""
    c = _admin()
    try:
        c.cursor().execute("CREATE DATABASE %s" % name)
    finally:
        c.close()
    return _base(PG_URL) + name


def drop(name):
    """DROP DATABASE name (its sessions ended first); None does nothing."""
    if not name or not PG_URL:
        return
    c = _admin()
    try:
        c.cursor().execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
    finally:
        c.close()


def new_target(dir, file="crm.db"):
    """(target, name): the [core] database value for a test environment in dir, and the name
    of the database to drop at its end (None on SQLite)."""
    if not PG_URL:
        return os.path.join(dir, file), None
    name = "crm_t%d_%s" % (os.getpid(), uuid.uuid4().hex[:10])
    return create(name), name


def connect(target, timeout=10, foreign_keys=False):
    """A connection on target (a file path or a postgresql:// URL). On SQLite foreign keys are
    checked only when asked (PostgreSQL always checks them)."""
    if is_pg_target(target):
        return PgConnection(target, timeout)
    c = sqlite3.connect(target, timeout=timeout, isolation_level=None, check_same_thread=False)
    if foreign_keys:
        c.execute("PRAGMA foreign_keys = ON")
    c.execute("PRAGMA busy_timeout = %d" % int(timeout * 1000))
    return c


def pg_disk_bytes(url):
    """The bytes a thief of the PostgreSQL server's disk gets of this database: after a
    CHECKPOINT, its files under base/ and the server's WAL (the test server is private)."""
    c = PgConnection(url)
    try:
        c.execute("CHECKPOINT")
        data = c.execute("SELECT current_setting('data_directory')").fetchone()[0]
        oid = c.execute("SELECT oid FROM pg_database WHERE datname = current_database()").fetchone()[0]
    finally:
        c.close()
    out = []
    for sub in (os.path.join("base", str(oid)), "pg_wal"):
        folder = os.path.join(data, sub)
        for name in sorted(os.listdir(folder)):
            p = os.path.join(folder, name)
            if os.path.isfile(p):
                with open(p, "rb") as f:
                    out.append(f.read())
    return b"".join(out)


# ---------------------------------------------------------------- PostgreSQL

_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?(\d*)|%|[^'\"?%]+", re.S)
_REWRITES = [
    (re.compile(r"strftime\(\s*'%s'\s*,\s*'now'\s*\)", re.I), "CAST(extract(epoch FROM now()) AS bigint)"),
    (re.compile(r"\bgroup_concat\(([^()]*)\)", re.I), r"string_agg(CAST(\1 AS text), ',')"),
    (re.compile(r"\blast_insert_rowid\(\)", re.I), "lastval()"),
    (re.compile(r"\bBEGIN\s+IMMEDIATE\b", re.I), "BEGIN"),
]
_OR_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", re.I)
_JSON_SET = re.compile(r"\bjson_set\(", re.I)
_LIKE = re.compile(r"\bLIKE\b", re.I)


def _split_args(sql, start):
    """The top-level arguments of the call whose "(" is at start, and the index after its ")"."""
    args, depth, i, cur = [], 0, start + 1, start + 1
    while i < len(sql):
        ch = sql[i]
        if ch == "'":
            i = sql.index("'", i + 1)
            while sql.startswith("''", i):
                i = sql.index("'", i + 2)
        elif ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif ch == ")" or (ch == "," and not depth):
            args.append(sql[cur:i].strip())
            cur = i + 1
            if ch == ")":
                return args, i + 1
        i += 1
    raise ValueError("unbalanced json_set( in " + sql)


def _json_set(sql):
    """json_set(x, '$.a', v, ...) (top-level keys only) as jsonb: x || jsonb_build_object('a', v)."""
    while True:
        m = _JSON_SET.search(sql)
        if not m:
            return sql
        args, end = _split_args(sql, m.end() - 1)
        pairs = []
        for path, value in zip(args[1::2], args[2::2]):
            if not re.fullmatch(r"'\$\.\w+'", path):
                raise ValueError("json_set path %s: only '$.key' is rewritten" % path)
            pairs += ["'%s'" % path[3:-1], value]
        sql = "%s(CAST(%s AS jsonb) || jsonb_build_object(%s))%s" % (
            sql[:m.start()], args[0], ", ".join(pairs), sql[end:])


def translate(sql, params=()):
    """(sql, params) for psycopg2: SQLite's dialect rewritten where that is mechanical."""
    for pat, rep in _REWRITES:
        sql = pat.sub(rep, sql)
    sql = _json_set(sql)
    if _OR_IGNORE.match(sql):
        sql = _OR_IGNORE.sub("INSERT INTO", sql).rstrip().rstrip(";")
        m = re.search(r"\bRETURNING\b", sql, re.I)
        if m:
            sql = sql[:m.start()] + "ON CONFLICT DO NOTHING " + sql[m.start():]
        else:
            sql += " ON CONFLICT DO NOTHING"
    params = tuple(params or ())
    out, args, nxt = [], [], 0
    for m in _TOKEN.finditer(sql):
        tok = m.group(0)
        if tok.startswith("?"):
            if m.group(1):
                args.append(params[int(m.group(1)) - 1])
            else:
                args.append(params[nxt])
                nxt += 1
            out.append("%s")
        elif tok[0] in "'\"":
            out.append(tok.replace("%", "%%"))
        else:   # SQLite's LIKE ignores the case of ASCII letters, as ILIKE does
            out.append(_LIKE.sub("ILIKE", tok.replace("%", "%%")))
    return "".join(out), tuple(args)


def _plain(v):
    return bytes(v) if isinstance(v, memoryview) else v


class PgCursor:
    def __init__(self, conn, cur):
        self._conn, self._cur = conn, cur

    def fetchone(self):
        if self._cur.description is None:
            return None
        row = self._cur.fetchone()
        return tuple(_plain(v) for v in row) if row is not None else None

    def fetchall(self):
        if self._cur.description is None:
            return []
        return [tuple(_plain(v) for v in row) for row in self._cur.fetchall()]

    def __iter__(self):
        return iter(self.fetchall())

    @property
    def rowcount(self):
        return self._cur.rowcount

    @property
    def description(self):
        return self._cur.description

    @property
    def lastrowid(self):
        """The id the last INSERT took from its sequence (lastval(), SQLite's lastrowid)."""
        c = self._conn._c.cursor()
        c.execute("SELECT lastval()")
        return c.fetchone()[0]


class PgConnection:
    """psycopg2 behind sqlite3's calls the tests use: execute, executemany, commit, rollback,
    close, and the connection as a context manager (commit, or rollback on an exception)."""

    def __init__(self, url, timeout=10):
        self._c = _psycopg2().connect(url, connect_timeout=timeout)
        self._c.autocommit = True   # as sqlite3 with isolation_level=None

    def execute(self, sql, params=()):
        q, args = translate(sql, params)
        cur = self._c.cursor()
        cur.execute(q, args)
        return PgCursor(self, cur)

    def executemany(self, sql, seq):
        cur = None
        for params in seq:
            cur = self.execute(sql, params)
        return cur

    def commit(self):
        if self.in_transaction:
            self._c.cursor().execute("COMMIT")

    def rollback(self):
        if self.in_transaction:
            self._c.cursor().execute("ROLLBACK")

    @property
    def in_transaction(self):
        ext = _psycopg2().extensions
        return self._c.info.transaction_status != ext.TRANSACTION_STATUS_IDLE

    def close(self):
        self._c.close()

    def __enter__(self):
        return self

    def __exit__(self, typ, *exc):
        if typ is None:
            self.commit()
        else:
            self.rollback()
