# Shared pieces of the fake providers: state (accounts, mail, events, change sequence), OAuth
# authorization-code + PKCE server, fault injection, action log, paging tokens, recurrence.
import base64
import email
import email.policy
import email.utils
import hashlib
import hmac
import html
import json
import secrets
import threading
import time
import urllib.parse
import urllib.request
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

LOCK = threading.RLock()

# ---- small helpers -------------------------------------------------------------------------


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64url_dec(s):
    s = s.strip().replace("+", "-").replace("/", "_")
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def enc_token(obj):
    """An opaque page / sync token that carries its own state."""
    return b64url(json.dumps(obj, separators=(",", ":")))


def dec_token(tok):
    try:
        v = json.loads(b64url_dec(tok))
        return v if isinstance(v, dict) else None
    except Exception:
        return None


def new_id(n=16):
    return secrets.token_hex(n // 2)


def now():
    return time.time()


def iso_utc(ts, frac=False):
    d = datetime.fromtimestamp(ts, timezone.utc)
    if frac:
        return d.strftime("%Y-%m-%dT%H:%M:%S.0000000")
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(s):
    """ISO 8601 date-time (Z, offset or naive=UTC) -> epoch seconds."""
    s = s.strip().replace("z", "Z")
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    if "." in s:  # Graph sends 7 fractional digits, fromisoformat wants <= 6
        head, _, tail = s.partition(".")
        digits = "".join(c for c in tail if c.isdigit())
        s = head + tail[len(digits):]
    d = datetime.fromisoformat(s)
    if d.tzinfo is None:
        d = d.replace(tzinfo=timezone.utc)
    return d.timestamp()


WINDOWS_TZ = {"Pacific Standard Time": "America/Los_Angeles", "Mountain Standard Time":
              "America/Denver", "Central Standard Time": "America/Chicago",
              "Eastern Standard Time": "America/New_York", "GMT Standard Time": "Europe/London",
              "W. Europe Standard Time": "Europe/Berlin", "UTC": "UTC", "Etc/UTC": "UTC"}


def zone(name):
    try:
        return ZoneInfo(WINDOWS_TZ.get(name or "UTC", name or "UTC"))
    except Exception:
        return ZoneInfo("UTC")


def local_to_epoch(naive_iso, tzname):
    d = datetime.fromisoformat(naive_iso.split(".")[0].rstrip("Z"))
    return d.replace(tzinfo=zone(tzname)).timestamp()


# ---- faults, request log, actions --------------------------------------------------------


class Faults:
    """Faults armed by tests: the next `count` requests whose "METHOD path?query" contains
    `match` get the fault instead of (or, for delay, before) the normal answer."""

    def __init__(self):
        self.items = []

    def add(self, spec):
        spec = dict(spec)
        spec.setdefault("count", 1)
        spec.setdefault("match", "")
        self.items.append(spec)
        return spec

    def take(self, method, target):
        line = method + " " + target
        for f in self.items:
            if f["count"] > 0 and f["match"] in line and f.get("method", method) == method:
                f["count"] -= 1
                return f
        return None


# ---- OAuth ---------------------------------------------------------------------------------


class OAuth:
    """Authorization codes, access and refresh tokens of one provider."""

    def __init__(self, provider):
        self.provider = provider
        self.codes = {}      # code -> dict(email, client_id, redirect_uri, challenge, method, ...)
        self.access = {}     # token -> dict(email, exp)
        self.refresh = {}    # token -> dict(email, client_id, revoked)

    def issue(self, email_addr, client_id, scope, ttl):
        at = "at-" + self.provider + "-" + secrets.token_urlsafe(24)
        self.access[at] = {"email": email_addr, "exp": now() + ttl}
        return at

    def new_refresh(self, email_addr, client_id, scope):
        rt = "rt-" + self.provider + "-" + secrets.token_urlsafe(24)
        self.refresh[rt] = {"email": email_addr, "client_id": client_id, "revoked": False,
                            "scope": scope}
        return rt

    def check_bearer(self, headers):
        """Returns the account email of a valid Bearer token, or None."""
        auth = headers.get("Authorization") or ""
        if not auth.startswith("Bearer "):
            return None
        t = self.access.get(auth[7:].strip())
        if not t or t["exp"] < now():
            return None
        return t["email"]


def pkce_ok(challenge, method, verifier, nylas_variant=False):
    if not challenge:
        return True
    if not verifier:
        return False
    if (method or "plain").upper() == "PLAIN":
        return hmac.compare_digest(challenge, verifier)
    want = b64url(hashlib.sha256(verifier.encode()).digest())
    if hmac.compare_digest(challenge, want):
        return True
    if nylas_variant:  # the Nylas SDKs send base64(hex(sha256(verifier))) without padding
        alt = base64.b64encode(hashlib.sha256(verifier.encode()).hexdigest().encode())
        return hmac.compare_digest(challenge, alt.decode().rstrip("="))
    return False


def fake_jwt(claims):
    head = b64url(json.dumps({"alg": "RS256", "kid": "fake", "typ": "JWT"}))
    return head + "." + b64url(json.dumps(claims)) + "." + b64url(b"not-a-real-signature")


def consent_page(provider, q, accounts, action):
    """The provider's consent screen: account, Allow and Deny."""
    hint = (q.get("login_hint") or "").lower()
    opts = "".join('<option value="%s"%s>%s (%s)</option>' % (
        html.escape(a.email), " selected" if a.email == hint else "", html.escape(a.name),
        html.escape(a.email)) for a in accounts)
    hidden = "".join('<input type="hidden" name="%s" value="%s">' % (
        html.escape(k), html.escape(v)) for k, v in q.items())
    return ("<!doctype html><html><head><title>Sign in - fake %s</title></head><body>"
            "<h1>Fake %s sign-in</h1><form method=\"post\" action=\"%s\">%s"
            "<p>Account: <select name=\"account\" id=\"account\">%s</select></p>"
            "<p>Scopes requested: <code>%s</code></p>"
            "<button type=\"submit\" name=\"decision\" value=\"allow\" id=\"allow\">Allow</button> "
            "<button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\">Deny</button>"
            "</form></body></html>") % (provider, provider, html.escape(action), hidden, opts,
                                        html.escape(q.get("scope", "")))


def redirect_with(uri, params):
    sep = "&" if "?" in uri else "?"
    return uri + sep + urllib.parse.urlencode(params)


# ---- mailbox and calendar state ---------------------------------------------------------


class Msg:
    def __init__(self, mid, raw, labels, thread_id, internal_ms):
        self.id = mid
        self.raw = raw              # bytes, RFC 5322
        self.labels = set(labels)   # Gmail label ids, or the one folder id (Graph / Nylas)
        self.thread_id = thread_id
        self.internal_ms = internal_ms
        self.mod_seq = 0
        self.unread = "UNREAD" in labels
        p = email.message_from_bytes(raw, policy=email.policy.default)
        self.headers = p
        self.message_id = (p.get("Message-ID") or "").strip()

    def __getstate__(self):
        d = dict(self.__dict__)
        d.pop("headers", None)
        return d

    def __setstate__(self, d):
        self.__dict__.update(d)
        self.headers = email.message_from_bytes(self.raw, policy=email.policy.default)

    def hdr(self, name):
        v = self.headers.get(name)
        return str(v) if v is not None else ""

    def addrs(self, name):
        vals = self.headers.get_all(name) or []
        return [{"name": n, "email": e} for n, e in email.utils.getaddresses([str(v) for v in vals])
                if e]

    def bodies(self):
        """(text, html) of the message, either may be None."""
        text = htm = None
        for part in self.headers.walk():
            if part.is_multipart() or part.get_content_disposition() == "attachment":
                continue
            ct = part.get_content_type()
            try:
                c = part.get_content()
            except Exception:
                c = part.get_payload(decode=True) or b""
                c = c.decode("utf-8", "replace") if isinstance(c, bytes) else str(c)
            if ct == "text/plain" and text is None:
                text = c
            elif ct == "text/html" and htm is None:
                htm = c
        return text, htm


class Event:
    """Provider-neutral appointment. Times are epoch seconds; all-day events use date strings."""

    def __init__(self, eid, uid):
        self.id = eid
        self.uid = uid
        self.summary = ""
        self.description = ""
        self.location = ""
        self.all_day = False
        self.start = self.end = 0.0
        self.start_date = self.end_date = None   # "YYYY-MM-DD" when all_day (end exclusive)
        self.tz = "UTC"
        self.organizer = {"email": "", "name": ""}
        self.attendees = []          # dicts email, name, status (RFC 5545 PARTSTAT)
        self.status = "confirmed"    # or "cancelled"
        self.rrule = None            # "FREQ=WEEKLY;COUNT=5" etc.
        self.exceptions = {}         # original start epoch (str) -> dict of overrides / cancelled
        self.deleted = False
        self.created = self.updated = now()
        self.mod_seq = 0
        self.sequence = -1          # touch_event() on creation makes it 0
        self.transaction_id = None

    def occurrences(self, limit=400):
        """[(original_start, start, end, override or None)] of a recurring event."""
        if not self.rrule:
            return []
        rule = dict(p.split("=", 1) for p in self.rrule.split(";") if "=" in p)
        freq = rule.get("FREQ", "DAILY")
        step = {"DAILY": timedelta(days=1), "WEEKLY": timedelta(weeks=1)}.get(freq)
        interval = int(rule.get("INTERVAL", "1"))
        count = int(rule["COUNT"]) if "COUNT" in rule else None
        until = parse_rrule_until(rule["UNTIL"]) if "UNTIL" in rule else None
        tzinfo = zone("UTC" if self.all_day else self.tz)
        first = datetime.fromtimestamp(self.start, tzinfo)
        dur = self.end - self.start
        out = []
        i = 0
        while len(out) < limit and (count is None or i < count):
            if step:
                loc = first + step * interval * i
            else:  # MONTHLY on the same day
                m = first.month - 1 + interval * i
                loc = first.replace(year=first.year + m // 12, month=m % 12 + 1)
            # re-localise so the wall-clock time stays put across DST changes
            loc = loc.replace(tzinfo=None).replace(tzinfo=tzinfo)
            t = loc.timestamp()
            if until is not None and t > until:
                break
            i += 1
            key = str(int(t))
            ov = self.exceptions.get(key)
            s, e = t, t + dur
            if ov and not ov.get("cancelled"):
                s, e = ov.get("start", s), ov.get("end", e)
            out.append((t, s, e, ov))
        return out


def parse_rrule_until(v):
    v = v.rstrip("Z")
    if len(v) == 8:
        return datetime.strptime(v, "%Y%m%d").replace(tzinfo=timezone.utc).timestamp() + 86399
    return datetime.strptime(v, "%Y%m%dT%H%M%S").replace(tzinfo=timezone.utc).timestamp()


def stamp(ts):
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y%m%dT%H%M%SZ")


class Account:
    def __init__(self, provider, email_addr, name, kind):
        self.provider = provider
        self.email = email_addr.lower()
        self.name = name or email_addr
        self.kind = kind or "normal"          # normal | group | shared
        self.id = new_id(16)                  # Graph user id / Nylas grant id
        self.seq = 1                          # change sequence (Gmail historyId etc.)
        self.floor = 0                        # cursors below this are expired
        self.messages = {}                    # id -> Msg
        self.history = []                     # (seq, kind, msg_id, label_ids, thread_id)
        self.removed = []                     # (seq, msg_id, folder_id) a message left a folder
        self.folders = {}                     # id -> {"id","name","system"}
        self.events = {}                      # id -> Event
        self.channels = {}                    # watch channels / subscriptions / webhooks by id

    def bump(self):
        self.seq += 1
        return self.seq

    def expire_cursors(self):
        self.floor = self.bump()

    def find_thread(self, raw):
        p = email.message_from_bytes(raw, policy=email.policy.default)
        refs = (str(p.get("References") or "") + " " + str(p.get("In-Reply-To") or "")).split()
        for m in self.messages.values():
            if m.message_id and m.message_id in refs:
                return m.thread_id
        return None

    def add_message(self, raw, labels, internal_ms=None, mid=None, thread_id=None):
        mid = mid or new_id(16)
        if not thread_id:
            thread_id = self.find_thread(raw) or mid
        if internal_ms is None:
            p = email.message_from_bytes(raw, policy=email.policy.default)
            try:
                internal_ms = int(email.utils.parsedate_to_datetime(str(p["Date"])).timestamp()
                                  * 1000)
            except Exception:
                internal_ms = int(now() * 1000)
        m = Msg(mid, raw, labels, thread_id, internal_ms)
        m.mod_seq = self.bump()
        self.messages[mid] = m
        self.history.append((m.mod_seq, "messageAdded", mid, sorted(m.labels), thread_id))
        return m

    def relabel(self, m, add, remove):
        add = [x for x in add if x not in m.labels]
        remove = [x for x in remove if x in m.labels]
        if not add and not remove:
            return
        seq = self.bump()
        m.mod_seq = seq
        for lab in remove:
            m.labels.discard(lab)
            self.removed.append((seq, m.id, lab))
        m.labels.update(add)
        if add:
            self.history.append((seq, "labelAdded", m.id, add, m.thread_id))
        if remove:
            self.history.append((seq, "labelRemoved", m.id, remove, m.thread_id))

    def delete_message(self, m):
        seq = self.bump()
        for lab in m.labels:
            self.removed.append((seq, m.id, lab))
        self.history.append((seq, "messageDeleted", m.id, sorted(m.labels), m.thread_id))
        del self.messages[m.id]

    def touch_event(self, ev):
        ev.mod_seq = self.bump()
        ev.updated = now()
        ev.sequence += 1


# ---- generic event input ------------------------------------------------------------------


def mime_from_fields(frm, to, cc, subject, body, content_type="text/plain", extra=None,
                     files=None):
    """A RFC 5322 message built from API fields (sendMail JSON, Nylas send); files: a list of
    (filename, content_type, bytes) attached after the body."""
    msg = email.message.EmailMessage()
    msg["From"] = frm
    if to:
        msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = subject or ""
    msg["Date"] = email.utils.formatdate(localtime=False)
    msg["Message-ID"] = email.utils.make_msgid(domain="fake.invalid")
    for k, v in (extra or {}).items():
        if v:
            msg[k] = v
    subtype = "html" if "html" in (content_type or "").lower() else "plain"
    msg.set_content(body or "", subtype=subtype)
    for name, ctype, data in files or []:
        major, _, minor = (ctype or "application/octet-stream").partition("/")
        msg.add_attachment(data, maintype=major, subtype=minor.split(";")[0].strip() or
                           "octet-stream", filename=name)
    return msg.as_bytes()


def fmt_addr(name, addr):
    return email.utils.formataddr((name or "", addr)) if name else addr


# ---- outbound HTTP (webhooks) -------------------------------------------------------------


def http_post(url, body=b"", headers=None, method="POST", timeout=10):
    """(status, body) of a request to a client's endpoint; status 0 when it failed."""
    req = urllib.request.Request(url, data=body if method != "GET" else None,
                                 headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except Exception as e:
        return 0, str(e)


def page_after(items, key, after, size):
    """Keyset paging over items sorted by key(): the items after `after` (a key as a list, or
    None for the first page), and the key to continue after, or None on the last page. Keys keep
    paging right while items change between pages."""
    items = sorted(items, key=key)
    if after is not None:
        after = tuple(after)
        items = [x for x in items if tuple(key(x)) > after]
    chunk = items[:size]
    return chunk, (list(key(chunk[-1])) if len(items) > size else None)


def date_of(ts, tzname):
    return datetime.fromtimestamp(ts, zone(tzname)).date().isoformat()


def date_epoch(d):
    return datetime.combine(date.fromisoformat(d), datetime.min.time(),
                            timezone.utc).timestamp()


def jresp(status, obj, headers=None):
    h = {"Content-Type": "application/json; charset=UTF-8"}
    h.update(headers or {})
    return status, h, json.dumps(obj).encode() if obj is not None else b""


def req_json(req):
    """The request body as a JSON object, or None when it is not one."""
    try:
        v = json.loads(req.body or b"null")
        return v if isinstance(v, dict) else None
    except ValueError:
        return None
