/* WebDAV/CalDAV XML on libxml2: request bodies, 207 multistatus parsing, href and URL helpers. */
#ifndef PROVIDERS_DAVXML_H
#define PROVIDERS_DAVXML_H

#include <stddef.h>

/* One <D:response> of a multistatus. Strings owned, NULL when absent. Properties are taken only
 * from propstats whose status is 2xx. */
struct dav_resp {
	char *href;             /* as the server wrote it (may be percent-encoded, path or URL) */
	int status;             /* <D:status> directly in the response (404 for a deletion), else 0 */
	char *etag;             /* getetag, quotes kept */
	char *calendar_data;    /* C:calendar-data text, entities decoded */
	char *sync_token;       /* D:sync-token property */
	char *principal;        /* href inside D:current-user-principal */
	char *home;             /* href inside C:calendar-home-set */
	char *displayname;
	char *color;            /* Apple's calendar-color ("#rrggbbaa"), as Radicale keeps it */
	int is_collection;      /* resourcetype has D:collection */
	int is_calendar;        /* resourcetype has C:calendar */
	int comp_set;           /* C:supported-calendar-component-set was given */
	int has_vevent;         /* ... and lists VEVENT */
};

struct dav_ms {
	struct dav_resp *v;
	size_t n, cap;
	char *sync_token;       /* the report-level D:sync-token of a sync-collection answer */
};

/* Parse a 207 body into out (zeroed by the caller). Returns 0, or -1 with a reason in err. */
int dav_parse_multistatus(const char *xml, size_t len, struct dav_ms *out, char *err, size_t errlen);
void dav_ms_free(struct dav_ms *m);

/* 1 when an error body carries the DAV:valid-sync-token precondition (RFC 6578 3.2). */
int dav_is_sync_token_error(const char *body, size_t len);

/* Request bodies; malloc'd, NULL when out of memory. */
char *dav_body_principal(void);         /* PROPFIND: current-user-principal, calendar-home-set */
char *dav_body_home(void);              /* PROPFIND: calendar-home-set */
char *dav_body_calendars(void);         /* PROPFIND: resourcetype, displayname, color, comp set,
                                         * token */
char *dav_body_etags(void);             /* PROPFIND: resourcetype, getetag */
char *dav_body_sync(const char *token); /* REPORT sync-collection (token may be NULL or "") */
char *dav_body_multiget(char *const *hrefs, size_t n);   /* REPORT calendar-multiget */

/* Absolute URL of href (a URL, an absolute path or a relative path) against base. malloc'd. */
char *dav_resolve(const char *base, const char *href);
/* The path of an href or URL, percent-decoded ("/alice/cal/a%40b.ics" -> "/alice/cal/a@b.ics"). */
char *dav_path(const char *href);
/* Percent-encode a path segment (unreserved characters kept). malloc'd. */
char *dav_escape_segment(const char *s);
/* "scheme://host[:port]" part of url, malloc'd; NULL if url is not absolute. */
char *dav_origin(const char *url);

#endif
