/* Which provider drivers serve a link: one line per links.provider value, naming the driver of
 * each stream and the push watch. The only place the engine names providers. */
#ifndef SYNC_DRIVERS_H
#define SYNC_DRIVERS_H

#include "providers/provider.h"

struct driver_set {
	const char *provider;                 /* links.provider */
	const struct provider *mail, *events, *folder;
	const struct watch_driver *watch;     /* NULL: poll only */
	const char *hook;                     /* the web app's /hooks/NAME for subscriptions, or NULL */
};

/* The set for a links.provider value, or NULL when unknown. */
const struct driver_set *drivers_for(const char *provider);
/* The driver of one stream in a set, or NULL. */
const struct provider *drivers_stream(const struct driver_set *d, enum stream s);

#endif
