/* libFuzzer target: iCalendar reading and recurrence expansion (ical_parse over a two-year
 * window, as a CalDAV pass asks). */
#include <stddef.h>
#include <stdint.h>

#include "providers/ical.h"
#include "providers/provider.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event_list l = { 0 };
	char err[256];
	/* 2023-01-01 .. 2025-01-01 UTC */
	ical_parse((const char *)data, size, 1672531200, 1735689600, "America/Chicago", &l, err, sizeof err);
	event_list_free(&l);
	return 0;
}
