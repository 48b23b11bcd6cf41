/* Meeting identity across providers: the one UID a meeting is known by, whatever form a provider
 * shows it in (Exchange wraps a foreign UID in a Global Object ID). Pure code. */
#ifndef CORE_UID_H
#define CORE_UID_H

#include <stddef.h>

/* The UID that names the meeting uid stands for, as a malloc'd string (NULL when out of memory
 * or uid is NULL):
 *  - an Exchange Global Object ID (hex, "040000008200E00074C5B7101A82E008...") whose data is
 *    the "vCal-Uid" marker gives the UID it wraps (a meeting that came from another calendar);
 *  - any other Global Object ID gives itself in upper case with the occurrence date cleared,
 *    so each occurrence's id names its series, as every attendee's copy does;
 *  - anything else is returned as it is. */
char *uid_canonical(const char *uid);

/* The UID a Global Object ID of n bytes (binary) wraps with the "vCal-Uid" marker, copied to
 * out (size outlen, NUL-terminated). 1 when found, 0 when the id wraps none (an Outlook-made
 * meeting), -1 when the bytes are not a Global Object ID or the UID does not fit. */
int uid_goid_wrapped(const unsigned char *goid, size_t n, char *out, size_t outlen);

#endif
