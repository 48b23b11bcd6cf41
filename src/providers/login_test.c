/* The IMAP + CalDAV login test (see login_test.h): imap_open() for IMAP, one PROPFIND through
 * libcurl for CalDAV, both held to one deadline. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "core/netguard.h"
#include "providers/imap.h"
#include "providers/login_test.h"

static const char MSG_IMAP_AUTH[] =
    "The IMAP server refused the login: check the username and app password.";
static const char MSG_CALDAV_AUTH[] =
    "CalDAV login refused: check the username and app password.";

/* Every way a connection can fail gets these words (refused by the address guard, unknown
 * host, closed port, timeout, TLS, an HTTP status), so the form tells nothing of what listens
 * where; the reason goes to the log. */
static const char MSG_CONNECT_FAILED[] = "Could not connect with these settings: check the "
    "server names, the ports, TLS and the CalDAV URL.";

void login_test_failed_msg(char *msg, size_t msglen)
{
	snprintf(msg, msglen, "%s", MSG_CONNECT_FAILED);
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t discard(char *p, size_t size, size_t n, void *u)
{
	(void)p;
	(void)u;
	return size * n;
}

/* curl's progress callback: a non-zero return stops the transfer. */
static int on_progress(void *ctx, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct login_test *t = ctx;
	(void)dt; (void)dn; (void)ut; (void)un;
	return t->cancelled && t->cancelled();
}

/* PROPFIND url with basic auth within left_ms: PROV_OK on 2xx, PROV_AUTH on 401/403, else
 * PROV_TEMP (transfer failed) or PROV_PERM (another status), with the reason in detail. */
static int caldav_login(struct login_test *t, const char *url, const char *user,
    const char *password, long left_ms, char *detail, size_t detaillen)
{
	static const char body[] = "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
	    "<d:propfind xmlns:d=\"DAV:\"><d:prop><d:current-user-principal/></d:prop></d:propfind>";
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = NULL;
	struct netguard_curl guard;
	long code = 0;
	if (!h) {
		snprintf(detail, detaillen, "curl: out of memory");
		return PROV_TEMP;
	}
	hdr = curl_slist_append(hdr, "Depth: 0");
	hdr = curl_slist_append(hdr, "Content-Type: application/xml; charset=utf-8");
	curl_easy_setopt(h, CURLOPT_URL, url);
	netguard_curl(h, url, &guard);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PROPFIND");
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_USERNAME, user);
	curl_easy_setopt(h, CURLOPT_PASSWORD, password);
	curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, left_ms > 1 ? left_ms : 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, t);
	CURLcode rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK) {
		snprintf(detail, detaillen, "CalDAV %s: %s", url, guard.refused ? guard.why :
		    curl_easy_strerror(rc));
		netguard_curl_free(&guard);
		return PROV_TEMP;
	}
	netguard_curl_free(&guard);
	if (code == 401 || code == 403) {
		snprintf(detail, detaillen, "CalDAV %s: HTTP %ld", url, code);
		return PROV_AUTH;
	}
	if (code < 200 || code >= 300) {
		snprintf(detail, detaillen, "CalDAV %s: HTTP %ld", url, code);
		return PROV_PERM;
	}
	return PROV_OK;
}

int login_test_run(struct login_test *t, char *msg, size_t msglen, char *detail,
    size_t detaillen)
{
	int64_t until = mono_ms() + (int64_t)t->timeout_s * 1000;
	json_t *set = json_loads(t->settings ? t->settings : "", 0, NULL);
	json_t *sec = json_loads(t->secret ? t->secret : "", 0, NULL);
	const char *user = json_string_value(json_object_get(set, "username"));
	const char *password = json_string_value(json_object_get(sec, "password"));
	const char *caldav = json_string_value(json_object_get(set, "caldav_url"));
	json_t *port = json_object_get(set, "imap_port");
	struct imap_conn *conn = NULL;
	int rc;

	t->phase = LOGIN_TEST_IMAP;
	*detail = '\0';
	struct imap_login lg = { .host = json_string_value(json_object_get(set, "imap_host")),
		.port = json_is_integer(port) ? (int)json_integer_value(port) : 0,
		.tls = json_is_true(json_object_get(set, "imap_tls")),
		.user = user && *user ? user : t->address, .password = password,
		.timeout_s = t->timeout_s };
	rc = imap_open(&lg, &conn, detail, detaillen);
	imap_close(conn);
	if (rc == PROV_AUTH) {
		snprintf(msg, msglen, "%s", MSG_IMAP_AUTH);
		goto out;
	}
	if (rc != PROV_OK) {
		login_test_failed_msg(msg, msglen);
		goto out;
	}
	if (caldav && *caldav) {
		t->phase = LOGIN_TEST_CALDAV;
		rc = caldav_login(t, caldav, lg.user, password, (long)(until - mono_ms()), detail,
		    detaillen);
		if (rc == PROV_AUTH)
			snprintf(msg, msglen, "%s", MSG_CALDAV_AUTH);
		else if (rc != PROV_OK)
			login_test_failed_msg(msg, msglen);
	}
out:
	json_decref(set);
	json_decref(sec);
	return rc;
}
