/* One libcurl multi handle for all transfers: a per-transfer context in CURLOPT_PRIVATE, a
 * capped growable body buffer, and the ETag / Location / Retry-After headers captured. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/curl_set.h"
#include "core/log.h"
#include "core/netguard.h"
#include "sync/http.h"

struct http_xfer {
	CURL *easy;
	void *owner;
	struct http_req req;          /* owned copy of what the provider asked */
	struct curl_slist *headers;
	char *body;
	size_t len, cap;
	int too_big;
	char *etag, *location;
	long retry_after;
	CURLcode result;
	char errbuf[CURL_ERROR_SIZE];
	struct netguard_curl guard;   /* used when req.guard */
	struct http_xfer *next;       /* in the done list */
	struct http_xfer *a_prev, *a_next;   /* in the active list */
};

struct http_pool {
	CURLM *multi;
	int running;                  /* transfers started and not yet handed back */
	struct http_xfer *active;     /* inside curl */
	struct http_xfer *done, *done_tail;
};

struct http_pool *http_pool_new(void)
{
	struct http_pool *p = calloc(1, sizeof *p);
	if (!p || !(p->multi = curl_multi_init())) {
		free(p);
		return NULL;
	}
	/* No per-host cap: links of one provider share its host, and a cap would let its slow
	 * links hold up the healthy ones. The cap is per link instead: a pass has one request in
	 * flight at a time, and the engine runs a bounded number of passes and pushes. */
	curl_multi_setopt(p->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
	curl_multi_setopt(p->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, 256L);
	curl_multi_setopt(p->multi, CURLMOPT_MAXCONNECTS, 64L);
	return p;
}

static void xfer_free(struct http_xfer *x)
{
	if (!x)
		return;
	if (x->easy)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	http_req_clear(&x->req);
	free(x->body);
	free(x->etag);
	free(x->location);
	netguard_curl_free(&x->guard);
	free(x);
}

void http_pool_free(struct http_pool *p)
{
	if (!p)
		return;
	for (struct http_xfer *x = p->active, *nx; x; x = nx) {
		nx = x->a_next;
		curl_multi_remove_handle(p->multi, x->easy);
		xfer_free(x);
	}
	for (struct http_xfer *x = p->done, *nx; x; x = nx) {
		nx = x->next;
		xfer_free(x);
	}
	curl_multi_cleanup(p->multi);
	free(p);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	struct http_xfer *x = ud;
	size_t n = size * nmemb;
	if (x->len + n + 1 > (size_t)HTTP_MAX_BODY) {
		x->too_big = 1;
		return 0;
	}
	if (x->len + n + 1 > x->cap) {
		size_t ncap = x->cap ? x->cap : 16384;
		while (ncap < x->len + n + 1)
			ncap *= 2;
		char *nb = realloc(x->body, ncap);
		if (!nb)
			return 0;
		x->body = nb;
		x->cap = ncap;
	}
	memcpy(x->body + x->len, data, n);
	x->len += n;
	x->body[x->len] = '\0';
	return n;
}

long http_retry_after(const char *v, long now)
{
	while (*v == ' ' || *v == '\t')
		v++;
	if (isdigit((unsigned char)*v))
		return strtol(v, NULL, 10);
	time_t t = curl_getdate(v, NULL);
	return t > now ? (long)(t - now) : 0;
}

/* A copy of the header's value (trimmed) when line is "name: value", else NULL. */
static char *header_value(const char *line, size_t len, const char *name)
{
	size_t nl = strlen(name);
	if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return NULL;
	const char *v = line + nl + 1, *end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	return strndup(v, (size_t)(end - v));
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *ud)
{
	struct http_xfer *x = ud;
	size_t n = size * nmemb;
	char *v;
	if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {   /* a new response (after 100 or 3xx) */
		free(x->etag);
		free(x->location);
		x->etag = x->location = NULL;
		x->retry_after = 0;
	} else if ((v = header_value(line, n, "ETag"))) {
		free(x->etag);
		x->etag = v;
	} else if ((v = header_value(line, n, "Location"))) {
		free(x->location);
		x->location = v;
	} else if ((v = header_value(line, n, "Retry-After"))) {
		x->retry_after = http_retry_after(v, (long)time(NULL));
		free(v);
	}
	return n;
}

static int xfer_setup(struct http_xfer *x)
{
	CURL *e = x->easy;
	for (char **h = x->req.headers; h && *h; h++) {
		struct curl_slist *nl = curl_slist_append(x->headers, *h);
		if (!nl)
			return -1;
		x->headers = nl;
	}
	/* No "Expect: 100-continue": servers that never answer it (Radicale) cost a second each. */
	struct curl_slist *nl = curl_slist_append(x->headers, "Expect:");
	if (!nl)
		return -1;
	x->headers = nl;
	/* The options a transfer is not safe or bounded without; a refused one fails the start. */
	if (CURL_SET(e, CURLOPT_URL, x->req.url) || CURL_SET(e, CURLOPT_PRIVATE, x) ||
	    CURL_SET(e, CURLOPT_NOSIGNAL, 1L) || CURL_SET(e, CURLOPT_ERRORBUFFER, x->errbuf) ||
	    CURL_SET(e, CURLOPT_WRITEFUNCTION, on_body) || CURL_SET(e, CURLOPT_WRITEDATA, x) ||
	    CURL_SET(e, CURLOPT_HEADERFUNCTION, on_header) || CURL_SET(e, CURLOPT_HEADERDATA, x) ||
	    CURL_SET(e, CURLOPT_HTTPHEADER, x->headers) ||
	    CURL_SET(e, CURLOPT_CONNECTTIMEOUT_MS, 15000L) ||
	    CURL_SET(e, CURLOPT_TIMEOUT_MS,
	        x->req.timeout_ms > 0 ? x->req.timeout_ms : HTTP_DEFAULT_TIMEOUT_MS) ||
	    CURL_SET(e, CURLOPT_PROTOCOLS_STR, "http,https"))
		return -1;
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "crm-sync");
	/* A transfer ended while its name is still being looked up (its timeout, a stop) leaves
	 * the resolver thread behind instead of waiting for a slow DNS server on this thread. */
	curl_easy_setopt(e, CURLOPT_QUICK_EXIT, 1L);
	if (x->req.guard && netguard_curl(e, x->req.url, &x->guard) < 0)
		return -1;
	if (x->req.userpwd && (CURL_SET(e, CURLOPT_USERPWD, x->req.userpwd) ||
	    CURL_SET(e, CURLOPT_HTTPAUTH, CURLAUTH_BASIC)))
		return -1;
	const char *m = x->req.method ? x->req.method : "GET";
	if ((x->req.body || strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 ||
	    strcmp(m, "PATCH") == 0) &&
	    (CURL_SET(e, CURLOPT_POSTFIELDS, x->req.body ? x->req.body : "") ||
	    CURL_SET(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->req.body_len)))
		return -1;
	if (strcmp(m, "GET") != 0 && CURL_SET(e, CURLOPT_CUSTOMREQUEST, m))
		return -1;
	if (strcmp(m, "HEAD") == 0 && CURL_SET(e, CURLOPT_NOBODY, 1L))
		return -1;
	return 0;
}

int http_pool_start(struct http_pool *p, struct http_req *req, void *owner)
{
	struct http_xfer *x = calloc(1, sizeof *x);
	if (!x) {
		http_req_clear(req);
		return -1;
	}
	x->req = *req;
	memset(req, 0, sizeof *req);
	x->owner = owner;
	if (!x->req.url || !(x->easy = curl_easy_init()) || xfer_setup(x) != 0 ||
	    curl_multi_add_handle(p->multi, x->easy) != CURLM_OK) {
		xfer_free(x);
		return -1;
	}
	x->a_next = p->active;
	if (p->active)
		p->active->a_prev = x;
	p->active = x;
	p->running++;
	return 0;
}

int http_pool_running(const struct http_pool *p)
{
	return p->running;
}

/* Move finished transfers from curl to the done list. */
static void collect(struct http_pool *p)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(p->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		struct http_xfer *x = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		x->result = msg->data.result;
		curl_multi_remove_handle(p->multi, msg->easy_handle);
		if (x->a_prev)
			x->a_prev->a_next = x->a_next;
		else
			p->active = x->a_next;
		if (x->a_next)
			x->a_next->a_prev = x->a_prev;
		x->next = NULL;
		if (p->done_tail)
			p->done_tail->next = x;
		else
			p->done = x;
		p->done_tail = x;
	}
}

int http_pool_wait(struct http_pool *p, struct curl_waitfd *extra, unsigned n_extra,
    int timeout_ms)
{
	int still, numfds;
	for (unsigned i = 0; i < n_extra; i++)
		extra[i].revents = 0;
	if (curl_multi_perform(p->multi, &still) != CURLM_OK)
		return -1;
	collect(p);
	if (p->done)
		timeout_ms = 0;
	/* curl_multi_poll, not _wait: with no transfer and no extra fd, _wait returns at once and
	 * an idle engine would spin. */
	if (curl_multi_poll(p->multi, extra, n_extra, timeout_ms, &numfds) != CURLM_OK)
		return -1;
	if (curl_multi_perform(p->multi, &still) != CURLM_OK)
		return -1;
	collect(p);
	return 0;
}

struct http_xfer *http_pool_done(struct http_pool *p, void **owner, struct http_resp *resp)
{
	struct http_xfer *x = p->done;
	if (!x)
		return NULL;
	p->done = x->next;
	if (!p->done)
		p->done_tail = NULL;
	p->running--;
	memset(resp, 0, sizeof *resp);
	*owner = x->owner;
	if (x->result == CURLE_OK) {
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &resp->status);
	} else {
		resp->status = 0;
		resp->error = x->too_big ? "response too large" : x->guard.refused ? x->guard.why :
		    x->errbuf[0] ? x->errbuf : curl_easy_strerror(x->result);
	}
	resp->body = x->body ? x->body : "";
	resp->body_len = x->len;
	resp->etag = x->etag;
	resp->location = x->location;
	resp->retry_after = x->retry_after;
	return x;
}

void http_xfer_free(struct http_pool *p, struct http_xfer *x)
{
	(void)p;
	xfer_free(x);
}
