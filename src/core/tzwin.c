/* The Windows-to-IANA zone table (generated from CLDR) and the zone name resolver. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/timeutil.h"
#include "core/tzwin.h"

#include "windows_zones.h"   /* tzwin_rows[], in $(BUILD)/gen */

static int cmp_row(const void *key, const void *row)
{
	return strcasecmp(key, ((const struct tzwin_row *)row)->windows);
}

const char *tzwin_to_iana(const char *name)
{
	if (!name || !*name)
		return NULL;
	const struct tzwin_row *r = bsearch(name, tzwin_rows, tzwin_count(), sizeof tzwin_rows[0],
	    cmp_row);
	return r ? r->iana : NULL;
}

size_t tzwin_count(void)
{
	return sizeof tzwin_rows / sizeof tzwin_rows[0];
}

const struct tzwin_row *tzwin_row(size_t i)
{
	return i < tzwin_count() ? &tzwin_rows[i] : NULL;
}

const char *tz_resolve(const char *name)
{
	const char *iana = tzwin_to_iana(name);
	if (iana)
		return iana;
	return name && *name && tz_valid(name) ? name : NULL;
}
