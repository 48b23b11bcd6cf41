/* Webhook subscriptions are renewed when less than a fifth of their life remains. */
#include "t.h"
#include "sync/subscribe.h"

static void test_subscription_renewed_before_it_runs_out(void)
{
	static const struct {
		int64_t renewed, expires, now;
		int due;
	} cases[] = {
		{ 1000, 1000 + 7 * 86400, 1000 + 86400, 0 },           /* six days left of seven */
		{ 1000, 1000 + 7 * 86400, 1000 + 5 * 86400, 0 },       /* two days left: 28 % */
		{ 1000, 1000 + 7 * 86400, 1000 + 6 * 86400, 1 },       /* one day left: 14 % */
		{ 1000, 1000 + 4200 * 60, 1000 + 4200 * 48, 0 },       /* Graph, 20 % left: not less */
		{ 1000, 1000 + 4200 * 60, 1000 + 4200 * 49, 1 },
		{ 1000, 1000 + 4200 * 60, 1000 + 4200 * 47, 0 },
		{ 0, 50000, 40000, 0 },                                /* start unknown: an hour before */
		{ 0, 50000, 47000, 1 },
		{ 1000, 900, 2000, 1 },                                /* already over */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK_INT(subscribe_renew_due(cases[i].renewed, cases[i].expires, cases[i].now),
		    cases[i].due);
}

T_MAIN(T(test_subscription_renewed_before_it_runs_out))
