/* libFuzzer target: the web app's request parsing: the input is split at its first two NULs
 * into a query string, a urlencoded form body and a Cookie header, then parsed, looked up and
 * checked against the input table as a request would be. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "web/html.h"
#include "web/request.h"
#include "web/web.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *end = s + size;
	const char *part[3] = { s, s, s };
	size_t len[3] = { 0, 0, 0 };
	for (int i = 0; i < 3; i++) {
		const char *z = memchr(part[i], '\0', (size_t)(end - part[i]));
		len[i] = (size_t)((z ? z : end) - part[i]);
		if (i < 2)
			part[i + 1] = z ? z + 1 : end;
	}
	struct req r;
	memset(&r, 0, sizeof r);
	char err[160];
	params_parse(&r.query, part[0], len[0]);
	params_parse(&r.form, part[1], len[1]);
	char *cookie = strndup(part[2], len[2]);
	if (cookie) {
		r.cookie_session = cookie_get(cookie, "crm_session");
		r.cookie_pre = cookie_get(cookie, "crm_pre");
		free(cookie);
	}
	input_check(&r, err, sizeof err);
	struct ctx c = { .req = &r };
	(void)q_get(&c, "next");
	(void)f_invalid(&c, "subject");
	struct buf b = { 0 };
	for (size_t i = 0; i < r.form.n; i++) {
		html_txt(&b, r.form.v[i].val);
		html_attr(&b, r.form.v[i].key);
		html_url_arg(&b, r.form.v[i].val);
	}
	buf_free(&b);
	free(url_decode(part[0], len[0], 1));
	req_free(&r);
	return 0;
}
