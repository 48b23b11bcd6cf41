/* A transfer whose URL, timeouts or credentials curl refuses is not started: the start fails
 * at once instead of running a request without them. */
#include <stdlib.h>
#include <string.h>

#include "t.h"
#include "providers/provider.h"
#include "sync/http.h"

/* curl refuses option strings over 8,000,000 bytes (CURL_MAX_INPUT_LENGTH). */
static char *huge(const char *head)
{
	size_t n = 9 * 1000 * 1000, h = strlen(head);
	char *s = malloc(n + 1);
	if (!s)
		return NULL;
	memcpy(s, head, h);
	memset(s + h, 'a', n - h);
	s[n] = '\0';
	return s;
}

static void test_refused_url_fails_the_start(void)
{
	struct http_pool *p = http_pool_new();
	CHECK(p != NULL);
	struct http_req r = { .method = "GET", .url = huge("http://127.0.0.1:1/") };
	CHECK(r.url != NULL);
	CHECK_INT(http_pool_start(p, &r, NULL), -1);
	CHECK_INT(http_pool_running(p), 0);
	http_pool_free(p);
}

static void test_refused_credentials_fail_the_start(void)
{
	struct http_pool *p = http_pool_new();
	CHECK(p != NULL);
	struct http_req r = { .method = "GET", .url = strdup("http://127.0.0.1:1/"),
		.userpwd = huge("alice:") };
	CHECK(r.url != NULL && r.userpwd != NULL);
	CHECK_INT(http_pool_start(p, &r, NULL), -1);
	CHECK_INT(http_pool_running(p), 0);
	http_pool_free(p);
}

static void test_a_good_request_starts(void)
{
	struct http_pool *p = http_pool_new();
	CHECK(p != NULL);
	struct http_req r = { .method = "GET", .url = strdup("http://127.0.0.1:1/") };
	CHECK_INT(http_pool_start(p, &r, NULL), 0);
	CHECK_INT(http_pool_running(p), 1);
	http_pool_free(p);
}

T_MAIN(T(test_refused_url_fails_the_start), T(test_refused_credentials_fail_the_start),
    T(test_a_good_request_starts))
