/* One item fetched again by its id from an OAuth API (Gmail, Graph, Nylas), for the engine's
 * re-match (provider.fetch_begin): a single GET through the link's token session, its answer
 * turned into a page without a cursor by the provider's parse function. */
#ifndef PROVIDERS_API_FETCH_H
#define PROVIDERS_API_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "providers/oauth.h"
#include "providers/provider.h"

struct api_fetch {
	struct oauth_sess auth;
	const char *who;            /* "google", "microsoft", "nylas" (borrowed literal) */
	int64_t link;
	enum stream s;
	char *url;                  /* the item's URL (owned) */
	char *provider_id;          /* owned */
	char *address;              /* the linked mailbox (owned, may be NULL) */
	char *owner_tz;             /* the linked user's zone (owned, may be NULL) */
	int64_t since, now;         /* the link's start and the pass's clock */
	int answers;                /* answers parse() had before this one */
	char *note;                 /* parse()'s own string between answers (owned, may be NULL) */
	/* Turn the 2xx answer into the item: put it in so as a page (step_out_page with a NULL
	 * cursor). Returns PROV_OK, PROV_PERM when the answer holds nothing to import (a draft,
	 * a cancelled event), PROV_TEMP, or STEP_MORE after replacing url with a further request
	 * (a recurring event's occurrences). */
	int (*parse)(struct api_fetch *f, const struct http_resp *resp, struct step_out *so);
};

/* Start the fetch of provider_id (copied) at url (taken, freed on failure) for stream s.
 * Returns PROV_OK with *out set, or a prov_status. */
int api_fetch_begin(const char *who, const struct prov_link *l, enum stream s,
    const char *provider_id, char *url,
    int (*parse)(struct api_fetch *, const struct http_resp *, struct step_out *),
    struct api_fetch **out);
/* The fetch's step (provider.fetch): STEP_MORE, STEP_DONE once the page is out, PROV_PERM when
 * the item is gone (404, 410) or not importable, or another prov_status. */
int api_fetch_step(struct api_fetch *f, const struct http_resp *resp, struct http_req *req,
    struct step_out *so, long *retry_after);
void api_fetch_free(struct api_fetch *f);   /* NULL is fine */

/* The folder of a mail fetched without its labels: sent when it is from the linked mailbox. */
enum msg_folder api_fetch_folder(const struct api_fetch *f, const struct sync_msg *m);

/* Helpers for parse functions. The mail raw[0..len) as a one-item page in folder (-1: by
 * api_fetch_folder); PROV_PERM when it does not parse (noted as unparsable, with the parser's
 * message). */
int api_fetch_mime(struct api_fetch *f, const char *raw, size_t len, int folder,
    struct step_out *so);
/* The events of evs (taken: emptied) as a page; PROV_PERM when there is none or it is a
 * deletion. */
int api_fetch_event(struct api_fetch *f, struct event_list *evs, struct step_out *so);

#endif
