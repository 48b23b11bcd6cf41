# Fake Microsoft: identity platform v2 endpoints and Graph v1.0 (me, mailboxSettings, mail
# folders, message delta, $value, move, sendMail, calendarView delta, events, subscriptions).
import base64
import email
import email.policy
import email.utils
import hashlib
import json
import re
import urllib.parse
from datetime import datetime

import fake_oauth
from fake_common import (LOCK, Event, date_of, dec_token, enc_token, fmt_addr, http_post,
                         iso_utc, jresp, mime_from_fields, new_id, now, page_after, parse_iso,
                         req_json, stamp, zone, local_to_epoch, date_epoch)

WELL_KNOWN = {"inbox": "Inbox", "sentitems": "Sent Items", "drafts": "Drafts",
              "deleteditems": "Deleted Items", "archive": "Archive"}
CODES = {400: "BadRequest", 401: "InvalidAuthenticationToken", 403: "ErrorAccessDenied",
         404: "ErrorItemNotFound", 409: "ErrorFolderExists", 410: "SyncStateNotFound",
         429: "TooManyRequests", 500: "InternalServerError", 503: "ServiceUnavailable"}
RESPONSE = {"NEEDS-ACTION": "none", "ACCEPTED": "accepted", "DECLINED": "declined",
            "TENTATIVE": "tentativelyAccepted"}
RESPONSE_IN = {v: k for k, v in RESPONSE.items()}
PURPOSE = {"normal": "user", "shared": "shared", "group": "others"}


def error(status, message, code=None):
    return jresp(status, {"error": {"code": code or CODES.get(status, "UnknownError"),
                                    "message": message, "innerError": {
                                        "date": iso_utc(now()), "request-id": new_id(32)}}})


def init_account(acct):
    for wk, name in WELL_KNOWN.items():
        fid = "AAMkAG" + wk.upper()
        acct.folders[fid] = {"id": fid, "name": name, "system": True, "wk": wk}


def new_event_id():
    return "AAMkAGEv" + new_id(32)


def folder_id(acct, name, create=True):
    n = (name or "").lower()
    for f in acct.folders.values():
        if f["id"] == name or f.get("wk") == n or f["name"].lower() == n:
            return f["id"]
    if n == "sent":
        return folder_id(acct, "sentitems")
    if not create:
        return None
    fid = "AAMkAGF" + new_id(24)
    acct.folders[fid] = {"id": fid, "name": name, "system": False}
    return fid


def deliver(acct, raw, folder, unread=True):
    m = acct.add_message(raw, [folder_id(acct, folder)], mid="AAMkAGI" + new_id(32))
    m.unread = unread and folder.lower() not in ("sent", "sentitems")
    return m


def move(acct, m, folder):
    """Moving gives the message a new id, as Graph does (without ImmutableId)."""
    fid = folder_id(acct, folder)
    unread = m.unread
    acct.delete_message(m)
    n = acct.add_message(m.raw, [fid], internal_ms=m.internal_ms, mid="AAMkAGI" + new_id(32),
                         thread_id=m.thread_id)
    n.unread = unread
    return n


def dump(acct):
    return {"id": acct.id, "folders": list(acct.folders.values()),
            "messages": [{"id": m.id, "folder": sorted(m.labels), "subject": m.hdr("Subject"),
                          "internetMessageId": m.message_id}
                         for m in acct.messages.values()],
            "events": [{"id": e.id, "iCalUId": e.uid, "subject": e.summary,
                        "deleted": e.deleted, "transactionId": e.transaction_id}
                       for e in acct.events.values()],
            "subscriptions": list(acct.channels.values())}


# ---- mail ----------------------------------------------------------------------------------


def _email_addr(a):
    return {"emailAddress": {"name": a["name"] or a["email"], "address": a["email"]}}


def msg_json(acct, m, prefer):
    text, htm = m.bodies()
    want_text = 'outlook.body-content-type="text"' in prefer
    if htm is not None and not want_text:
        body = {"contentType": "html", "content": htm}
    else:
        body = {"contentType": "text", "content": text if text is not None else
                re.sub(r"<[^>]*>", "", htm or "")}
    frm = m.addrs("From")
    try:
        sent = email.utils.parsedate_to_datetime(m.hdr("Date")).timestamp()
    except Exception:
        sent = m.internal_ms / 1000
    fid = next(iter(m.labels), "")
    preview = re.sub(r"\s+", " ", text or re.sub(r"<[^>]*>", " ", htm or "")).strip()[:255]
    return {"@odata.etag": 'W/"%d"' % m.mod_seq, "id": m.id,
            "createdDateTime": iso_utc(m.internal_ms / 1000),
            "lastModifiedDateTime": iso_utc(m.internal_ms / 1000),
            "receivedDateTime": iso_utc(m.internal_ms / 1000), "sentDateTime": iso_utc(sent),
            "hasAttachments": False, "internetMessageId": m.message_id,
            "subject": m.hdr("Subject"), "bodyPreview": preview, "importance": "normal",
            "parentFolderId": fid, "conversationId": "AAQkAG" + m.thread_id,
            "isRead": not m.unread, "isDraft": False, "body": body,
            "sender": _email_addr(frm[0]) if frm else None,
            "from": _email_addr(frm[0]) if frm else None,
            "toRecipients": [_email_addr(a) for a in m.addrs("To")],
            "ccRecipients": [_email_addr(a) for a in m.addrs("Cc")],
            "bccRecipients": [], "replyTo": [_email_addr(a) for a in m.addrs("Reply-To")]}


def _page_size(state, req):
    mm = re.search(r"odata\.maxpagesize=(\d+)", req.headers.get("Prefer") or "")
    return state.page_size(req.query.get("$top") or (mm.group(1) if mm else None))


def _link(req, path, params):
    return req.base + req.prefix + "/v1.0" + path + "?" + urllib.parse.urlencode(params)


def _delta_state(acct, req, token_key):
    """(since, upto, after, extra) of a delta request or an error response."""
    q = req.query
    if "$skiptoken" in q:
        t = dec_token(q["$skiptoken"])
        if t is None:
            return None, error(400, "Invalid skip token")
    elif "$deltatoken" in q:
        if q["$deltatoken"] == "latest":
            return {"s": acct.seq, "u": acct.seq, "x": {}}, None
        t = dec_token(q["$deltatoken"])
        if t is None:
            return None, error(400, "Invalid delta token")
        t = {"s": t["s"], "x": t.get("x", {})}
    else:
        t = {"s": None, "x": {}}
    if t["s"] is not None and t["s"] < acct.floor:
        return None, error(410, "The sync state generation is not found.", "SyncStateNotFound")
    t.setdefault("u", acct.seq)
    return t, None


def _delta_reply(req, path, t, items, size, ctx):
    chunk, nxt = page_after(items, lambda x: [x["id"]], t.get("a"), size)
    out = {"@odata.context": req.base + req.prefix + "/v1.0/$metadata#" + ctx, "value": chunk}
    if nxt:
        out["@odata.nextLink"] = _link(req, path, {"$skiptoken": enc_token(
            {"a": nxt, "u": t["u"], "s": t["s"], "x": t["x"]})})
    else:
        out["@odata.deltaLink"] = _link(req, path, {"$deltatoken": enc_token(
            {"s": t["u"], "x": t["x"]})})
    return jresp(200, out)


def message_delta(state, acct, req, fid):
    t, err = _delta_state(acct, req, "mail")
    if err:
        return err
    flt = req.query.get("$filter", "")
    if flt and t["s"] is None:
        mm = re.fullmatch(r"receivedDateTime\s+(ge|gt)\s+(\S+)", flt.strip())
        if not mm:
            return error(400, "Unsupported $filter on delta: " + flt, "ErrorInvalidUrlQuery")
        t["x"]["since_ts"] = parse_iso(mm.group(2))
    since, upto = t["s"], t["u"]
    prefer = req.headers.get("Prefer") or ""
    items = {}
    for m in acct.messages.values():
        if fid in m.labels and m.mod_seq <= upto and (since is None or m.mod_seq > since) and \
                m.internal_ms / 1000 >= t["x"].get("since_ts", 0):
            items[m.id] = msg_json(acct, m, prefer)
    if since is not None:
        for seq, mid, f in acct.removed:
            if f == fid and since < seq <= upto and mid not in items:
                cur = acct.messages.get(mid)
                if cur is None or fid not in cur.labels:
                    items[mid] = {"@odata.type": "#microsoft.graph.message", "id": mid,
                                  "@removed": {"reason": "deleted"}}
    return _delta_reply(req, "/me/mailFolders/%s/messages/delta" % fid, t, list(items.values()),
                        _page_size(state, req), "Collection(message)")


SEND_MAX = 4 * 1024 * 1024   # Graph's request size limit; larger attachments need an upload session


def json_files(msg):
    """(files, error) of a JSON sendMail's attachments: fileAttachment with contentBytes."""
    files = []
    for a in msg.get("attachments") or []:
        if a.get("@odata.type") != "#microsoft.graph.fileAttachment" or not a.get("name"):
            return None, "only fileAttachment with a name is supported"
        try:
            files.append((a["name"], a.get("contentType") or "application/octet-stream",
                          base64.b64decode(a.get("contentBytes") or "", validate=True)))
        except ValueError:
            return None, "contentBytes is not valid base64"
    return files, None


def send_mail(state, acct, req):
    ctype = req.headers.get("Content-Type") or ""
    if len(req.body or b"") > SEND_MAX:
        return error(413, "The maximum request length supported is 4MB.",
                     "RequestBodyTooLarge")
    if ctype.startswith("text/plain"):
        try:
            raw = base64.b64decode(req.body, validate=False)
        except Exception:
            return error(400, "Invalid base64 MIME content", "ErrorMimeContentInvalidBase64String")
        save = True
    else:
        d = req_json(req)
        if d is None or not isinstance(d.get("message"), dict):
            return error(400, "Empty Payload. JSON content expected.", "ErrorInvalidRequest")
        msg = d["message"]
        addrs = {k: [fmt_addr(r["emailAddress"].get("name"), r["emailAddress"]["address"])
                     for r in msg.get(k) or []] for k in ("toRecipients", "ccRecipients")}
        body = msg.get("body") or {}
        files, why = json_files(msg)
        if why:
            return error(400, why, "ErrorInvalidRequest")
        raw = mime_from_fields(fmt_addr(acct.name, acct.email), addrs["toRecipients"],
                               addrs["ccRecipients"], msg.get("subject"),
                               body.get("content", ""), body.get("contentType", "text"),
                               {h["name"]: h["value"] for h in
                                msg.get("internetMessageHeaders") or []}, files)
        save = d.get("saveToSentItems", True) not in (False, "false")
    p = email.message_from_bytes(raw, policy=email.policy.default)
    if not (p.get("To") or p.get("Cc") or p.get("Bcc")):
        return error(400, "At least one recipient is not valid.", "ErrorInvalidRecipients")
    if save:
        m = acct.add_message(raw, [folder_id(acct, "sentitems")], int(now() * 1000),
                             "AAMkAGI" + new_id(32))
        m.unread = False
    state.record("microsoft", acct.email, "send_mail", raw=raw.decode("utf-8", "replace"),
                 to=str(p.get("To") or ""), subject=str(p.get("Subject") or ""))
    return 202, {}, b""


def folder_json(acct, f):
    msgs = [m for m in acct.messages.values() if f["id"] in m.labels]
    return {"id": f["id"], "displayName": f["name"], "parentFolderId": "AAMkAGROOT",
            "childFolderCount": 0, "unreadItemCount": sum(m.unread for m in msgs),
            "totalItemCount": len(msgs), "isHidden": False}


def mail(state, acct, req, rest):
    q = req.query
    if rest == "/mailFolders":
        if req.method == "GET":
            fl = [folder_json(acct, f) for f in acct.folders.values()]
            mm = re.fullmatch(r"displayName eq '(.*)'", q.get("$filter", "").strip())
            if mm:
                fl = [f for f in fl if f["displayName"] == mm.group(1).replace("''", "'")]
            return jresp(200, {"value": fl})
        if req.method == "POST":
            d = req_json(req) or {}
            name = d.get("displayName")
            if not name:
                return error(400, "displayName is required", "ErrorInvalidRequest")
            if folder_id(acct, name, create=False):
                return error(409, "A folder with the specified name already exists.")
            f = acct.folders[folder_id(acct, name)]
            state.record("microsoft", acct.email, "folder_create", name=name, id=f["id"])
            return jresp(201, folder_json(acct, f))
    mm = re.fullmatch(r"/mailFolders/([^/]+)(/messages(/delta)?)?", rest)
    if mm and req.method == "GET":
        fid = folder_id(acct, mm.group(1), create=False)
        if fid is None:
            return error(404, "The specified folder could not be found in the store.",
                         "ErrorItemNotFound")
        if not mm.group(2):
            return jresp(200, folder_json(acct, acct.folders[fid]))
        if mm.group(3):
            return message_delta(state, acct, req, fid)
        msgs = sorted((m for m in acct.messages.values() if fid in m.labels),
                      key=lambda m: (-m.internal_ms, m.id))
        skip = int(q.get("$skip", 0))
        size = _page_size(state, req)
        out = {"value": [msg_json(acct, m, req.headers.get("Prefer") or "")
                         for m in msgs[skip:skip + size]]}
        if skip + size < len(msgs):
            out["@odata.nextLink"] = _link(req, "/me/mailFolders/%s/messages" % mm.group(1),
                                           {"$top": size, "$skip": skip + size})
        return jresp(200, out)
    mm = re.fullmatch(r"/messages/([^/]+)(/\$value|/move)?", rest)
    if mm:
        m = acct.messages.get(mm.group(1))
        if m is None:
            return error(404, "The specified object was not found in the store.")
        if mm.group(2) == "/$value" and req.method == "GET":
            return 200, {"Content-Type": "text/plain"}, m.raw
        if mm.group(2) == "/move" and req.method == "POST":
            d = req_json(req) or {}
            fid = folder_id(acct, d.get("destinationId", ""), create=False)
            if fid is None:
                return error(400, "Id is malformed.", "ErrorInvalidIdMalformed")
            n = move(acct, m, fid)
            state.record("microsoft", acct.email, "move", id=m.id, new_id=n.id, folder=fid,
                         folder_name=acct.folders[fid]["name"])
            return jresp(201, msg_json(acct, n, req.headers.get("Prefer") or ""))
        if req.method == "GET" and not mm.group(2):
            return jresp(200, msg_json(acct, m, req.headers.get("Prefer") or ""))
        if req.method == "PATCH" and not mm.group(2):
            d = req_json(req) or {}
            if "isRead" in d:
                m.unread = not d["isRead"]
                m.mod_seq = acct.bump()
            return jresp(200, msg_json(acct, m, ""))
        if req.method == "DELETE" and not mm.group(2):
            acct.delete_message(m)
            return 204, {}, b""
    if rest == "/sendMail" and req.method == "POST":
        return send_mail(state, acct, req)
    return None


# ---- calendar ------------------------------------------------------------------------------


def _out_tz(req):
    mm = re.search(r'outlook\.timezone="([^"]+)"', req.headers.get("Prefer") or "")
    return mm.group(1) if mm else "UTC"


def gtime(ev, ts, tzout):
    if ev.all_day:
        return {"dateTime": date_of(ts, "UTC") + "T00:00:00.0000000", "timeZone": tzout}
    return {"dateTime": datetime.fromtimestamp(ts, zone(tzout)).strftime(
        "%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": tzout}


def _recurrence_json(ev):
    rule = dict(p.split("=", 1) for p in ev.rrule.split(";") if "=" in p)
    kind = {"DAILY": "daily", "WEEKLY": "weekly", "MONTHLY": "absoluteMonthly"}.get(
        rule.get("FREQ"), "daily")
    first = datetime.fromtimestamp(ev.start, zone(ev.tz))
    pat = {"type": kind, "interval": int(rule.get("INTERVAL", 1)), "month": 0,
           "dayOfMonth": first.day if kind == "absoluteMonthly" else 0,
           "daysOfWeek": [first.strftime("%A").lower()] if kind == "weekly" else [],
           "firstDayOfWeek": "sunday", "index": "first"}
    rng = {"type": "noEnd", "startDate": first.date().isoformat(), "endDate": "0001-01-01",
           "recurrenceTimeZone": ev.tz, "numberOfOccurrences": 0}
    if "COUNT" in rule:
        rng.update(type="numbered", numberOfOccurrences=int(rule["COUNT"]))
    elif "UNTIL" in rule:
        u = rule["UNTIL"]
        rng.update(type="endDate", endDate="%s-%s-%s" % (u[:4], u[4:6], u[6:8]))
    return {"pattern": pat, "range": rng}


def occurrence_id(ev, orig, opaque=False):
    """The id of one occurrence: "<master>_<stamp>", or, with the config switch
    graph_opaque_occurrence_ids, an id that says nothing about its series, as real Graph's."""
    if opaque:
        return "AAMkAGEvT" + hashlib.sha256(("%s/%s" % (ev.id, stamp(orig))).encode()) \
            .hexdigest()[:40]
    return "%s_%s" % (ev.id, stamp(orig))


def event_json(acct, ev, tzout, inst=None, opaque=False):
    if inst:
        orig, s, e, ov = inst
        eid, kind = occurrence_id(ev, orig, opaque), ("exception" if ov else "occurrence")
    else:
        s, e, ov = ev.start, ev.end, None
        eid, kind = ev.id, ("seriesMaster" if ev.rrule else "singleInstance")
    org = ev.organizer or {}
    org_email = org.get("email") or acct.email
    loc = (ov or {}).get("location", ev.location)
    out = {"@odata.etag": 'W/"%d"' % ev.mod_seq, "id": eid,
           "createdDateTime": iso_utc(ev.created), "lastModifiedDateTime": iso_utc(ev.updated),
           "changeKey": str(ev.mod_seq), "categories": [], "transactionId": ev.transaction_id,
           "originalStartTimeZone": ev.tz, "originalEndTimeZone": ev.tz,
           "iCalUId": ev.uid if not inst else "%s-%s" % (ev.uid, stamp(orig)), "uid": ev.uid,
           "reminderMinutesBeforeStart": 15, "isReminderOn": True, "hasAttachments": False,
           "subject": (ov or {}).get("summary", ev.summary), "bodyPreview": ev.description[:255],
           "importance": "normal", "sensitivity": "normal", "isAllDay": ev.all_day,
           "isCancelled": ev.status == "cancelled", "isOrganizer": org_email == acct.email,
           "responseRequested": True, "seriesMasterId": ev.id if inst else None,
           "showAs": "busy", "type": kind, "webLink": "https://outlook.invalid/?itemid=" + eid,
           "onlineMeetingUrl": None, "isOnlineMeeting": False,
           "responseStatus": {"response": "organizer" if org_email == acct.email else "none",
                              "time": "0001-01-01T00:00:00Z"},
           "body": {"contentType": "text", "content": ev.description},
           "start": gtime(ev, s, tzout), "end": gtime(ev, e, tzout),
           "location": {"displayName": loc, "locationType": "default"},
           "locations": [{"displayName": loc}] if loc else [],
           "recurrence": _recurrence_json(ev) if ev.rrule and not inst else None,
           "attendees": [{"type": "required", "status": {
               "response": RESPONSE.get(a["status"], "none"), "time": "0001-01-01T00:00:00Z"},
               "emailAddress": {"name": a.get("name") or a["email"], "address": a["email"]}}
               for a in ev.attendees],
           "organizer": {"emailAddress": {"name": org.get("name") or org_email,
                                          "address": org_email}}}
    if inst:
        out["originalStart"] = iso_utc(orig)
    return out


def _removed(eid):
    return {"@odata.type": "#microsoft.graph.event", "id": eid, "@removed": {"reason": "deleted"}}


def calendar_delta(state, acct, req):
    t, err = _delta_state(acct, req, "events")
    if err:
        return err
    if t["s"] is None and not t["x"]:
        q = req.query
        if "startDateTime" not in q or "endDateTime" not in q:
            return error(400, "This request requires a time window specified by the query "
                              "string parameters StartDateTime and EndDateTime.",
                         "ErrorInvalidParameter")
        t["x"] = {"start": parse_iso(q["startDateTime"]), "end": parse_iso(q["endDateTime"])}
    lo, hi = t["x"]["start"], t["x"]["end"]
    since, upto = t["s"], t["u"]
    tzout = _out_tz(req)
    opaque = bool(state.config.get("graph_opaque_occurrence_ids"))
    items = []
    for ev in acct.events.values():
        if ev.mod_seq > upto or (since is not None and ev.mod_seq <= since):
            continue
        if not ev.rrule:
            inside = ev.end > lo and ev.start < hi
            if ev.deleted or not inside:
                if since is not None:
                    items.append(_removed(ev.id))
            else:
                items.append(event_json(acct, ev, tzout))
            continue
        for o in ev.occurrences():
            if not (o[2] > lo and o[1] < hi):
                continue
            if ev.deleted or (o[3] or {}).get("cancelled"):
                if since is not None:
                    items.append(_removed(occurrence_id(ev, o[0], opaque)))
            else:
                items.append(event_json(acct, ev, tzout, o, opaque))
    return _delta_reply(req, "/me/calendarView/delta", t, items, _page_size(state, req),
                        "Collection(event)")


def _parse_time(obj):
    if not isinstance(obj, dict) or "dateTime" not in obj:
        raise ValueError("start/end need dateTime and timeZone")
    s, tz = obj["dateTime"], obj.get("timeZone") or "UTC"
    if re.search(r"(Z|[+-]\d\d:\d\d)$", s):
        return parse_iso(s), tz
    return local_to_epoch(s, tz), tz


def apply_graph(ev, d):
    if "subject" in d:
        ev.summary = d["subject"] or ""
    if "body" in d:
        ev.description = (d["body"] or {}).get("content", "")
    if "location" in d:
        ev.location = (d["location"] or {}).get("displayName", "")
    if "isAllDay" in d:
        ev.all_day = bool(d["isAllDay"])
    if "start" in d:
        ev.start, ev.tz = _parse_time(d["start"])
    if "end" in d:
        ev.end, _ = _parse_time(d["end"])
    if ev.all_day and ("start" in d or "end" in d):
        ev.start_date, ev.end_date = d["start"]["dateTime"][:10], d["end"]["dateTime"][:10]
        ev.start, ev.end, ev.tz = date_epoch(ev.start_date), date_epoch(ev.end_date), "UTC"
    if "attendees" in d:
        ev.attendees = [{"email": a["emailAddress"]["address"].lower(),
                         "name": a["emailAddress"].get("name", ""),
                         "status": RESPONSE_IN.get((a.get("status") or {}).get("response"),
                                                   "NEEDS-ACTION")}
                        for a in d["attendees"] or []]
    if d.get("recurrence"):
        pat, rng = d["recurrence"]["pattern"], d["recurrence"]["range"]
        rule = "FREQ=" + {"daily": "DAILY", "weekly": "WEEKLY"}.get(pat["type"], "MONTHLY")
        rule += ";INTERVAL=%d" % int(pat.get("interval", 1))
        if rng.get("type") == "numbered":
            rule += ";COUNT=%d" % int(rng["numberOfOccurrences"])
        elif rng.get("type") == "endDate":
            rule += ";UNTIL=" + rng["endDate"].replace("-", "") + "T235959Z"
        ev.rrule = rule


def events(state, acct, req, rest):
    tzout = _out_tz(req)
    if rest == "/calendarView/delta" and req.method == "GET":
        return calendar_delta(state, acct, req)
    if rest in ("/events", "/calendar/events") and req.method == "POST":
        d = req_json(req)
        if d is None:
            return error(400, "Empty Payload. JSON content expected.")
        tid = d.get("transactionId")
        if tid:
            old = next((e for e in acct.events.values() if e.transaction_id == tid), None)
            if old is not None:
                return jresp(201, event_json(acct, old, tzout))
        ev = Event(new_event_id(), "040000008200E00074C5B7101A82E008" + new_id(32).upper())
        ev.organizer = {"email": acct.email, "name": acct.name}
        ev.transaction_id = tid
        try:
            apply_graph(ev, d)
        except (KeyError, ValueError, TypeError) as e:
            return error(400, "Invalid event: %s" % e, "ErrorInvalidRequest")
        if "start" not in d or "end" not in d:
            return error(400, "Your request can't be completed. An event needs a start and "
                              "an end.", "ErrorInvalidRequest")
        acct.events[ev.id] = ev
        acct.touch_event(ev)
        out = event_json(acct, ev, tzout)
        state.record("microsoft", acct.email, "event_create", id=ev.id, event=out, body=d)
        return jresp(201, out)
    mm = re.fullmatch(r"/(?:calendar/)?events/([^/]+)", rest)
    if not mm:
        return None
    ev = acct.events.get(mm.group(1))
    if ev is None and req.method == "GET":   # an occurrence, by its own id (as Graph serves it)
        for master in acct.events.values():
            for o in master.occurrences() if master.rrule and not master.deleted else []:
                if mm.group(1) in (occurrence_id(master, o[0]), occurrence_id(master, o[0], True)) \
                        and not (o[3] or {}).get("cancelled"):
                    return jresp(200, event_json(acct, master, tzout, o))
    if ev is None or ev.deleted:
        return error(404, "The specified object was not found in the store.")
    if req.method == "GET":
        return jresp(200, event_json(acct, ev, tzout))
    if req.method == "PATCH":
        # If-Match: the @odata.etag as last read; changed meanwhile -> 412
        ifm = req.headers.get("If-Match")
        if ifm and ifm != "*" and ifm != 'W/"%d"' % ev.mod_seq:
            return error(412, "The change key passed in the request does not match the current"
                         " change key of the item.", "ErrorIrresolvableConflict")
        d = req_json(req)
        if d is None:
            return error(400, "Empty Payload. JSON content expected.")
        try:
            apply_graph(ev, d)
        except (KeyError, ValueError, TypeError) as e:
            return error(400, "Invalid event: %s" % e, "ErrorInvalidRequest")
        acct.touch_event(ev)
        out = event_json(acct, ev, tzout)
        state.record("microsoft", acct.email, "event_patch", id=ev.id, event=out, body=d)
        return jresp(200, out)
    if req.method == "DELETE":
        ev.deleted, ev.status = True, "cancelled"
        acct.touch_event(ev)
        state.record("microsoft", acct.email, "event_delete", id=ev.id)
        return 204, {}, b""
    return error(405, "Method not allowed")


# ---- subscriptions (change notifications) ------------------------------------------------


def sub_json(s):
    return {k: v for k, v in s.items() if not k.startswith("_")}


def create_subscription(state, req):
    with LOCK:
        who = state.oauth["microsoft"].check_bearer(req.headers)
        if who is None:
            return unauthorized()
        acct = state.account("microsoft", who)
    d = req_json(req) or {}
    for k in ("changeType", "notificationUrl", "resource", "expirationDateTime"):
        if not d.get(k):
            return error(400, "Missing property %s" % k, "InvalidRequest")
    try:
        exp = parse_iso(d["expirationDateTime"])
    except ValueError:
        return error(400, "Invalid expirationDateTime", "InvalidRequest")
    if exp > now() + 10080 * 60:
        return error(400, "Subscription expiration can only be 10080 minutes in the future.",
                     "InvalidRequest")
    token = "Validation: Testing client application reachability for subscription Request-Id: "\
        + new_id(32)
    for url in filter(None, [d["notificationUrl"], d.get("lifecycleNotificationUrl")]):
        st, body = http_post(url + ("&" if "?" in url else "?") + "validationToken=" +
                             urllib.parse.quote(token), b"",
                             {"Content-Type": "text/plain; charset=utf-8"})
        if st != 200 or body != token:
            return error(400, "Subscription validation request failed. Notification endpoint "
                              "must respond with 200 OK to validation request.", "InvalidRequest")
    sub = {"id": new_id(8) + "-" + new_id(4) + "-" + new_id(12), "resource": d["resource"],
           "applicationId": state.client("microsoft")[0], "changeType": d["changeType"],
           "clientState": d.get("clientState"), "notificationUrl": d["notificationUrl"],
           "lifecycleNotificationUrl": d.get("lifecycleNotificationUrl"),
           "expirationDateTime": iso_utc(exp), "creatorId": acct.id,
           "latestSupportedTlsVersion": "v1_2", "notificationContentType": "application/json"}
    with LOCK:
        acct.channels[sub["id"]] = sub
        state.record("microsoft", acct.email, "subscribe", id=sub["id"], resource=d["resource"],
                     notification_url=d["notificationUrl"], client_state=d.get("clientState"))
    return jresp(201, dict(sub, **{"@odata.context": req.base + req.prefix +
                                   "/v1.0/$metadata#subscriptions/$entity"}))


def subscriptions(state, acct, req, rest):
    if rest == "" and req.method == "GET":
        return jresp(200, {"value": [sub_json(s) for s in acct.channels.values()]})
    sid = rest.lstrip("/")
    s = acct.channels.get(sid)
    if s is None:
        return error(404, "The object was not found.", "ResourceNotFound")
    if req.method == "PATCH":
        d = req_json(req) or {}
        if "expirationDateTime" in d:
            s["expirationDateTime"] = iso_utc(parse_iso(d["expirationDateTime"]))
        return jresp(200, sub_json(s))
    if req.method == "DELETE":
        del acct.channels[sid]
        state.record("microsoft", acct.email, "unsubscribe", id=sid)
        return 204, {}, b""
    return jresp(200, sub_json(s))


def notify_targets(state, acct, d):
    kind = d.get("resource")
    out = []
    for s in acct.channels.values():
        is_event = "event" in s["resource"].lower()
        if kind and (kind == "calendar") != is_event:
            continue
        if d.get("id"):
            item = d["id"]
        elif is_event:
            item = max(acct.events.values(), key=lambda e: e.mod_seq).id if acct.events else ""
        else:
            item = max(acct.messages.values(), key=lambda m: m.mod_seq).id \
                if acct.messages else ""
        res = "Users/%s/%s/%s" % (acct.id, "Events" if is_event else "Messages", item)
        n = {"id": new_id(16), "subscriptionId": s["id"],
             "subscriptionExpirationDateTime": s["expirationDateTime"],
             "changeType": d.get("change", "created"), "resource": res,
             "resourceData": {"@odata.type": "#Microsoft.Graph." + (
                 "Event" if is_event else "Message"), "@odata.id": res,
                 "@odata.etag": 'W/"%d"' % acct.seq, "id": item},
             "clientState": s.get("clientState"), "tenantId": "fake-tenant"}
        out.append({"url": s["notificationUrl"], "headers": {
            "Content-Type": "application/json; charset=utf-8"},
            "body": json.dumps({"value": [n]}).encode()})
    return out


def send_notification(t):
    st, body = http_post(t["url"], t["body"], t["headers"])
    return {"url": t["url"], "status": st, "body": body[:200]}


# ---- routing -------------------------------------------------------------------------------


def unauthorized():
    s, h, b = error(401, "Access token has expired or is not yet valid.")
    h["WWW-Authenticate"] = 'Bearer realm="", authorization_uri="https://login.microsoftonline' \
        '.com/common/oauth2/authorize", error="invalid_token"'
    return s, h, b


def handle(state, req):
    p = req.path
    mm = re.fullmatch(r"/[^/]+/oauth2/v2\.0/(authorize|token)", p)
    if mm:
        if mm.group(1) == "authorize":
            return fake_oauth.authorize(state, "microsoft", req)
        if req.method == "POST":
            return fake_oauth.token(state, "microsoft", req)
    if p == "/v1.0/subscriptions" and req.method == "POST":
        return create_subscription(state, req)
    with LOCK:
        who = state.oauth["microsoft"].check_bearer(req.headers)
        if who is None:
            return unauthorized()
        acct = state.account("microsoft", who)
        if p.startswith("/v1.0/subscriptions"):
            return subscriptions(state, acct, req, p[len("/v1.0/subscriptions"):])
        mm = re.fullmatch(r"/v1\.0/(?:me|users/([^/]+))(/.*)?", p)
        if not mm:
            return error(400, "Resource not found for the segment '%s'." % p, "BadRequest")
        if mm.group(1) and mm.group(1).lower() not in (acct.email, acct.id):
            return error(403, "Access is denied. Check credentials and try again.")
        rest = mm.group(2) or ""
        if rest == "" and req.method == "GET":
            first, _, last = acct.name.partition(" ")
            return jresp(200, {
                "@odata.context": req.base + req.prefix + "/v1.0/$metadata#users/$entity",
                "id": acct.id, "displayName": acct.name, "givenName": first,
                "surname": last, "mail": acct.email, "userPrincipalName": acct.email,
                "businessPhones": [], "jobTitle": None, "mobilePhone": None,
                "officeLocation": None, "preferredLanguage": "en-US"})
        if rest == "/mailboxSettings" and req.method == "GET":
            return jresp(200, {"timeZone": "UTC", "language": {"locale": "en-US"},
                               "userPurpose": PURPOSE.get(acct.kind, "user"),
                               "dateFormat": "M/d/yyyy", "timeFormat": "h:mm tt"})
        r = mail(state, acct, req, rest) or events(state, acct, req, rest)
        return r or error(400, "Resource not found for the segment '%s'." % rest, "BadRequest")
