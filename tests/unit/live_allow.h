/* The live tests' servers on loopback, named in the address guard's allow list (as
 * [security] allow_hosts names them for the programs): exactly those, nothing else. */
#ifndef LIVE_ALLOW_H
#define LIVE_ALLOW_H
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "core/netguard.h"

/* Each argument is a URL, a port number, or NULL/"" (skipped); NULL ends the list. Ports
 * mean 127.0.0.1:PORT. Returns 0 or -1. */
static int live_allow(const char *first, ...);

#include <stdarg.h>
static int live_allow(const char *first, ...)
{
	char list[2048] = "", err[256];
	va_list ap;
	va_start(ap, first);
	for (const char *v = first; v; v = va_arg(ap, const char *)) {
		size_t used = strlen(list);
		if (!*v)
			continue;
		if (!strstr(v, "://")) {
			snprintf(list + used, sizeof list - used, " 127.0.0.1:%s", v);
			continue;
		}
		CURLU *u = curl_url();
		char *host = NULL, *port = NULL;
		if (u && curl_url_set(u, CURLUPART_URL, v, 0) == CURLUE_OK &&
		    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
		    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK)
			snprintf(list + used, sizeof list - used, " %s:%s", host, port);
		curl_free(host);
		curl_free(port);
		curl_url_cleanup(u);
	}
	va_end(ap);
	if (netguard_configure(list, err, sizeof err) != 0) {
		fprintf(stderr, "allow list: %s\n", err);
		return -1;
	}
	return 0;
}
#endif
