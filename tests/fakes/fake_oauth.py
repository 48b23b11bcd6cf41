# OAuth 2.0 authorization-code flow with PKCE for the fake Google, Microsoft and Nylas servers:
# the consent page, the code redirect and the token endpoint (authorization_code and refresh_token).
import json
import secrets
import time
import urllib.parse

from fake_common import LOCK, consent_page, fake_jwt, now, pkce_ok, redirect_with


def _html(status, text):
    return status, {"Content-Type": "text/html; charset=utf-8"}, text.encode()


def _error_page(msg):
    return _html(400, "<!doctype html><h1>Error 400</h1><p>%s</p>" % msg)


def authorize(state, provider, req):
    """GET shows the consent page (or redirects at once when auto_consent is set); POST is the
    Allow / Deny form."""
    q = dict(req.query)
    if req.method == "POST":
        form = {k: v[0] for k, v in urllib.parse.parse_qs(req.body.decode()).items()}
        q = {k: v for k, v in form.items() if k not in ("decision", "account")}
        decision, chosen = form.get("decision", "deny"), form.get("account", "")
    else:
        decision, chosen = None, None
    client_id, secret_ = state.client(provider)
    if q.get("client_id") != client_id:
        return _error_page("invalid_client: unknown client_id")
    uri = q.get("redirect_uri", "")
    allowed = state.config.get("redirect_uris") or []
    if not uri.startswith(("http://", "https://")) or (allowed and uri not in allowed):
        return _error_page("redirect_uri_mismatch")
    base = {"state": q["state"]} if "state" in q else {}
    if q.get("response_type") != "code":
        return 302, {"Location": redirect_with(uri, dict(base, error="unsupported_response_type"))}, b""
    if state.config.get("require_pkce") and not q.get("code_challenge"):
        return 302, {"Location": redirect_with(uri, dict(base, error="invalid_request",
                     error_description="code_challenge required"))}, b""
    with LOCK:
        accounts = list(state.accounts[provider].values())
    auto = state.config.get("auto_consent")
    if decision is None and auto:
        decision = "allow" if auto is True or auto == "allow" else "deny"
    if decision is None:
        if not accounts:
            return _error_page("no accounts on this fake provider")
        return _html(200, consent_page(provider, q, accounts, req.prefix + req.path))
    if decision != "allow":
        return 302, {"Location": redirect_with(uri, dict(base, error="access_denied",
                     error_description="The user denied the request"))}, b""
    hint = (chosen or q.get("login_hint") or "").lower()
    with LOCK:
        acct = state.accounts[provider].get(hint) or (accounts[0] if accounts else None)
        if acct is None:
            return _error_page("no such account")
        code = "code-" + secrets.token_urlsafe(18)
        state.oauth[provider].codes[code] = {
            "email": acct.email, "client_id": client_id, "redirect_uri": uri,
            "challenge": q.get("code_challenge", ""), "method": q.get("code_challenge_method", ""),
            "scope": q.get("scope", ""), "exp": now() + 600,
            "offline": q.get("access_type") == "offline"}
    params = dict(code=code, **base)
    if provider == "google":
        params["scope"] = q.get("scope", "")
    return 302, {"Location": redirect_with(uri, params)}, b""


def _token_error(provider, status, err, desc):
    if provider == "microsoft":
        body = {"error": err, "error_description": "AADSTS70008: " + desc, "error_codes": [70008],
                "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
                "trace_id": secrets.token_hex(8), "correlation_id": secrets.token_hex(8)}
    elif provider == "nylas":
        body = {"error": err, "error_code": status, "error_description": desc,
                "error_uri": "https://accounts.nylas.com/#tag/Event-Codes",
                "request_id": secrets.token_hex(8)}
    else:
        body = {"error": err, "error_description": desc}
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


def _params(req):
    ctype = req.headers.get("Content-Type") or ""
    if "json" in ctype:
        try:
            d = json.loads(req.body or b"{}")
            return {k: str(v) for k, v in d.items()} if isinstance(d, dict) else {}
        except ValueError:
            return {}
    return {k: v[0] for k, v in urllib.parse.parse_qs(req.body.decode()).items()}


def _client_creds(req, p):
    auth = req.headers.get("Authorization") or ""
    if auth.startswith("Basic "):
        import base64
        try:
            cid, _, sec = base64.b64decode(auth[6:]).decode().partition(":")
            return urllib.parse.unquote(cid), urllib.parse.unquote(sec)
        except Exception:
            return "", ""
    return p.get("client_id", ""), p.get("client_secret", "")


def token(state, provider, req):
    """The token endpoint: authorization_code (with PKCE) and refresh_token grants."""
    p = _params(req)
    cid, sec = _client_creds(req, p)
    client_id, client_secret = state.client(provider)
    if cid != client_id or sec != client_secret:
        return _token_error(provider, 401 if provider != "nylas" else 400, "invalid_client",
                            "The OAuth client was not found or the secret is wrong.")
    grant = p.get("grant_type")
    ttl = int(state.config.get("token_ttl", 3600))
    oa = state.oauth[provider]
    with LOCK:
        if grant == "authorization_code":
            c = oa.codes.pop(p.get("code", ""), None)
            if not c or c["exp"] < now() or c["client_id"] != cid:
                return _token_error(provider, 400, "invalid_grant", "Malformed auth code.")
            if c["redirect_uri"] != p.get("redirect_uri"):
                return _token_error(provider, 400, "invalid_grant", "redirect_uri mismatch.")
            if not pkce_ok(c["challenge"], c["method"], p.get("code_verifier"),
                           nylas_variant=provider == "nylas"):
                return _token_error(provider, 400, "invalid_grant", "Invalid code verifier.")
            email_addr, scope = c["email"], c["scope"]
            want_refresh = {"google": c["offline"], "nylas": True,
                            "microsoft": "offline_access" in scope.split()}[provider]
            rt = oa.new_refresh(email_addr, cid, scope) if want_refresh else None
        elif grant == "refresh_token":
            r = oa.refresh.get(p.get("refresh_token", ""))
            if not r or r["revoked"] or r["client_id"] != cid:
                return _token_error(provider, 400, "invalid_grant",
                                    "Token has been expired or revoked.")
            email_addr, scope = r["email"], r["scope"]
            # Microsoft rotates refresh tokens (the old one keeps working); Google does not.
            rt = oa.new_refresh(email_addr, cid, scope) if provider == "microsoft" else None
        else:
            return _token_error(provider, 400, "unsupported_grant_type", "Unsupported grant_type.")
        acct = state.accounts[provider].get(email_addr)
        if acct is None:
            return _token_error(provider, 400, "invalid_grant", "Account no longer exists.")
        at = oa.issue(email_addr, cid, scope, ttl)
        state.record(provider, email_addr, "token", grant=grant)
    claims = {"iss": state.base_url + "/" + provider, "aud": cid, "sub": acct.id,
              "email": acct.email, "email_verified": True, "name": acct.name,
              "iat": int(now()), "exp": int(now()) + ttl}
    if provider == "microsoft":
        claims.update(preferred_username=acct.email, oid=acct.id, tid="fake-tenant")
    body = {"access_token": at, "token_type": "Bearer", "expires_in": ttl, "scope": scope,
            "id_token": fake_jwt(claims)}
    if rt:
        body["refresh_token"] = rt
    if provider == "microsoft":
        body["ext_expires_in"] = ttl
    if provider == "nylas":
        body.update(grant_id=acct.id, email=acct.email, provider="google")
    return 200, {"Content-Type": "application/json", "Cache-Control": "no-store"}, \
        json.dumps(body).encode()


def revoke(state, provider, req):
    """Google's revoke endpoint: token=<refresh or access token>."""
    tok = req.query.get("token") or _params(req).get("token", "")
    with LOCK:
        oa = state.oauth[provider]
        if tok in oa.refresh:
            oa.refresh[tok]["revoked"] = True
        elif tok in oa.access:
            del oa.access[tok]
        else:
            return _token_error(provider, 400, "invalid_token", "Token expired or revoked")
    return 200, {"Content-Type": "application/json"}, b"{}"
