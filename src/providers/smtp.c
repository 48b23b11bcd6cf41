/* SMTP submission through libcurl: settings of a link, envelope, one send with error classes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>

#include "core/netguard.h"
#include "providers/smtp.h"

#define MAX_RCPTS 100

static int (*cancelled)(void);

void smtp_set_cancel(int (*fn)(void))
{
	cancelled = fn;
}

/* curl's progress callback: a non-zero return aborts the transfer. */
static int on_progress(void *ctx, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)ctx; (void)dt; (void)dn; (void)ut; (void)un;
	return cancelled && cancelled();
}

int smtp_host_is_loopback(const char *host)
{
	if (!host)
		return 0;
	return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0 ||
	    strcmp(host, "[::1]") == 0 || strcasecmp(host, "localhost") == 0;
}

int smtp_conf_of_link(const struct prov_link *l, struct smtp_conf *c, void *json[2], char *err,
    size_t errlen)
{
	json_t *set = json_loads(l->settings ? l->settings : "{}", 0, NULL);
	json_t *sec = json_loads(l->secret ? l->secret : "{}", 0, NULL);
	json[0] = set;
	json[1] = sec;
	memset(c, 0, sizeof *c);
	if (!json_is_object(set) || !json_is_object(sec)) {
		snprintf(err, errlen, "link settings or secret are not JSON objects");
		return PROV_PERM;
	}
	c->host = json_string_value(json_object_get(set, "smtp_host"));
	if (!c->host || !*c->host)
		c->host = json_string_value(json_object_get(set, "imap_host"));
	json_t *port = json_object_get(set, "smtp_port");
	c->port = json_is_integer(port) ? (int)json_integer_value(port) :
	    json_is_string(port) ? atoi(json_string_value(port)) : 0;
	const char *tls = json_string_value(json_object_get(set, "smtp_tls"));
	if (!tls || strcmp(tls, "starttls") == 0) {
		c->tls = SMTP_STARTTLS;
	} else if (strcmp(tls, "tls") == 0) {
		c->tls = SMTP_TLS;
	} else if (strcmp(tls, "none") == 0) {
		c->tls = SMTP_NONE;
	} else {
		snprintf(err, errlen, "smtp_tls must be starttls, tls or none");
		return PROV_PERM;
	}
	c->user = json_string_value(json_object_get(set, "username"));
	if (!c->user || !*c->user)
		c->user = l->address;
	c->password = json_string_value(json_object_get(sec, "password"));
	if (!c->host || !*c->host || strpbrk(c->host, "/@ ") || c->port < 0 || c->port > 65535) {
		snprintf(err, errlen, "no usable smtp_host / smtp_port in the link settings");
		return PROV_PERM;
	}
	return PROV_OK;
}

static int listed(const char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(v[i], s) == 0)
			return 1;
	return 0;
}

size_t smtp_envelope(const struct sync_msg *m, const char **rcpts, size_t max)
{
	size_t n = 0;
	for (int pass = 0; pass < 2; pass++) {
		const struct addr *v = pass ? m->cc : m->to;
		size_t nv = pass ? m->n_cc : m->n_to;
		for (size_t i = 0; i < nv && n < max; i++)
			if (v[i].email && *v[i].email && !listed(rcpts, n, v[i].email))
				rcpts[n++] = v[i].email;
	}
	return n;
}

struct upload {
	const char *p;
	size_t left;
};

static size_t on_read(char *buf, size_t sz, size_t nm, void *u)
{
	struct upload *up = u;
	size_t n = sz * nm < up->left ? sz * nm : up->left;
	memcpy(buf, up->p, n);
	up->p += n;
	up->left -= n;
	return n;
}

/* The class of a failed transfer: the server's reply code decides when there is one. */
static int classify(CURLcode cc, long code)
{
	if (cc == CURLE_LOGIN_DENIED || code == 535 || code == 534)
		return PROV_AUTH;
	if (cc == CURLE_USE_SSL_FAILED || cc == CURLE_PEER_FAILED_VERIFICATION ||
	    cc == CURLE_SSL_CONNECT_ERROR || cc == CURLE_URL_MALFORMAT)
		return PROV_PERM;
	if (code >= 500 && code <= 599)
		return PROV_PERM;
	return PROV_TEMP;
}

/* "<addr>" for MAIL FROM / RCPT TO, malloc'd; NULL when addr holds CR, LF, <, > or spaces. */
static char *angle(const char *addr)
{
	char *r = NULL;
	if (!addr || !*addr || strpbrk(addr, "\r\n<> \t") || asprintf(&r, "<%s>", addr) < 0)
		return NULL;
	return r;
}

int smtp_send(const struct smtp_conf *c, const char *from, const char *const *rcpts,
    size_t n_rcpts, const char *raw, size_t len, char *err, size_t errlen)
{
	char url[512], errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *to = NULL;
	struct upload up = { raw, len };
	char *mail_from = angle(from);
	CURL *h = NULL;
	struct netguard_curl guard = { 0 };
	int rc = PROV_PERM, loop = smtp_host_is_loopback(c->host);
	long code = 0;

	if (!mail_from || n_rcpts == 0 || !raw || !len) {
		snprintf(err, errlen, "%s", !mail_from ? "no usable sender address" :
		    "the message has no recipients");
		goto out;
	}
	if (c->tls == SMTP_NONE && !loop) {
		snprintf(err, errlen, "smtp_tls none is only allowed to a server on this machine");
		goto out;
	}
	for (size_t i = 0; i < n_rcpts; i++) {
		char *a = angle(rcpts[i]);
		struct curl_slist *n = a ? curl_slist_append(to, a) : NULL;
		free(a);
		if (!n) {
			snprintf(err, errlen, "unusable recipient address");
			goto out;
		}
		to = n;
	}
	int port = c->port ? c->port : c->tls == SMTP_TLS ? 465 : c->tls == SMTP_NONE ? 25 : 587;
	snprintf(url, sizeof url, "%s://%s%s%s:%d", c->tls == SMTP_TLS ? "smtps" : "smtp",
	    strchr(c->host, ':') && c->host[0] != '[' ? "[" : "", c->host,
	    strchr(c->host, ':') && c->host[0] != '[' ? "]" : "", port);
	if (!(h = curl_easy_init())) {
		rc = PROV_TEMP;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	if (netguard_curl(h, url, &guard) < 0) {
		snprintf(err, errlen, "no usable smtp_host in the link settings");
		goto out;
	}
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, mail_from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, to);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(h, CURLOPT_READDATA, &up);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)(c->timeout_s > 0 ? c->timeout_s : 60));
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 20L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	if (c->tls == SMTP_STARTTLS)
		curl_easy_setopt(h, CURLOPT_USE_SSL, (long)(loop ? CURLUSESSL_TRY : CURLUSESSL_ALL));
	if (c->password && *c->password) {
		curl_easy_setopt(h, CURLOPT_USERNAME, c->user ? c->user : from);
		curl_easy_setopt(h, CURLOPT_PASSWORD, c->password);
	}
	CURLcode cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (cc == CURLE_OK) {
		rc = PROV_OK;
		goto out;
	}
	rc = guard.refused ? PROV_PERM : classify(cc, code);
	snprintf(err, errlen, "SMTP %s:%d: %s%s%s", c->host, port, guard.refused ? guard.why :
	    *errbuf ? errbuf : curl_easy_strerror(cc), code ? ", reply " : "", "");
	if (code) {
		size_t used = strlen(err);
		snprintf(err + used, errlen > used ? errlen - used : 0, "%ld", code);
	}
out:
	if (h)
		curl_easy_cleanup(h);
	netguard_curl_free(&guard);
	curl_slist_free_all(to);
	free(mail_from);
	return rc;
}
