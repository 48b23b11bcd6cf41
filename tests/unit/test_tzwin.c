/* The Windows-to-IANA zone table generated from CLDR's windowsZones.xml, and the resolver every
 * parser of a TZID or a Graph timeZone uses. */
#include <strings.h>

#include "t.h"
#include "core/timeutil.h"
#include "core/tzwin.h"

static void test_known_windows_names_map_to_their_iana_zone(void)
{
	static const struct { const char *win, *iana; } cases[] = {
		{ "Pacific Standard Time", "America/Los_Angeles" },
		{ "central standard time", "America/Chicago" },          /* any case */
		{ "W. Europe Standard Time", "Europe/Berlin" },
		{ "India Standard Time", "Asia/Kolkata" },               /* CLDR: Asia/Calcutta */
		{ "Tonga Standard Time", "Pacific/Tongatapu" },
		{ "Hawaiian Standard Time", "Pacific/Honolulu" },
		{ "E. South America Standard Time", "America/Sao_Paulo" },
		{ "Nepal Standard Time", "Asia/Kathmandu" },             /* CLDR: Asia/Katmandu */
		{ "UTC-11", "Etc/GMT+11" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK_STR(tzwin_to_iana(cases[i].win), cases[i].iana);
}

static void test_unknown_names_are_not_found(void)
{
	CHECK(tzwin_to_iana("Martian Standard Time") == NULL);
	CHECK(tzwin_to_iana("America/Chicago") == NULL);   /* an IANA name is not a Windows one */
	CHECK(tzwin_to_iana("Pacific Standard Time ") == NULL);
	CHECK(tzwin_to_iana("") == NULL);
	CHECK(tzwin_to_iana(NULL) == NULL);
}

static void test_the_table_is_cldrs_whole_sorted_and_known_here(void)
{
	size_t n = tzwin_count();
	CHECK(n > 100);
	CHECK(tzwin_row(n) == NULL);
	for (size_t i = 0; i < n; i++) {
		const struct tzwin_row *r = tzwin_row(i);
		CHECK(r && r->windows[0] && r->iana[0]);
		if (i > 0)
			CHECK(strcasecmp(tzwin_row(i - 1)->windows, r->windows) < 0);
		if (!tz_valid(r->iana)) {
			fprintf(stderr, "  %s -> %s: no such zone here\n", r->windows, r->iana);
			CHECK(tz_valid(r->iana));
		}
		CHECK(tzwin_to_iana(r->windows) == r->iana);
	}
}

static void test_resolve_takes_windows_names_first_then_zones_here(void)
{
	CHECK_STR(tz_resolve("Tokyo Standard Time"), "Asia/Tokyo");
	CHECK_STR(tz_resolve("Europe/Berlin"), "Europe/Berlin");
	CHECK_STR(tz_resolve("UTC"), "Etc/UTC");
	/* "UTC-11" would read as the POSIX TZ string UTC+11; as a Windows name it is UTC-11 */
	int64_t t;
	CHECK(tz_to_utc(tz_resolve("UTC-11"), 2025, 1, 15, 10, 0, &t) == 0);
	CHECK_INT(t, 1736935200 + 11 * 3600);   /* 10:00 UTC-11 = 21:00 UTC */
	CHECK(tz_resolve("Customized Time Zone") == NULL);
	CHECK(tz_resolve("Mars/Olympus_Mons") == NULL);
	CHECK(tz_resolve(NULL) == NULL);
}

T_MAIN(T(test_known_windows_names_map_to_their_iana_zone), T(test_unknown_names_are_not_found),
    T(test_the_table_is_cldrs_whole_sorted_and_known_here),
    T(test_resolve_takes_windows_names_first_then_zones_here))
