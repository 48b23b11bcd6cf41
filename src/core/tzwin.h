/* Time zone names as calendars write them: Windows names ("Pacific Standard Time", from Exchange,
 * Graph and Outlook's iCalendar files) mapped to IANA names through CLDR's windowsZones.xml, whose
 * table scripts/gen-windows-zones writes at build time; and the one resolver the parsers use. */
#ifndef CORE_TZWIN_H
#define CORE_TZWIN_H

#include <stddef.h>

struct tzwin_row {
	const char *windows, *iana;
};

/* The IANA zone CLDR gives a Windows zone name (compared without case, territory 001), or
 * NULL when name is not a Windows name. The string is static. */
const char *tzwin_to_iana(const char *name);

/* The number of names in the table, and its row i (i < tzwin_count()), sorted by name. */
size_t tzwin_count(void);
const struct tzwin_row *tzwin_row(size_t i);

/* The IANA zone a TZID or Graph timeZone names: a Windows name through the table, else the name
 * itself when this machine knows it as a zone ("Europe/Berlin", "UTC"); NULL when neither (the
 * caller then reads the time as floating, in the owner's zone). Windows names come first because
 * some ("UTC-11") also read as POSIX TZ strings with the opposite sign. Returns name or a static
 * string. */
const char *tz_resolve(const char *name);

#endif
