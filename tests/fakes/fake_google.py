# Fake Google: OAuth endpoints, Gmail API v1 (profile, history, messages, labels, send) and
# Calendar API v3 (events with sync tokens, insert/patch/update/delete, watch channels).
import email
import email.policy
import email.utils
import re
import threading
import time

import fake_oauth
from fake_common import (LOCK, Event, b64url, b64url_dec, date_of, dec_token, enc_token,
                         http_post, jresp, new_id, now, page_after, parse_iso, req_json, stamp,
                         zone, date_epoch, local_to_epoch)
from datetime import datetime

SYSTEM_LABELS = ["INBOX", "SENT", "UNREAD", "STARRED", "IMPORTANT", "TRASH", "SPAM", "DRAFT",
                 "CATEGORY_PERSONAL"]
STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                404: "NOT_FOUND", 409: "ALREADY_EXISTS", 410: "GONE",
                412: "FAILED_PRECONDITION", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
                503: "UNAVAILABLE"}
REASONS = {400: "invalid", 401: "authError", 404: "notFound", 409: "duplicate",
           410: "fullSyncRequired", 429: "rateLimitExceeded", 500: "backendError",
           503: "backendError"}
PARTSTAT = {"NEEDS-ACTION": "needsAction", "ACCEPTED": "accepted", "DECLINED": "declined",
            "TENTATIVE": "tentative"}
PARTSTAT_IN = {v: k for k, v in PARTSTAT.items()}
HISTORY_FIELD = {"messageAdded": "messagesAdded", "messageDeleted": "messagesDeleted",
                 "labelAdded": "labelsAdded", "labelRemoved": "labelsRemoved"}


def error(status, message, reason=None):
    return jresp(status, {"error": {
        "code": status, "message": message, "status": STATUS_NAMES.get(status, "UNKNOWN"),
        "errors": [{"message": message, "domain": "global",
                    "reason": reason or REASONS.get(status, "error")}]}})


def init_account(acct):
    for lab in SYSTEM_LABELS:
        acct.folders[lab] = {"id": lab, "name": lab, "system": True}


def new_event_id():
    # Google event ids use base32hex characters: lowercase a-v and digits
    return new_id(26)


def label_id(acct, name, create=True):
    for f in acct.folders.values():
        if f["id"] == name or f["name"].lower() == name.lower():
            return f["id"]
    if not create:
        return None
    lid = "Label_%d" % (len(acct.folders) + 1)
    acct.folders[lid] = {"id": lid, "name": name, "system": False}
    return lid


def deliver(acct, raw, folder, unread=True):
    f = folder.lower()
    labels = {"inbox": ["INBOX"], "sent": ["SENT"]}.get(f) or [label_id(acct, folder)]
    if unread and f != "sent":
        labels.append("UNREAD")
    return acct.add_message(raw, labels)


def move(acct, m, folder):
    lid = label_id(acct, folder)
    acct.relabel(m, [lid], [x for x in m.labels if x in ("INBOX",) or x.startswith("Label_")
                            if x != lid])
    return m


def dump(acct):
    return {"historyId": acct.seq, "labels": list(acct.folders.values()),
            "messages": [{"id": m.id, "threadId": m.thread_id, "labelIds": sorted(m.labels),
                          "subject": m.hdr("Subject"), "messageId": m.message_id}
                         for m in acct.messages.values()],
            "events": [event_json(acct, e) for e in acct.events.values()],
            "channels": list(acct.channels.values())}


# ---- Gmail -------------------------------------------------------------------------------


def msg_minimal(m):
    return {"id": m.id, "threadId": m.thread_id, "labelIds": sorted(m.labels)}


def _payload(part, pid=""):
    headers = [{"name": k, "value": str(v)} for k, v in part.items()]
    out = {"partId": pid, "mimeType": part.get_content_type(),
           "filename": part.get_filename() or "", "headers": headers}
    if part.is_multipart():
        out["body"] = {"size": 0}
        out["parts"] = [_payload(p, ("%s.%d" % (pid, i)).lstrip(".")) for i, p in
                        enumerate(part.iter_parts())]
    else:
        data = part.get_payload(decode=True) or b""
        out["body"] = {"size": len(data), "data": b64url(data)}
    return out


def msg_json(m, fmt, meta_headers):
    text, htm = m.bodies()
    snippet = re.sub(r"\s+", " ", (text or re.sub(r"<[^>]*>", " ", htm or ""))).strip()[:100]
    out = dict(msg_minimal(m), snippet=snippet, historyId=str(m.mod_seq),
               internalDate=str(m.internal_ms), sizeEstimate=len(m.raw))
    if fmt == "raw":
        out["raw"] = b64url(m.raw)
    elif fmt == "metadata":
        hs = [{"name": k, "value": str(v)} for k, v in m.headers.items()
              if not meta_headers or k.lower() in meta_headers]
        out["payload"] = {"mimeType": m.headers.get_content_type(), "headers": hs}
    elif fmt == "full":
        out["payload"] = _payload(m.headers)
    else:  # minimal
        for k in ("snippet", "sizeEstimate"):
            out.pop(k)
    return out


def _q_match(m, q):
    """A small subset of Gmail search: after:/before: (epoch or Y/M/D), from:, to:, label:,
    in:, subject:, is:unread, rfc822msgid:, and bare words against the subject."""
    for term in q.split():
        k, _, v = term.partition(":")
        v = v.strip('"').lower()
        if not _ or not v:
            if term.lower() not in m.hdr("Subject").lower():
                return False
            continue
        k = k.lower()
        if k in ("after", "before"):
            t = float(v) if v.isdigit() else datetime.strptime(v, "%Y/%m/%d").timestamp()
            if (k == "after") != (m.internal_ms / 1000 > t):
                return False
        elif k in ("from", "to", "cc"):
            if v not in " ".join(a["email"].lower() for a in m.addrs(k)):
                return False
        elif k in ("label", "in"):
            if not any(f.lower() == v for f in m.labels):
                return False
        elif k == "subject":
            if v not in m.hdr("Subject").lower():
                return False
        elif k == "is" and v == "unread":
            if "UNREAD" not in m.labels:
                return False
        elif k == "rfc822msgid":
            if m.message_id.strip("<>").lower() != v.strip("<>"):
                return False
    return True


def gmail(state, acct, req, rest):
    q = req.query
    if rest == "/profile" and req.method == "GET":
        # accountKind is an extension of the fake: Gmail has no such field (see README)
        return jresp(200, {"emailAddress": acct.email, "messagesTotal": len(acct.messages),
                           "threadsTotal": len({m.thread_id for m in acct.messages.values()}),
                           "historyId": str(acct.seq), "accountKind": acct.kind})
    if rest == "/history" and req.method == "GET":
        return history(state, acct, req)
    if rest == "/labels":
        if req.method == "GET":
            return jresp(200, {"labels": [label_json(f) for f in acct.folders.values()]})
        if req.method == "POST":
            d = req_json(req) or {}
            name = (d.get("name") or "").strip()
            if not name:
                return error(400, "Invalid label name")
            if label_id(acct, name, create=False):
                return error(409, "Label name exists or conflicts")
            lid = label_id(acct, name)
            state.record("google", acct.email, "label_create", name=name, id=lid)
            return jresp(200, label_json(acct.folders[lid]))
    m = re.fullmatch(r"/labels/([^/]+)", rest)
    if m and req.method == "GET":
        f = acct.folders.get(m.group(1))
        return jresp(200, label_json(f)) if f else error(404, "Requested entity was not found.")
    if rest == "/messages" and req.method == "GET":
        want = req.qlist.get("labelIds", [])
        items = [x for x in acct.messages.values() if all(lb in x.labels for lb in want)
                 and _q_match(x, q.get("q", ""))]
        if not q.get("includeSpamTrash") == "true":
            items = [x for x in items if not x.labels & {"SPAM", "TRASH"}]
        tok = dec_token(q["pageToken"]) if q.get("pageToken") else {}
        chunk, nxt = page_after(items, lambda x: [-x.internal_ms, x.id], tok.get("a"),
                                state.page_size(q.get("maxResults")))
        out = {"resultSizeEstimate": len(items)}
        if chunk:
            out["messages"] = [{"id": x.id, "threadId": x.thread_id} for x in chunk]
        if nxt:
            out["nextPageToken"] = enc_token({"a": nxt})
        return jresp(200, out)
    if rest == "/messages/send" and req.method == "POST":
        d = req_json(req)
        if d is None or not d.get("raw"):
            return error(400, "'raw' RFC822 payload message string or uploading message via "
                              "/upload/* URL required")
        try:
            raw = b64url_dec(d["raw"])
        except Exception:
            return error(400, "Invalid value for ByteString")
        return send(state, acct, raw, d.get("threadId"))
    m = re.fullmatch(r"/messages/([^/]+)(/modify|/trash)?", rest)
    if m:
        msg = acct.messages.get(m.group(1))
        if msg is None:
            return error(404, "Requested entity was not found.")
        if m.group(2) == "/modify" and req.method == "POST":
            d = req_json(req) or {}
            add, rem = d.get("addLabelIds") or [], d.get("removeLabelIds") or []
            bad = [x for x in add + rem if x not in acct.folders]
            if bad:
                return error(400, "Invalid label: " + bad[0])
            acct.relabel(msg, add, rem)
            state.record("google", acct.email, "modify", id=msg.id, add=add, remove=rem)
            return jresp(200, msg_minimal(msg))
        if m.group(2) == "/trash" and req.method == "POST":
            acct.relabel(msg, ["TRASH"], [x for x in msg.labels if x != "TRASH"])
            return jresp(200, msg_minimal(msg))
        if req.method == "GET":
            fmt = q.get("format", "full")
            meta = [h.lower() for h in req.qlist.get("metadataHeaders", [])]
            return jresp(200, msg_json(msg, fmt, meta))
        if req.method == "DELETE":
            acct.delete_message(msg)
            return 204, {}, b""
    return error(404, "Not Found")


def label_json(f):
    out = {"id": f["id"], "name": f["name"], "type": "system" if f["system"] else "user"}
    if not f["system"]:
        out.update(messageListVisibility="show", labelListVisibility="labelShow")
    return out


def send(state, acct, raw, thread_id=None):
    p = email.message_from_bytes(raw, policy=email.policy.default)
    if not p.get("To") and not p.get("Cc") and not p.get("Bcc"):
        return error(400, "Invalid To header")
    if not p.get("From"):
        p["From"] = email.utils.formataddr((acct.name, acct.email))
    if not p.get("Message-ID"):
        p["Message-ID"] = email.utils.make_msgid(domain="mail.gmail.com")
    if not p.get("Date"):
        p["Date"] = email.utils.formatdate()
    raw = p.as_bytes()
    m = acct.add_message(raw, ["SENT"], internal_ms=int(now() * 1000), thread_id=thread_id)
    state.record("google", acct.email, "send_mail", id=m.id, raw=raw.decode("utf-8", "replace"),
                 to=str(p.get("To") or ""), subject=str(p.get("Subject") or ""))
    return jresp(200, msg_minimal(m))


def history_record(acct, seq, group):
    h = {"id": str(seq), "messages": []}
    for _, kind, mid, labels, tid in group:
        ref = {"id": mid, "threadId": tid}
        if ref not in h["messages"]:
            h["messages"].append(ref)
        full = dict(ref, labelIds=sorted(acct.messages[mid].labels)
                    if mid in acct.messages else labels)
        entry = {"message": full}
        if kind in ("labelAdded", "labelRemoved"):
            entry["labelIds"] = labels
        h.setdefault(HISTORY_FIELD[kind], []).append(entry)
    return h


def history(state, acct, req):
    q = req.query
    if not q.get("startHistoryId", "").isdigit():
        return error(400, "Invalid startHistoryId")
    start = int(q["startHistoryId"])
    if start < acct.floor:
        return error(404, "Requested entity was not found.")
    tok = dec_token(q["pageToken"]) if q.get("pageToken") else {}
    upto = tok.get("u", acct.seq)
    types = req.qlist.get("historyTypes")
    lab = q.get("labelId")
    recs = [r for r in acct.history if start < r[0] <= upto and (not types or r[1] in types)
            and (not lab or lab in r[3] or (lab in acct.messages[r[2]].labels
                                             if r[2] in acct.messages else False))]
    by_seq = {}
    for r in recs:  # one history record per change; a move adds and removes labels at once
        by_seq.setdefault(r[0], []).append(r)
    chunk, nxt = page_after(list(by_seq.items()), lambda g: [g[0]], tok.get("a"),
                            state.page_size(q.get("maxResults")))
    out = {"historyId": str(upto)}
    if chunk:
        out["history"] = [history_record(acct, seq, group) for seq, group in chunk]
    if nxt:
        out["nextPageToken"] = enc_token({"a": nxt, "u": upto})
    return jresp(200, out)


# ---- Calendar ----------------------------------------------------------------------------


def gtime(ev, ts):
    if ev.all_day:
        return {"date": date_of(ts, "UTC")}
    return {"dateTime": datetime.fromtimestamp(ts, zone(ev.tz)).isoformat(), "timeZone": ev.tz}


def _iso_ms(ts):
    return datetime.utcfromtimestamp(ts).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def instance_id(ev, orig):
    return "%s_%s" % (ev.id, stamp(orig)[:8] if ev.all_day else stamp(orig))


def event_json(acct, ev, inst=None):
    """The Calendar API resource of an event, or of one instance (orig, start, end, override)
    of a recurring one."""
    base = {"kind": "calendar#event", "etag": '"%d"' % ev.mod_seq}
    if inst:
        orig, s, e, ov = inst
        base.update(id=instance_id(ev, orig), recurringEventId=ev.id,
                    originalStartTime=gtime(ev, orig))
        cancelled = ev.deleted or ev.status == "cancelled" or (ov or {}).get("cancelled")
    else:
        s, e, ov = ev.start, ev.end, None
        base["id"] = ev.id
        cancelled = ev.deleted or ev.status == "cancelled"
    if cancelled:
        base["status"] = "cancelled"
        if ev.deleted or (ov or {}).get("cancelled"):
            return base
    org = ev.organizer or {}
    out = dict(base, status=base.get("status", "confirmed"),
               htmlLink="https://calendar.google.invalid/event?eid=" + base["id"],
               created=_iso_ms(ev.created), updated=_iso_ms(ev.updated),
               summary=(ov or {}).get("summary", ev.summary),
               creator={"email": org.get("email") or acct.email},
               organizer={"email": org.get("email") or acct.email},
               start=gtime(ev, s), end=gtime(ev, e), iCalUID=ev.uid, sequence=ev.sequence,
               reminders={"useDefault": True}, eventType="default")
    if org.get("name"):
        out["organizer"]["displayName"] = org["name"]
    if out["organizer"]["email"] == acct.email:
        out["organizer"]["self"] = True
    loc = (ov or {}).get("location", ev.location)
    if loc:
        out["location"] = loc
    if ev.description:
        out["description"] = ev.description
    if ev.rrule and not inst:
        out["recurrence"] = ["RRULE:" + ev.rrule]
    if ev.attendees:
        out["attendees"] = []
        for a in ev.attendees:
            x = {"email": a["email"], "responseStatus": PARTSTAT.get(a["status"], "needsAction")}
            if a.get("name"):
                x["displayName"] = a["name"]
            if a["email"] == out["organizer"]["email"]:
                x["organizer"] = True
            if a["email"] == acct.email:
                x["self"] = True
            out["attendees"].append(x)
    return out


def event_items(acct, ev, single, window):
    """Every resource the events list shows for ev: the event itself, or its instances
    (singleEvents=true), or its master plus its exceptions (singleEvents=false)."""
    tmin, tmax = window
    if not ev.rrule:
        if ev.end <= tmin or ev.start >= tmax:
            return []
        return [event_json(acct, ev)]
    occ = [o for o in ev.occurrences() if o[2] > tmin and o[1] < tmax]
    if single:
        return [event_json(acct, ev, o) for o in occ]
    if not occ and not ev.deleted:
        return []
    out = [event_json(acct, ev)]
    if not ev.deleted:
        out += [event_json(acct, ev, o) for o in occ if o[3]]
    return out


def parse_gtime(obj):
    """(all_day, epoch, tz) of a Calendar API start/end."""
    if not isinstance(obj, dict):
        raise ValueError("start/end must be objects")
    if obj.get("date"):
        return True, date_epoch(obj["date"]), "UTC"
    s = obj["dateTime"]
    tz = obj.get("timeZone") or "UTC"
    if re.search(r"(Z|[+-]\d\d:?\d\d)$", s):
        return False, parse_iso(s), tz
    return False, local_to_epoch(s, tz), tz


def apply_google(acct, ev, d, replace):
    if replace:
        ev.summary = ev.description = ev.location = ""
        ev.attendees, ev.rrule = [], None
    for k in ("summary", "description", "location"):
        if k in d:
            setattr(ev, k, d[k] or "")
    if d.get("status") in ("confirmed", "tentative", "cancelled"):
        ev.status = d["status"]
    if "start" in d or "end" in d:
        ad, ev.start, ev.tz = parse_gtime(d.get("start") or gtime(ev, ev.start))
        _, ev.end, _ = parse_gtime(d.get("end") or gtime(ev, ev.end))
        ev.all_day = ad
        ev.start_date = date_of(ev.start, "UTC") if ad else None
        ev.end_date = date_of(ev.end, "UTC") if ad else None
    if "attendees" in d:
        ev.attendees = [{"email": a["email"].lower(), "name": a.get("displayName", ""),
                         "status": PARTSTAT_IN.get(a.get("responseStatus"), "NEEDS-ACTION")}
                        for a in d["attendees"] or []]
    if "recurrence" in d:
        ev.rrule = next((r[6:] for r in d["recurrence"] or [] if r.startswith("RRULE:")), None)


def list_events(state, acct, req):
    q = req.query
    tok = dec_token(q["pageToken"]) if q.get("pageToken") else None
    if q.get("pageToken") and tok is None:
        return error(400, "Invalid page token")
    since = None
    if tok:
        since = tok.get("s")
    elif q.get("syncToken"):
        for bad in ("timeMin", "timeMax", "updatedMin", "orderBy", "q", "iCalUID"):
            if bad in q:
                return error(400, "Sync token cannot be used with " + bad)
        st = dec_token(q["syncToken"])
        if st is None:
            return error(400, "Invalid sync token value.")
        since = st["s"]
    if since is not None and since < acct.floor:
        return error(410, "Sync token is no longer valid, a full sync is required.",
                     "fullSyncRequired")
    upto = tok["u"] if tok else acct.seq
    single = q.get("singleEvents") == "true"
    show_deleted = q.get("showDeleted") == "true" or since is not None
    try:
        window = (parse_iso(q["timeMin"]) if "timeMin" in q else float("-inf"),
                  parse_iso(q["timeMax"]) if "timeMax" in q else float("inf"))
    except ValueError:
        return error(400, "Bad timeMin/timeMax")
    items = []
    for ev in acct.events.values():
        if ev.mod_seq > upto or (since is not None and ev.mod_seq <= since):
            continue
        if "iCalUID" in q and ev.uid != q["iCalUID"]:
            continue
        if "updatedMin" in q and ev.updated < parse_iso(q["updatedMin"]):
            continue
        if since is None and ev.deleted and not show_deleted:
            continue
        items += [x for x in event_items(acct, ev, single, window)
                  if show_deleted or x.get("status") != "cancelled"]
    chunk, nxt = page_after(items, lambda x: [x["id"]], tok.get("a") if tok else None,
                            state.page_size(q.get("maxResults") or 250))
    out = {"kind": "calendar#events", "etag": '"%d"' % upto, "summary": acct.email,
           "updated": _iso_ms(now()), "timeZone": "UTC", "accessRole": "owner",
           "defaultReminders": [], "items": chunk}
    if nxt:
        out["nextPageToken"] = enc_token({"a": nxt, "u": upto, "s": since})
    else:
        out["nextSyncToken"] = enc_token({"s": upto})
    return jresp(200, out)


def write_event(state, acct, req, eid):
    d = req_json(req)
    if d is None:
        return error(400, "Parse Error")
    if eid is None:  # insert
        eid = d.get("id") or new_event_id()
        if not re.fullmatch(r"[a-v0-9]{5,1024}", eid):
            return error(400, "Invalid resource id value.", "invalid")
        if eid in acct.events:
            return error(409, "The requested identifier already exists.", "duplicate")
        if "start" not in d or "end" not in d:
            return error(400, "Missing end time." if "start" in d else "Missing start time.",
                         "required")
        ev = Event(eid, d.get("iCalUID") or eid + "@google.com")
        ev.organizer = {"email": acct.email, "name": acct.name}
        action = "event_create"
    else:
        ev = acct.events.get(eid)
        if ev is None:
            return error(404, "Not Found")
        if ev.deleted:
            return error(410, "Resource has been deleted", "deleted")
        # If-Match: the event's etag as last read; changed meanwhile -> 412 conditionNotMet
        ifm = req.headers.get("If-Match")
        if ifm and ifm != "*" and ifm != '"%d"' % ev.mod_seq:
            return error(412, "Precondition Failed", "conditionNotMet")
        action = "event_update" if req.method == "PUT" else "event_patch"
    try:
        apply_google(acct, ev, d, replace=req.method == "PUT")
    except (KeyError, ValueError, TypeError) as e:
        return error(400, "Invalid value: %s" % e)
    if ev.end < ev.start:
        return error(400, "The specified time range is empty.", "timeRangeEmpty")
    acct.events[ev.id] = ev
    acct.touch_event(ev)
    out = event_json(acct, ev)
    state.record("google", acct.email, action, id=ev.id, event=out, body=d,
                 send_updates=req.query.get("sendUpdates"))
    return jresp(200, out)


def calendar(state, acct, req, rest):
    m = re.fullmatch(r"/calendars/([^/]+)/events(?:/([^/]+))?", rest)
    if rest == "/users/me/calendarList" and req.method == "GET":
        return jresp(200, {"kind": "calendar#calendarList", "items": [{
            "kind": "calendar#calendarListEntry", "id": acct.email, "summary": acct.email,
            "primary": True, "accessRole": "owner", "timeZone": "UTC"}]})
    if rest == "/channels/stop" and req.method == "POST":
        d = req_json(req) or {}
        ch = acct.channels.get(d.get("id"))
        if not ch or ch.get("resourceId") != d.get("resourceId"):
            return error(404, "Channel '%s' not found for project" % d.get("id"))
        del acct.channels[d["id"]]
        state.record("google", acct.email, "channel_stop", id=d["id"])
        return 204, {}, b""
    if not m or m.group(1) not in ("primary", acct.email):
        return error(404, "Not Found")
    eid = m.group(2)
    if eid is None:
        if req.method == "GET":
            return list_events(state, acct, req)
        if req.method == "POST":
            return write_event(state, acct, req, None)
    elif eid == "watch" and req.method == "POST":
        return watch(state, acct, req)
    else:
        ev = acct.events.get(eid)
        if req.method == "GET":
            return jresp(200, event_json(acct, ev)) if ev else error(404, "Not Found")
        if req.method in ("PATCH", "PUT"):
            return write_event(state, acct, req, eid)
        if req.method == "DELETE":
            if ev is None:
                return error(404, "Not Found")
            if ev.deleted:
                return error(410, "Resource has been deleted", "deleted")
            ev.deleted, ev.status = True, "cancelled"
            acct.touch_event(ev)
            state.record("google", acct.email, "event_delete", id=eid)
            return 204, {}, b""
    return error(405, "Method not allowed")


def watch(state, acct, req):
    d = req_json(req) or {}
    if d.get("type") not in ("web_hook", "webhook") or not d.get("address") or not d.get("id"):
        return error(400, "Invalid channel: id, type=web_hook and address are required")
    if d["id"] in acct.channels:
        return error(400, "Channel id %s not unique" % d["id"], "channelIdNotUnique")
    ch = {"kind": "api#channel", "id": d["id"], "resourceId": new_id(24),
          "resourceUri": state.base_url + "/google/calendar/v3/calendars/primary/events"
          "?alt=json", "token": d.get("token"), "address": d["address"],
          "expiration": str(int(d.get("expiration") or (now() + 7 * 86400) * 1000)),
          "msgno": 0}
    acct.channels[d["id"]] = ch
    state.record("google", acct.email, "watch", id=d["id"], address=d["address"])
    # Google confirms a new channel with a "sync" message straight after answering
    t = _channel_message(ch, "sync")
    threading.Timer(0.05, send_notification, [t]).start()
    out = {k: v for k, v in ch.items() if k not in ("address", "msgno") and v is not None}
    return jresp(200, out)


def _channel_message(ch, res_state):
    h = {"X-Goog-Channel-ID": ch["id"], "X-Goog-Message-Number": str(ch["msgno"]),
         "X-Goog-Resource-ID": ch["resourceId"], "X-Goog-Resource-State": res_state,
         "X-Goog-Resource-URI": ch["resourceUri"], "X-Goog-Channel-Expiration":
         time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(int(ch["expiration"]) / 1000)),
         "Content-Length": "0"}
    if ch.get("token"):
        h["X-Goog-Channel-Token"] = ch["token"]
    ch["msgno"] += 1
    return {"url": ch["address"], "headers": h, "body": b""}


def notify_targets(state, acct, d):
    if d.get("resource") == "mail":  # Gmail pushes through Cloud Pub/Sub, which is not faked
        return []
    return [_channel_message(ch, d.get("state", "exists")) for ch in acct.channels.values()]


def send_notification(t):
    st, body = http_post(t["url"], t["body"], t["headers"])
    return {"url": t["url"], "status": st, "body": body[:200]}


# ---- routing -----------------------------------------------------------------------------


def handle(state, req):
    p = req.path
    if p in ("/o/oauth2/v2/auth", "/o/oauth2/auth"):
        return fake_oauth.authorize(state, "google", req)
    if p == "/token" and req.method == "POST":
        return fake_oauth.token(state, "google", req)
    if p == "/revoke" and req.method == "POST":
        return fake_oauth.revoke(state, "google", req)
    with LOCK:
        who = state.oauth["google"].check_bearer(req.headers)
        if who is None:
            s, h, b = error(401, "Request had invalid authentication credentials. Expected OAuth "
                                 "2 access token, login cookie or other valid authentication "
                                 "credential.")
            h["WWW-Authenticate"] = 'Bearer realm="https://accounts.google.com/"'
            return s, h, b
        acct = state.account("google", who)
        if p == "/oauth2/v3/userinfo":
            return jresp(200, {"sub": acct.id, "email": acct.email, "email_verified": True,
                               "name": acct.name})
        m = re.fullmatch(r"(/upload)?/gmail/v1/users/([^/]+)(/.*)", p)
        if m:
            if m.group(2) not in ("me", acct.email):
                return error(403, "Delegation denied for " + acct.email, "forbidden")
            if m.group(1):
                if m.group(3) != "/messages/send" or req.method != "POST":
                    return error(404, "Not Found")
                if req.query.get("uploadType", "media") != "media":
                    return error(400, "Only uploadType=media is supported by the fake")
                return send(state, acct, req.body)
            return gmail(state, acct, req, m.group(3))
        if p.startswith("/calendar/v3/"):
            return calendar(state, acct, req, p[len("/calendar/v3"):])
    return error(404, "Not Found")
