/* Shared helpers of the JSON API providers: fields, times, URL encoding, status classes. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "core/tzwin.h"
#include "providers/json_util.h"

/* A string with a NUL inside is none: as a C string it would be cut short. */
static const char *whole_string(const json_t *v)
{
	const char *s = json_string_value(v);
	return s && strlen(s) == json_string_length(v) ? s : NULL;
}

const char *ju_str(const json_t *o, const char *key)
{
	return whole_string(json_object_get(o, key));
}

char *ju_dup(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	const char *s = json_string_value(v);
	size_t n = json_string_length(v), w = 0;
	char *r;

	if (!s || !n || !(r = malloc(n + 1)))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (s[i])
			r[w++] = s[i];
	r[w] = 0;
	if (!w) {
		free(r);
		return NULL;
	}
	return r;
}

const char *ju_path(const json_t *o, ...)
{
	va_list ap;
	const char *k;
	const json_t *cur = o;

	va_start(ap, o);
	while (cur && (k = va_arg(ap, const char *)) != NULL)
		cur = json_object_get(cur, k);
	va_end(ap);
	return whole_string(cur);
}

static int two(const char *s)
{
	return isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) ? (s[0] - '0') * 10 + s[1] - '0' : -1;
}

int ju_iso_time(const char *s, int64_t *out)
{
	struct tm tm = { 0 };
	int y, mo, d, h, mi, sec, n = 0;

	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	int64_t t = (int64_t)timegm(&tm);
	const char *p = s + 19;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	if (*p == '+' || *p == '-') {
		int oh = two(p + 1), om = p[3] == ':' ? two(p + 4) : two(p + 3);
		if (oh < 0 || om < 0)
			return -1;
		int64_t off = (int64_t)oh * 3600 + om * 60;
		t += *p == '+' ? -off : off;
	} else if (*p && strcasecmp(p, "Z") != 0) {
		return -1;
	}
	*out = t;
	return 0;
}

int ju_zoned_time(const char *s, const char *tz, const char *owner_tz, int64_t *out)
{
	int64_t t;
	int y, mo, d, h, mi, sec;

	if (ju_iso_time(s, &t) < 0)
		return -1;
	const char *p = s + 19;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	if (*p) {   /* an offset or Z: the instant itself */
		*out = t;
		return 0;
	}
	const char *zone = tz_resolve(tz);
	if (!zone) {
		zone = owner_tz && tz_valid(owner_tz) ? owner_tz : NULL;
		if (tz && *tz)
			log_warnx("unknown time zone \"%.64s\", read in the owner's zone %s", tz,
			    zone ? zone : "UTC");
	}
	sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec);
	if (zone && tz_to_utc(zone, y, mo, d, h, mi, &t) == 0)
		t += sec > 59 ? 59 : sec;
	*out = t;
	return 0;
}

int ju_date(const char *s, int64_t *out)
{
	struct tm tm = { 0 };
	int y, mo, d, n = 0;
	if (!s || sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10 || s[10] ||
	    mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	*out = (int64_t)timegm(&tm);
	return 0;
}

void ju_stamp(int64_t t, int date_only, char out[17])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 17, date_only ? "%Y%m%d" : "%Y%m%dT%H%M%SZ", &tm);
}

void ju_iso(int64_t t, char out[21])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char *ju_urlenc(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *r = malloc(3 * n + 1), *w = r;
	if (!r)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			*w++ = (char)*p;
		} else {
			*w++ = '%';
			*w++ = hex[*p >> 4];
			*w++ = hex[*p & 15];
		}
	}
	*w = 0;
	return r;
}

int ju_http_class(const struct http_resp *r, long *retry_after)
{
	long st = r->status;
	if (st >= 200 && st <= 299)
		return 0;
	if (st == 429 || st == 503 ||
	    (st == 403 && r->body && (strstr(r->body, "ateLimitExceeded") || strstr(r->body, "RESOURCE_EXHAUSTED")))) {
		*retry_after = r->retry_after > 0 ? r->retry_after : JU_DEFAULT_RETRY;
		return PROV_RATE;
	}
	if (st == 0 || st >= 500)
		return PROV_TEMP;
	if (st == 401 || st == 403)
		return PROV_AUTH;
	return PROV_PERM;
}

int ju_add_header(struct http_req *req, const char *line)
{
	size_t n = 0;
	while (req->headers && req->headers[n])
		n++;
	char **nv = realloc(req->headers, (n + 2) * sizeof *nv);
	if (!nv)
		return -1;
	req->headers = nv;
	nv[n + 1] = NULL;
	if (!(nv[n] = strdup(line)))
		return -1;
	return 0;
}

int ju_req_dup(struct http_req *dst, const struct http_req *src)
{
	memset(dst, 0, sizeof *dst);
	dst->method = src->method;
	dst->timeout_ms = src->timeout_ms;
	dst->body_len = src->body_len;
	if (!(dst->url = strdup(src->url ? src->url : "")))
		goto fail;
	if (src->body) {
		if (!(dst->body = malloc(src->body_len + 1)))
			goto fail;
		memcpy(dst->body, src->body, src->body_len);
		dst->body[src->body_len] = 0;
	}
	if (src->userpwd && !(dst->userpwd = strdup(src->userpwd)))
		goto fail;
	for (char **h = src->headers; h && *h; h++)
		if (ju_add_header(dst, *h) < 0)
			goto fail;
	return 0;
fail:
	http_req_clear(dst);
	return -1;
}

int ju_send(struct http_req *req, const char *method, char *url, char *body, const char *ctype)
{
	char ct[128];
	memset(req, 0, sizeof *req);
	req->method = method;
	req->url = url;
	req->body = body;
	req->body_len = body ? strlen(body) : 0;
	req->timeout_ms = JU_TIMEOUT_MS;
	snprintf(ct, sizeof ct, "Content-Type: %s", ctype ? ctype : "application/json");
	if (!url || ju_add_header(req, "Accept: application/json") < 0 ||
	    (body && ju_add_header(req, ct) < 0)) {
		http_req_clear(req);
		return PROV_TEMP;
	}
	return STEP_MORE;
}

int ju_get(struct http_req *req, char *url, const char *h)
{
	int rc = ju_send(req, "GET", url, NULL, NULL);
	if (rc == STEP_MORE && h && ju_add_header(req, h) < 0) {
		http_req_clear(req);
		return PROV_TEMP;
	}
	return rc;
}

int ju_drop_nuls(json_t *j)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_object(j)) {
		json_object_foreach(j, k, v)
			if (ju_drop_nuls(v) < 0)
				return -1;
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if (ju_drop_nuls(v) < 0)
				return -1;
	} else if (json_is_string(j) && !whole_string(j)) {
		const char *s = json_string_value(j);
		size_t n = json_string_length(j), w = 0;
		char *r = malloc(n + 1);
		if (!r)
			return -1;
		for (i = 0; i < n; i++)
			if (s[i])
				r[w++] = s[i];
		int rc = json_string_setn(j, r, w);
		free(r);
		return rc;
	}
	return 0;
}

json_t *ju_load(const struct http_resp *resp, char *why, size_t whylen)
{
	json_error_t e;
	json_t *j = resp->body ? json_loadb(resp->body, resp->body_len, JSON_ALLOW_NUL, &e) : NULL;
	const char *err = !j ? (resp->body ? e.text : "empty body") : !json_is_object(j) ?
	    "not an object" : ju_drop_nuls(j) < 0 ? "out of memory" : NULL;
	if (err) {
		snprintf(why, whylen, "%s", err);
		json_decref(j);
		return NULL;
	}
	return j;
}

json_t *ju_parse(const struct http_resp *resp, const char *who, int64_t link, const char *url)
{
	char why[JSON_ERROR_TEXT_LENGTH];
	json_t *j = ju_load(resp, why, sizeof why);
	if (!j)
		log_warnx("%s link %lld: %s: malformed JSON (%s)", who, (long long)link, url ? url : "?", why);
	return j;
}

int ju_commit(struct step_out *so, enum stream s, struct msg_list *m, struct event_list *e,
    const char *cursor, const char *who, int64_t link)
{
	if (step_out_page(so, s, m, e, cursor) < 0) {
		log_warnx("%s link %lld: storing a page failed", who, (long long)link);
		return PROV_TEMP;
	}
	if (m)
		msg_list_free(m);
	if (e)
		event_list_free(e);
	return 0;
}

const char *ju_partstat(const char *w)
{
	static const struct { const char *in, *out; } map[] = {
		{ "accepted", "ACCEPTED" }, { "yes", "ACCEPTED" }, { "organizer", "ACCEPTED" },
		{ "declined", "DECLINED" }, { "no", "DECLINED" },
		{ "tentative", "TENTATIVE" }, { "tentativelyAccepted", "TENTATIVE" }, { "maybe", "TENTATIVE" },
		{ "needsAction", "NEEDS-ACTION" }, { "none", "NEEDS-ACTION" }, { "noreply", "NEEDS-ACTION" },
		{ "notResponded", "NEEDS-ACTION" },
	};
	for (size_t i = 0; w && i < sizeof map / sizeof map[0]; i++)
		if (strcasecmp(w, map[i].in) == 0)
			return map[i].out;
	return NULL;
}

int ju_addr(struct addr *a, const char *name, const char *email)
{
	if (!email)
		return -1;
	while (isspace((unsigned char)*email))
		email++;
	size_t n = strlen(email);
	while (n && isspace((unsigned char)email[n - 1]))
		n--;
	if (!n || !(a->email = strndup(email, n)))
		return -1;
	for (char *p = a->email; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (name && *name && strcasecmp(name, a->email) != 0)
		a->name = strdup(name);
	return 0;
}

char *ju_b64url_dec(const char *s, size_t *len)
{
	size_t n = s ? strlen(s) : 0, out = 0;
	unsigned char *buf = malloc(n * 3 / 4 + 4);
	if (!buf)
		return NULL;
	if (sodium_base642bin(buf, n * 3 / 4 + 3, s ? s : "", n, "= \r\n\t", &out, NULL,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
		free(buf);
		return NULL;
	}
	buf[out] = 0;
	*len = out;
	return (char *)buf;
}
