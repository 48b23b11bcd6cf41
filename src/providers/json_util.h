/* Small helpers the JSON API providers (google, graph, nylas) share: field access, times,
 * URL encoding, HTTP status classes and request building. */
#ifndef PROVIDERS_JSON_UTIL_H
#define PROVIDERS_JSON_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "providers/provider.h"

/* Every request the JSON providers make carries this timeout. */
#define JU_TIMEOUT_MS 30000L
/* Wait asked of the engine after a 429/503 without a Retry-After header. */
#define JU_DEFAULT_RETRY 30L

/* The string at key, or NULL (also when it is not a string, or holds a NUL a C string would
 * cut at). Borrowed from o. */
const char *ju_str(const json_t *o, const char *key);
/* A malloc'd copy of the string at key with any NUL characters dropped, NULL when absent or
 * empty. */
char *ju_dup(const json_t *o, const char *key);
/* Drop the NUL characters of every string value in j, in place (object keys cannot hold one).
 * Returns 0 or -1 (out of memory). */
int ju_drop_nuls(json_t *j);
/* The string at a path of object keys ("start", "dateTime", NULL), or NULL (as ju_str). */
const char *ju_path(const json_t *o, ...);

/* RFC 3339 date-time ("2024-05-01T10:00:00Z", "...-05:00", "...T10:00:00.0000000" taken as UTC)
 * to epoch seconds; fractions ignored. Returns 0 or -1. */
int ju_iso_time(const char *s, int64_t *out);
/* A date-time with its zone's name beside it (Google's and Graph's {"dateTime", "timeZone"}):
 * with an offset or Z, that instant; without one, the wall time in tz (an IANA or a Windows
 * name, core/tzwin.h), or, when tz is absent or unknown (logged), in owner_tz, the linked user's
 * zone (NULL: UTC). Returns 0 or -1. */
int ju_zoned_time(const char *s, const char *tz, const char *owner_tz, int64_t *out);
/* "YYYY-MM-DD" to midnight UTC epoch seconds. Returns 0 or -1. */
int ju_date(const char *s, int64_t *out);
/* t as "YYYYMMDDTHHMMSSZ" (or "YYYYMMDD" when date_only) into out[17]. */
void ju_stamp(int64_t t, int date_only, char out[17]);
/* t as "YYYY-MM-DDTHH:MM:SSZ" into out[21]. */
void ju_iso(int64_t t, char out[21]);

/* Percent-encode s for a query value or a path segment (RFC 3986 unreserved kept); malloc'd. */
char *ju_urlenc(const char *s);

/* The class of an HTTP answer: 0 for 2xx; PROV_RATE for 429/503 (and a Google 403 rate-limit),
 * with *retry_after from Retry-After or JU_DEFAULT_RETRY; PROV_TEMP for 5xx and transfer
 * errors; PROV_AUTH for 401/403; PROV_PERM for other 4xx. Callers special-case 404/410 first. */
int ju_http_class(const struct http_resp *r, long *retry_after);

/* Fill req as a GET of url (taken) with an Accept: application/json header and extra header h
 * (may be NULL), timeout JU_TIMEOUT_MS. Returns STEP_MORE, or PROV_TEMP when out of memory
 * (req cleared, url freed). */
int ju_get(struct http_req *req, char *url, const char *h);
/* Like ju_get for another method with a JSON (or other) body (taken) and content type. */
int ju_send(struct http_req *req, const char *method, char *url, char *body, const char *ctype);

/* Append the header "Name: value" to req (copied). Returns 0 or -1. */
int ju_add_header(struct http_req *req, const char *line);
/* A deep copy of src into dst. Returns 0 or -1 (dst cleared). */
int ju_req_dup(struct http_req *dst, const struct http_req *src);

/* Parse resp's body as a JSON object, \u0000 allowed and dropped from every string (one
 * message's NUL must not fail its page); on failure log "<who> link N: <url>: malformed JSON"
 * and return NULL. */
json_t *ju_parse(const struct http_resp *resp, const char *who, int64_t link, const char *url);
/* As ju_parse without the log line: NULL with the reason in why. */
json_t *ju_load(const struct http_resp *resp, char *why, size_t whylen);

/* Hand a page to the engine (step_out_page): the lists are taken (emptied). 0 or PROV_TEMP
 * (with a log line). Either list may be NULL. */
int ju_commit(struct step_out *so, enum stream s, struct msg_list *m, struct event_list *e,
    const char *cursor, const char *who, int64_t link);

/* Fill a (zeroed) with email trimmed and lower-cased and name (NULL or "" kept NULL). Returns 0,
 * or -1 when email is empty or out of memory. */
int ju_addr(struct addr *a, const char *name, const char *email);

/* Decode base64url (padding and line breaks tolerated) into a malloc'd NUL-terminated buffer,
 * its length in *len. NULL when the text is not base64. */
char *ju_b64url_dec(const char *s, size_t *len);

/* A RFC 5545 PARTSTAT for a provider's answer word ("accepted", "yes", "tentativelyAccepted",
 * "needsAction", "none", ...); NULL when unknown. */
const char *ju_partstat(const char *word);

#endif
