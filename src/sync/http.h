/* The engine's HTTP: every provider request of every pass goes through one libcurl multi
 * handle, driven by the engine's single thread. */
#ifndef SYNC_HTTP_H
#define SYNC_HTTP_H

#include <curl/curl.h>

#include "providers/provider.h"

#define HTTP_MAX_BODY (64L << 20)        /* a response larger than this fails the transfer */
#define HTTP_DEFAULT_TIMEOUT_MS 120000L

struct http_pool;
struct http_xfer;

struct http_pool *http_pool_new(void);
/* Abort every transfer still running and free the pool; NULL is fine. */
void http_pool_free(struct http_pool *p);
/* Start req (its owned members are taken, req is cleared); owner comes back with the answer.
 * Returns 0 or -1. */
int http_pool_start(struct http_pool *p, struct http_req *req, void *owner);
/* Number of transfers not yet handed back. */
int http_pool_running(const struct http_pool *p);
/* Move transfers along, waiting up to timeout_ms for sockets of the transfers or the extra fds
 * (their revents are filled). Returns 0 or -1. */
int http_pool_wait(struct http_pool *p, struct curl_waitfd *extra, unsigned n_extra,
    int timeout_ms);
/* The next finished transfer, or NULL: *owner and *resp are filled; resp stays valid until
 * http_xfer_free(). */
struct http_xfer *http_pool_done(struct http_pool *p, void **owner, struct http_resp *resp);
void http_xfer_free(struct http_pool *p, struct http_xfer *x);

/* Header values the engine keeps: Retry-After in seconds from either form (delta or date),
 * given now; 0 when unreadable. Pure, for tests. */
long http_retry_after(const char *value, long now);

#endif
