/* IMAP IDLE on INBOX as a push watch (provider.h "Push watches"), over the API in imap.h. */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "providers/imap.h"

struct watch {
	int64_t link_id;
	struct imap_conn *c;
};

static int iw_open(const struct prov_link *l, struct watch **out)
{
	char err[256];
	struct watch *w = calloc(1, sizeof *w);
	*out = NULL;
	if (!w)
		return PROV_TEMP;
	w->link_id = l->id;
	int rc = imap_open_link(l, &w->c, err, sizeof err);
	if (rc != PROV_OK) {
		log_warnx("link %lld: IDLE connection: %s", (long long)l->id, err);
		free(w);
		return rc;
	}
	if ((rc = imap_idle_start(w->c)) != PROV_OK) {
		imap_close(w->c);
		free(w);
		return rc;
	}
	*out = w;
	return PROV_OK;
}

static int iw_fd(const struct watch *w)
{
	return imap_idle_fd(w->c);
}

static int iw_pending(const struct watch *w)
{
	return imap_idle_pending(w->c);
}

static int iw_check(struct watch *w, int *news)
{
	*news = 0;
	int rc = imap_idle_done(w->c, news);
	if (rc == PROV_OK)
		rc = imap_idle_start(w->c);
	return rc;
}

static void iw_close(struct watch *w)
{
	if (!w)
		return;
	imap_close(w->c);
	free(w);
}

const struct watch_driver imap_watch = {
	.stream = STREAM_MAIL,
	.open = iw_open,
	.fd = iw_fd,
	.pending = iw_pending,
	.check = iw_check,
	.close = iw_close,
	.refresh_s = 20 * 60,
};
