# Fake Nylas API v3: hosted auth, grants, messages (cursor paging, raw MIME, send, folders),
# events (calendar_id, updated_after, expand_recurring) and signed webhooks with the challenge.
import base64
import email
import email.policy
import hashlib
import hmac
import json
import re
import secrets
import urllib.parse

import fake_oauth
from fake_common import (LOCK, Event, b64url, date_epoch, date_of, dec_token, enc_token,
                         fmt_addr, http_post, jresp, mime_from_fields, new_id, now, page_after,
                         req_json, stamp)

TYPES = {400: "invalid_request_error", 401: "unauthorized", 403: "forbidden",
         404: "not_found_error", 429: "rate_limit_error", 500: "internal_error",
         503: "provider_error"}
STATUS = {"NEEDS-ACTION": "noreply", "ACCEPTED": "yes", "DECLINED": "no", "TENTATIVE": "maybe"}
STATUS_IN = {v: k for k, v in STATUS.items()}
SYSTEM = {"INBOX": "\\Inbox", "SENT": "\\Sent", "TRASH": "\\Trash", "DRAFT": "\\Drafts"}


def error(status, message):
    return jresp(status, {"request_id": new_id(16), "error": {
        "type": TYPES.get(status, "api_error"), "message": message}})


def ok(data, **extra):
    return jresp(200, dict({"request_id": new_id(16), "data": data}, **extra))


def init_account(acct):
    for fid, attr in SYSTEM.items():
        acct.folders[fid] = {"id": fid, "name": fid.title(), "system": True, "attr": attr}


def new_event_id():
    return new_id(26)


def folder_id(acct, name, create=True):
    for f in acct.folders.values():
        if f["id"] == name or f["name"].lower() == name.lower():
            return f["id"]
    if not create:
        return None
    fid = "Label_%d" % (len(acct.folders) + 1)
    acct.folders[fid] = {"id": fid, "name": name, "system": False}
    return fid


def deliver(acct, raw, folder, unread=True):
    fid = folder_id(acct, {"inbox": "INBOX", "sent": "SENT"}.get(folder.lower(), folder))
    m = acct.add_message(raw, [fid])
    m.unread = unread and fid != "SENT"
    return m


def move(acct, m, folder):
    acct.relabel(m, [folder_id(acct, folder)], list(m.labels))
    return m


def dump(acct):
    return {"grant_id": acct.id, "folders": list(acct.folders.values()),
            "messages": [{"id": m.id, "folders": sorted(m.labels), "subject": m.hdr("Subject"),
                          "message_id": m.message_id} for m in acct.messages.values()],
            "events": [event_json(acct, e) for e in acct.events.values()]}


def grant_json(acct):
    return {"id": acct.id, "grant_status": "valid", "provider": "google", "email": acct.email,
            "name": acct.name, "scope": ["openid", "email", "calendar", "mail"],
            "created_at": int(now()), "updated_at": int(now()),
            "account_kind": acct.kind}  # account_kind: an extension of the fake, see README


# ---- messages ------------------------------------------------------------------------------


def msg_json(acct, m, fields=""):
    text, htm = m.bodies()
    out = {"id": m.id, "grant_id": acct.id, "object": "message", "thread_id": m.thread_id,
           "subject": m.hdr("Subject"), "from": m.addrs("From"), "to": m.addrs("To"),
           "cc": m.addrs("Cc"), "bcc": [], "reply_to": m.addrs("Reply-To"),
           "date": int(m.internal_ms / 1000), "created_at": int(m.internal_ms / 1000),
           "unread": m.unread, "starred": False,
           "snippet": re.sub(r"\s+", " ", text or re.sub(r"<[^>]*>", " ", htm or "")).strip()[:100],
           "body": htm if htm is not None else (text or ""), "folders": sorted(m.labels),
           "attachments": []}
    if fields == "include_headers":
        out["headers"] = [{"name": k, "value": str(v)} for k, v in m.headers.items()]
    return out


def list_messages(state, acct, req):
    q = req.query
    tok = dec_token(q["page_token"]) if q.get("page_token") else {}
    if q.get("page_token") and tok is None:
        return error(400, "invalid page_token")
    try:
        after = int(q.get("received_after", 0))
        before = int(q.get("received_before", 0)) or None
        limit = int(q.get("limit", 50))
    except ValueError:
        return error(400, "received_after, received_before and limit must be integers")
    folder = q.get("in")
    items = [m for m in acct.messages.values() if m.internal_ms / 1000 > after and
             (before is None or m.internal_ms / 1000 < before) and
             (not folder or folder_id(acct, folder, False) in m.labels) and
             (q.get("unread") is None or m.unread == (q["unread"] == "true")) and
             (not q.get("from") or q["from"].lower() in [a["email"].lower() for a in
                                                         m.addrs("From")])]
    chunk, nxt = page_after(items, lambda m: [-m.internal_ms, m.id], tok.get("a"),
                            state.page_size(min(limit, 200)))
    extra = {"next_cursor": enc_token({"a": nxt})} if nxt else {}
    return ok([msg_json(acct, m, q.get("fields", "")) for m in chunk], **extra)


JSON_SEND_MAX = 3 * 1000 * 1000     # the JSON schema: the whole request at most 3 MB
MULTIPART_SEND_MAX = 25 * 1024 * 1024


def send_files_json(d):
    """(files, error) of a JSON send's attachments array: base64 content, a filename and a
    content_type each; a size given must be the decoded size."""
    files = []
    for a in d.get("attachments") or []:
        if not isinstance(a, dict) or not a.get("filename") or not a.get("content_type") or \
                not isinstance(a.get("content"), str):
            return None, "each attachment needs filename, content_type and content"
        try:
            data = base64.b64decode(a["content"], validate=True)
        except ValueError:
            return None, "attachment content is not valid base64"
        if "size" in a and a["size"] != len(data):
            return None, "attachment size %r does not match its content (%d)" % (a["size"],
                                                                                 len(data))
        files.append((a["filename"], a["content_type"], data))
    return files, None


def send_multipart(req):
    """(message dict, files, error) of a multipart/form-data send: the field "message" holds
    the JSON, every part with a filename is a file."""
    ctype = req.headers.get("Content-Type") or ""
    head = ("Content-Type: %s\r\nMIME-Version: 1.0\r\n\r\n" % ctype).encode()
    msg = email.message_from_bytes(head + (req.body or b""), policy=email.policy.HTTP)
    if not msg.is_multipart() or msg.defects:
        return None, None, "the multipart body could not be read: %r" % msg.defects
    d, files = None, []
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if part.get_filename():
            files.append((part.get_filename(), part.get_content_type(),
                          part.get_payload(decode=True)))
        elif name == "message":
            try:
                d = json.loads(part.get_payload(decode=True))
            except ValueError:
                return None, None, "the message field is not JSON"
    if not isinstance(d, dict):
        return None, None, "a multipart send needs a message field with the JSON"
    if d.get("attachments"):
        return None, None, "a multipart send carries its files as parts"
    return d, files, None


def send(state, acct, req):
    ctype = (req.headers.get("Content-Type") or "").lower()
    body_len = len(req.body or b"")
    if ctype.startswith("multipart/form-data"):
        if body_len > MULTIPART_SEND_MAX:
            return error(413, "request body larger than 25MB")
        d, files, why = send_multipart(req)
        if why:
            return error(400, why)
        form = "multipart"
    else:
        d = req_json(req)
        if d is None:
            return error(400, "send needs a JSON or multipart/form-data body")
        if body_len > JSON_SEND_MAX:
            return error(413, "JSON request body larger than 3MB: use multipart/form-data")
        files, why = send_files_json(d)
        if why:
            return error(400, why)
        form = "json"
    to = [fmt_addr(a.get("name"), a["email"]) for a in d.get("to") or []]
    cc = [fmt_addr(a.get("name"), a["email"]) for a in d.get("cc") or []]
    if not to and not cc and not d.get("bcc"):
        return error(400, "to, cc or bcc must have at least one recipient")
    extra = {}
    reply = acct.messages.get(d.get("reply_to_message_id") or "")
    if reply is not None and reply.message_id:
        extra = {"In-Reply-To": reply.message_id, "References": reply.message_id}
    body = d.get("body") or ""
    ctype = "html" if re.search(r"<[a-zA-Z][^>]*>", body) else "plain"
    raw = mime_from_fields(fmt_addr(acct.name, acct.email), to, cc, d.get("subject"), body,
                           ctype, extra, files)
    m = acct.add_message(raw, ["SENT"], int(now() * 1000))
    m.unread = False
    state.record("nylas", acct.email, "send_mail", id=m.id, raw=raw.decode("utf-8", "replace"),
                 to=", ".join(to), subject=d.get("subject") or "", form=form,
                 body={k: v for k, v in d.items() if k != "attachments"},
                 files=[{"filename": n, "content_type": t, "size": len(b),
                         "sha256": hashlib.sha256(b).hexdigest()} for n, t, b in files])
    return ok(msg_json(acct, m))


def folder_json(acct, f):
    msgs = [m for m in acct.messages.values() if f["id"] in m.labels]
    out = {"id": f["id"], "grant_id": acct.id, "object": "folder", "name": f["name"],
           "system_folder": f["system"], "total_count": len(msgs),
           "unread_count": sum(m.unread for m in msgs)}
    if f.get("attr"):
        out["attributes"] = [f["attr"]]
    return out


def messages(state, acct, req, rest):
    if rest == "/messages" and req.method == "GET":
        return list_messages(state, acct, req)
    if rest == "/messages/send" and req.method == "POST":
        return send(state, acct, req)
    if rest == "/folders":
        if req.method == "GET":
            return ok([folder_json(acct, f) for f in acct.folders.values()])
        if req.method == "POST":
            d = req_json(req) or {}
            if not d.get("name"):
                return error(400, "name is required")
            if folder_id(acct, d["name"], create=False):
                return error(400, "a folder with this name already exists")
            fid = folder_id(acct, d["name"])
            state.record("nylas", acct.email, "folder_create", name=d["name"], id=fid)
            return ok(folder_json(acct, acct.folders[fid]))
    mm = re.fullmatch(r"/messages/([^/]+)", rest)
    if mm:
        m = acct.messages.get(mm.group(1))
        if m is None:
            return error(404, "message not found")
        if req.method == "GET":
            if req.query.get("fields") == "raw_mime":
                return ok({"grant_id": acct.id, "object": "message", "id": m.id,
                           "raw_mime": b64url(m.raw)})
            return ok(msg_json(acct, m, req.query.get("fields", "")))
        if req.method == "PUT":
            d = req_json(req) or {}
            if "folders" in d:
                bad = [f for f in d["folders"] if f not in acct.folders]
                if bad:
                    return error(400, "unknown folder " + bad[0])
                acct.relabel(m, [f for f in d["folders"] if f not in m.labels],
                             [f for f in m.labels if f not in d["folders"]])
                state.record("nylas", acct.email, "move", id=m.id, folders=d["folders"])
            if "unread" in d:
                m.unread = bool(d["unread"])
            return ok(msg_json(acct, m))
        if req.method == "DELETE":
            acct.delete_message(m)
            return ok(None)
    return None


# ---- events --------------------------------------------------------------------------------


def when_json(ev, s, e):
    if ev.all_day:
        sd, ed = date_of(s, "UTC"), date_of(e - 86400, "UTC")
        if sd == ed:
            return {"object": "date", "date": sd}
        return {"object": "datespan", "start_date": sd, "end_date": ed}
    return {"object": "timespan", "start_time": int(s), "end_time": int(e),
            "start_timezone": ev.tz, "end_timezone": ev.tz}


def event_json(acct, ev, inst=None):
    org = ev.organizer or {}
    out = {"id": ev.id, "grant_id": acct.id, "object": "event", "calendar_id": acct.email,
           "ical_uid": ev.uid, "title": ev.summary, "description": ev.description,
           "location": ev.location, "busy": True, "read_only": False,
           "status": "cancelled" if ev.status == "cancelled" or ev.deleted else "confirmed",
           "organizer": {"email": org.get("email") or acct.email, "name": org.get("name", "")},
           "participants": [{"email": a["email"], "name": a.get("name", ""),
                             "status": STATUS.get(a["status"], "noreply")} for a in ev.attendees],
           "created_at": int(ev.created), "updated_at": int(ev.updated),
           "html_link": "https://calendar.google.invalid/event?eid=" + ev.id,
           "when": when_json(ev, ev.start, ev.end)}
    if ev.rrule and not inst:
        out["recurrence"] = ["RRULE:" + ev.rrule]
    if inst:
        orig, s, e, ov = inst
        out.update(id="%s_%s" % (ev.id, stamp(orig)), master_event_id=ev.id,
                   original_start_time=int(orig), when=when_json(ev, s, e))
        if ov:
            out["title"] = ov.get("summary", ev.summary)
            out["location"] = ov.get("location", ev.location)
            if ov.get("cancelled"):
                out["status"] = "cancelled"
    return out


def list_events(state, acct, req):
    q = req.query
    if q.get("calendar_id") not in ("primary", acct.email):
        return error(400, "calendar_id is required and must name a calendar of the grant")
    tok = dec_token(q["page_token"]) if q.get("page_token") else {}
    try:
        upd = int(q.get("updated_after", 0))
        lo, hi = float(q.get("start", "-inf")), float(q.get("end", "inf"))
    except ValueError:
        return error(400, "updated_after, start and end must be Unix timestamps")
    expand = q.get("expand_recurring") == "true"
    show_cancelled = q.get("show_cancelled") == "true"
    items = []
    for ev in acct.events.values():
        if upd and ev.updated <= upd:
            continue
        if q.get("master_event_id") and ev.id != q["master_event_id"]:
            continue
        if ev.rrule:
            occ = [o for o in ev.occurrences() if o[2] > lo and o[1] < hi]
            if expand:
                items += [event_json(acct, ev, o) for o in occ]
            elif occ:
                items += [event_json(acct, ev)] + [event_json(acct, ev, o) for o in occ if o[3]]
        elif ev.end > lo and ev.start < hi:
            items.append(event_json(acct, ev))
    if not show_cancelled:
        items = [x for x in items if x["status"] != "cancelled"]
    chunk, nxt = page_after(items, lambda x: [x["id"]], tok.get("a"),
                            state.page_size(q.get("limit")))
    extra = {"next_cursor": enc_token({"a": nxt})} if nxt else {}
    return ok(chunk, **extra)


def apply_nylas(ev, d):
    for k, attr in (("title", "summary"), ("description", "description"),
                    ("location", "location")):
        if k in d:
            setattr(ev, attr, d[k] or "")
    w = d.get("when")
    if w:
        if "start_time" in w:
            ev.all_day = False
            ev.start, ev.end = float(w["start_time"]), float(w["end_time"])
            ev.tz = w.get("start_timezone") or "UTC"
        else:
            ev.all_day, ev.tz = True, "UTC"
            ev.start_date = w.get("date") or w["start_date"]
            last = w.get("date") or w["end_date"]
            ev.start = date_epoch(ev.start_date)
            ev.end = date_epoch(last) + 86400
            ev.end_date = date_of(ev.end, "UTC")
    if "participants" in d:
        ev.attendees = [{"email": p["email"].lower(), "name": p.get("name", ""),
                         "status": STATUS_IN.get(p.get("status"), "NEEDS-ACTION")}
                        for p in d["participants"] or []]
    if "recurrence" in d:
        ev.rrule = next((r[6:] for r in d["recurrence"] or [] if r.startswith("RRULE:")), None)


def events(state, acct, req, rest):
    if rest == "/calendars" and req.method == "GET":
        return ok([{"id": acct.email, "grant_id": acct.id, "object": "calendar",
                    "name": acct.email, "is_primary": True, "read_only": False,
                    "timezone": "UTC"}])
    if rest == "/events" and req.method == "GET":
        return list_events(state, acct, req)
    if not rest.startswith("/events"):
        return None
    if req.query.get("calendar_id") not in ("primary", acct.email):
        return error(400, "calendar_id is required")
    if rest == "/events" and req.method == "POST":
        d = req_json(req)
        if d is None or not d.get("when"):
            return error(400, "when is required")
        ev = Event(new_event_id(), new_id(26) + "@google.com")
        ev.organizer = {"email": acct.email, "name": acct.name}
        try:
            apply_nylas(ev, d)
        except (KeyError, ValueError, TypeError) as e:
            return error(400, "invalid event: %s" % e)
        acct.events[ev.id] = ev
        acct.touch_event(ev)
        out = event_json(acct, ev)
        state.record("nylas", acct.email, "event_create", id=ev.id, event=out, body=d)
        return ok(out)
    mm = re.fullmatch(r"/events/([^/]+)", rest)
    ev = acct.events.get(mm.group(1)) if mm else None
    if ev is None or ev.deleted:
        return error(404, "event not found")
    if req.method == "GET":
        return ok(event_json(acct, ev))
    if req.method == "PUT":
        d = req_json(req)
        if d is None:
            return error(400, "JSON body required")
        try:
            apply_nylas(ev, d)
        except (KeyError, ValueError, TypeError) as e:
            return error(400, "invalid event: %s" % e)
        acct.touch_event(ev)
        out = event_json(acct, ev)
        state.record("nylas", acct.email, "event_update", id=ev.id, event=out, body=d)
        return ok(out)
    if req.method == "DELETE":
        ev.deleted, ev.status = True, "cancelled"
        acct.touch_event(ev)
        state.record("nylas", acct.email, "event_delete", id=ev.id)
        return jresp(200, {"request_id": new_id(16)})
    return error(405, "method not allowed")


# ---- webhooks ------------------------------------------------------------------------------


def webhooks(state):
    return state.__dict__.setdefault("nylas_webhooks", {})


def create_webhook(state, req):
    d = req_json(req) or {}
    if not d.get("webhook_url") or not d.get("trigger_types"):
        return error(400, "webhook_url and trigger_types are required")
    challenge = secrets.token_urlsafe(16)
    url = d["webhook_url"]
    st, body = http_post(url + ("&" if "?" in url else "?") + "challenge=" + challenge,
                         method="GET")
    if st != 200 or body.strip() != challenge:
        return error(400, "webhook_url did not answer the challenge (status %d)" % st)
    wh = {"id": new_id(24), "description": d.get("description", ""),
          "trigger_types": d["trigger_types"], "webhook_url": url,
          "webhook_secret": state.config.get("nylas_webhook_secret") or secrets.token_hex(32),
          "status": "active",
          "notification_email_addresses": d.get("notification_email_addresses", []),
          "created_at": int(now()), "updated_at": int(now())}
    with LOCK:
        webhooks(state)[wh["id"]] = wh
        state.record("nylas", "", "webhook_create", id=wh["id"], url=url,
                     trigger_types=wh["trigger_types"])
    return ok(wh)


def register_webhook(state, d):
    """The control API's way to register a webhook as if made in the Nylas dashboard: no
    challenge, the secret given (or the configured one)."""
    wh = {"id": new_id(24), "description": "", "webhook_url": d["url"],
          "trigger_types": d.get("trigger_types") or ["message.created", "event.created",
                                                      "event.updated", "event.deleted"],
          "webhook_secret": d.get("secret") or state.config.get("nylas_webhook_secret")
          or secrets.token_hex(32), "status": "active", "created_at": int(now()),
          "updated_at": int(now())}
    webhooks(state)[wh["id"]] = wh
    return wh


def notify_targets(state, acct, d):
    res = d.get("resource", "mail")
    change = d.get("change", "created")
    typ = d.get("type") or ("message." if res == "mail" else "event.") + change
    if typ.startswith("message"):
        m = acct.messages.get(d.get("id", "")) or (max(
            acct.messages.values(), key=lambda x: x.mod_seq) if acct.messages else None)
        obj = msg_json(acct, m) if m else {}
    else:
        ev = acct.events.get(d.get("id", "")) or (max(
            acct.events.values(), key=lambda x: x.mod_seq) if acct.events else None)
        obj = event_json(acct, ev) if ev else {}
        if typ == "event.deleted" and ev:
            obj = {"id": ev.id, "grant_id": acct.id, "calendar_id": acct.email,
                   "object": "event"}
    out = []
    for wh in webhooks(state).values():
        if typ not in wh["trigger_types"]:
            continue
        body = json.dumps({"specversion": "1.0", "type": typ,
                           "source": "/google/emails/realtime" if typ.startswith("message")
                           else "/google/events/realtime", "id": new_id(20),
                           "time": int(now()), "webhook_delivery_attempt": 1,
                           "data": {"application_id": state.client("nylas")[0],
                                    "object": obj}}).encode()
        sig = hmac.new(wh["webhook_secret"].encode(), body, hashlib.sha256).hexdigest()
        out.append({"url": wh["webhook_url"], "body": body, "headers": {
            "Content-Type": "application/json", "X-Nylas-Signature": sig}})
    return out


def send_notification(t):
    st, body = http_post(t["url"], t["body"], t["headers"])
    return {"url": t["url"], "status": st, "body": body[:200]}


# ---- routing -------------------------------------------------------------------------------


def handle(state, req):
    p = req.path
    if p == "/v3/connect/auth":
        return fake_oauth.authorize(state, "nylas", req)
    if p == "/v3/connect/token" and req.method == "POST":
        return fake_oauth.token(state, "nylas", req)
    auth = req.headers.get("Authorization") or ""
    api_key = auth == "Bearer " + state.client("nylas")[1]
    if p == "/v3/webhooks" and req.method == "POST":
        return create_webhook(state, req) if api_key else error(401, "Unauthorized")
    with LOCK:
        who = state.oauth["nylas"].check_bearer(req.headers)
        if not api_key and who is None:
            return error(401, "Unauthorized: the API key or access token is missing, invalid "
                              "or expired")
        if p.startswith("/v3/webhooks"):
            if not api_key:
                return error(401, "webhooks need the API key")
            wid = p[len("/v3/webhooks"):].lstrip("/")
            if not wid and req.method == "GET":
                return ok(list(webhooks(state).values()))
            if wid in webhooks(state) and req.method == "DELETE":
                del webhooks(state)[wid]
                return ok({"status": "success"})
            return error(404, "webhook not found")
        mm = re.fullmatch(r"/v3/grants/([^/]+)(/.*)?", p)
        if not mm:
            return error(404, "not found")
        gid = urllib.parse.unquote(mm.group(1))
        acct = None
        if gid == "me" and who:
            acct = state.account("nylas", who)
        else:
            acct = next((a for a in state.accounts["nylas"].values()
                         if gid in (a.id, a.email)), None)
            if acct is not None and not api_key and acct.email != who:
                return error(401, "this access token belongs to another grant")
        if acct is None:
            return error(404, "grant not found")
        rest = mm.group(2) or ""
        if rest == "" and req.method == "GET":
            return ok(grant_json(acct))
        r = messages(state, acct, req, rest) or events(state, acct, req, rest)
        return r or error(404, "not found")
