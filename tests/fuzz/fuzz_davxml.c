/* libFuzzer target: WebDAV 207 multistatus bodies (dav_parse_multistatus) and the href helpers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "providers/davxml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dav_ms ms;
	char err[256];
	memset(&ms, 0, sizeof ms);
	if (dav_parse_multistatus((const char *)data, size, &ms, err, sizeof err) == 0) {
		for (size_t i = 0; i < ms.n; i++) {
			if (!ms.v[i].href)
				continue;
			free(dav_resolve("https://dav.example.test/cal/", ms.v[i].href));
			free(dav_path(ms.v[i].href));
		}
	}
	dav_ms_free(&ms);
	dav_is_sync_token_error((const char *)data, size);
	return 0;
}
