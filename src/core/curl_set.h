/* CURL_SET: curl_easy_setopt for an option whose failure matters (the URL, the CA, the address
 * guard's callbacks, timeouts); a refused option is logged by name and is the caller's error. */
#ifndef CORE_CURL_SET_H
#define CORE_CURL_SET_H

#include <curl/curl.h>

#include "core/log.h"

/* 0 when curl took the option; -1 (with one log line naming it) when it refused it. */
static inline int curl_set_result(CURLcode rc, const char *opt)
{
	if (rc == CURLE_OK)
		return 0;
	log_warnx("curl refused %s: %s", opt, curl_easy_strerror(rc));
	return -1;
}

#define CURL_SET(h, opt, val) curl_set_result(curl_easy_setopt((h), (opt), (val)), #opt)

#endif
