/* The driver table: links.provider -> the drivers of its streams. */
#include <string.h>

#include "providers/caldav.h"
#include "providers/google.h"
#include "providers/graph.h"
#include "providers/imap.h"
#include "providers/nylas.h"
#include "sync/drivers.h"

extern const struct watch_driver imap_watch;   /* src/providers/imap_watch.c */

static const struct driver_set driver_sets[] = {
	/* IMAP + CalDAV: mail and the CRM folder over IMAP, appointments over CalDAV. */
	{ "imap", &imap_provider, &caldav_provider, &imap_provider, &imap_watch, NULL },
	/* OAuth APIs: mail, appointments and the CRM folder; push comes through webhooks (the
	 * engine subscribes where the driver can; Nylas' webhook is the application's own). */
	{ "google", &google_provider, &google_provider, &google_provider, NULL, "google" },
	{ "microsoft", &graph_provider, &graph_provider, &graph_provider, NULL, "graph" },
	{ "nylas", &nylas_provider, &nylas_provider, &nylas_provider, NULL, NULL },
};

const struct driver_set *drivers_for(const char *provider)
{
	for (size_t i = 0; i < sizeof driver_sets / sizeof driver_sets[0]; i++)
		if (provider && strcmp(driver_sets[i].provider, provider) == 0)
			return &driver_sets[i];
	return NULL;
}

const struct provider *drivers_stream(const struct driver_set *d, enum stream s)
{
	if (!d)
		return NULL;
	switch (s) {
	case STREAM_MAIL: return d->mail;
	case STREAM_EVENTS: return d->events;
	case STREAM_FOLDER: return d->folder;
	}
	return NULL;
}
