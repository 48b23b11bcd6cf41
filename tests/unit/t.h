/* A small unit-test harness: each case prints "ok - name" or "not ok - name" for tests/run. */
#ifndef T_H
#define T_H
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

struct t_case {
	const char *name;
	void (*fn)(void);
};

static int t_failed_now;
static const char *t_skipped_now, *t_skipped_why;   /* where and why T_SKIP ended the case */

static void t_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "  %s:%d: %s\n", file, line, what);
	t_failed_now = 1;
}

#define CHECK(cond) do { if (!(cond)) { t_fail(__FILE__, __LINE__, #cond); return; } } while (0)
#define CHECK_INT(a, b) do { long long t_a = (long long)(a), t_b = (long long)(b); \
	if (t_a != t_b) { char t_m[256]; snprintf(t_m, sizeof t_m, "%s == %s (%lld != %lld)", #a, #b, t_a, t_b); \
	t_fail(__FILE__, __LINE__, t_m); return; } } while (0)
#define CHECK_STR(a, b) do { const char *t_a = (a), *t_b = (b); \
	if (!t_a || !t_b || strcmp(t_a, t_b) != 0) { char t_m[512]; \
	snprintf(t_m, sizeof t_m, "%s == %s (\"%s\" != \"%s\")", #a, #b, t_a ? t_a : "(null)", t_b ? t_b : "(null)"); \
	t_fail(__FILE__, __LINE__, t_m); return; } } while (0)

static int t_run(const struct t_case *cases, size_t n)
{
	int failed = 0;
	for (size_t i = 0; i < n; i++) {
		t_failed_now = 0;
		t_skipped_now = t_skipped_why = NULL;
		cases[i].fn();
		if (t_skipped_now && !t_failed_now)
			printf("ok - skipped %s: %s (%s)\n", t_skipped_now, cases[i].name, t_skipped_why);
		else
			printf("%s - %s\n", t_failed_now ? "not ok" : "ok", cases[i].name);
		fflush(stdout);
		failed += t_failed_now;
	}
	return failed ? 1 : 0;
}

/* T_SKIP(cond, where, why): when cond holds the case ends here, counted as skipped
 * ("ok - skipped where: name (why)"); e.g. T_SQLITE_ONLY of test_db_target.h. */
#define T_SKIP(cond, where, why) do { if (cond) { t_skipped_now = (where); t_skipped_why = (why); \
	return; } } while (0)

#define T(fn) { #fn, fn }
#define T_MAIN(...) int main(void) { static const struct t_case t_cases[] = { __VA_ARGS__ }; \
	return t_run(t_cases, sizeof t_cases / sizeof t_cases[0]); }

#endif
