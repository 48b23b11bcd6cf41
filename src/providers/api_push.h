/* One outgoing item (appointment create/update/delete, mail send) through a JSON provider API:
 * a single request with the pass's access token, its answer turned into a push_result. */
#ifndef PROVIDERS_API_PUSH_H
#define PROVIDERS_API_PUSH_H

#include <jansson.h>

#include "providers/oauth.h"
#include "providers/provider.h"

struct api_push {
	struct oauth_sess auth;
	const char *who;                    /* provider name for logs */
	int64_t link;
	const struct push_item *it;         /* borrowed from the engine */
	struct push_result *res;            /* borrowed from the engine */
	struct http_req req;                /* the request, until it goes out */
	int done;                           /* nothing to send: finished at begin (progress) */
	/* The provider's reading of a 2xx answer (j may be NULL for an empty body): fill
	 * res->provider_id / etag. Returns 0 or -1 (answer unreadable: PROV_TEMP). */
	int (*on_ok)(struct api_push *ap, const struct http_resp *resp, json_t *j);
	/* Status codes that mean "already done" for a create (Google 409 duplicate): 0 if none. */
	long dup_status;
	/* A request sent first, for an API without preconditions (Nylas): the item as the provider
	 * has it now. on_pre reads its 2xx answer: 0 to send req next, 1 when it changed since it
	 * was last read (res->conflict, req is not sent), -1 when unreadable (PROV_TEMP). A 404 or
	 * 410 marks the item gone. */
	struct http_req pre;
	int (*on_pre)(struct api_push *ap, json_t *j);
	int in_pre;                         /* the answer awaited is pre's */
};

/* Start ap for link l: the token session, and req (taken) as the request to send. Returns
 * PROV_OK, or a prov_status with res->error set. */
int api_push_init(struct api_push *ap, const char *who, const struct prov_link *l,
    const struct push_item *it, struct push_result *res, struct http_req *req);
/* The step of a push pass: send, refresh and repeat as needed, then read the answer:
 * 2xx -> on_ok, STEP_DONE (a sent mail's progress "sent" is saved first); dup_status on a
 * create -> STEP_DONE; 412 -> res->conflict, STEP_DONE; 404/410 on update/delete -> res->gone,
 * STEP_DONE; otherwise the error class with res->error. With pre set, that goes out first. */
int api_push_step(struct api_push *ap, const struct http_resp *resp, struct http_req *req,
    struct step_out *so, long *retry_after);
void api_push_free(struct api_push *ap);

/* Helpers for the request bodies. */
/* "2024-05-01T10:00:00Z" (or without the Z when bare) of t into out[21]. */
void api_push_iso(int64_t t, int bare, char out[21]);
/* "2024-05-01" of t (UTC) into out[11]. */
void api_push_date(int64_t t, char out[11]);
/* base64 (url_safe: base64url without padding) of data; malloc'd. */
char *api_push_b64(const char *data, size_t len, int url_safe);

#endif
