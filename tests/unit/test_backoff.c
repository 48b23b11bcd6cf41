/* Back-off after failed passes: 1 s, 2 s, 4 s ... up to 15 min, each with +-20% jitter. */
#include "t.h"
#include "sync/run.h"
#include "sync/watches.h"

/* rnd values that give the lowest, the nominal and the highest wait for a nominal of ms. */
static unsigned lo(void) { return 0; }
static unsigned mid(long ms) { return (unsigned)(ms * 20 / 100); }
static unsigned hi(long ms) { return (unsigned)(2 * (ms * 20 / 100)); }

static void test_first_retries_are_fast_and_double(void)
{
	long want[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900 };
	for (int f = 0; f < (int)(sizeof want / sizeof want[0]); f++) {
		long ms = want[f] * 1000;
		CHECK_INT(run_backoff_s(f, mid(ms)), want[f]);
	}
	CHECK_INT(run_backoff_s(1000, mid(900000)), 900);
	CHECK_INT(run_backoff_s(-3, mid(1000)), 1);
}

static void test_waits_carry_twenty_percent_jitter(void)
{
	CHECK_INT(run_backoff_s(5, lo()), 26);           /* 32 s - 20% = 25.6 */
	CHECK_INT(run_backoff_s(5, hi(32000)), 38);      /* 32 s + 20% = 38.4 */
	CHECK_INT(run_backoff_s(12, lo()), 720);         /* 15 min - 20% */
	CHECK_INT(run_backoff_s(12, hi(900000)), 1080);
	CHECK_INT(run_backoff_s(0, lo()), 1);            /* never under a second */
	int seen_lo = 0, seen_hi = 0;
	for (unsigned r = 0; r < 5000; r++) {
		long s = run_backoff_s(8, r * 2654435761u);
		CHECK(s >= 205 && s <= 307);
		seen_lo |= s < 230;
		seen_hi |= s > 282;
	}
	CHECK(seen_lo && seen_hi);
}

/* An IDLE watch that failed or missed its deadline reopens after 1, 2, 4 ... 30 s, +-20%. */
static void test_watch_reopen_backs_off_with_jitter(void)
{
	int want[] = { 1, 1, 2, 4, 8, 16, 30, 30, 30 };
	for (int f = 0; f < (int)(sizeof want / sizeof want[0]); f++)
		CHECK_INT(watches_retry_delay(f, mid(want[f] * 1000L)), want[f]);
	CHECK_INT(watches_retry_delay(6, lo()), 24);
	CHECK_INT(watches_retry_delay(6, hi(30000)), 36);
	CHECK_INT(watches_retry_delay(1, lo()), 1);
}

T_MAIN(T(test_first_retries_are_fast_and_double),
    T(test_waits_carry_twenty_percent_jitter),
    T(test_watch_reopen_backs_off_with_jitter))
