/* libFuzzer target: multipart/form-data bodies: the input up to its first NUL is the
 * Content-Type header, the rest the body, parsed with small limits so the too-big paths run. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "web/multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *z = memchr(s, '\0', size);
	char *ctype = strndup(s, z ? (size_t)(z - s) : size), b[80], err[160];
	const char *body = z ? z + 1 : s + size;
	size_t n = (size_t)(s + size - body);
	struct params form = { 0 };
	struct uploads files = { 0 };
	if (ctype && multipart_boundary(ctype, b, sizeof b) == 0) {
		multipart_parse(b, body, n, 64, 256, &form, &files, err, sizeof err);
		for (size_t i = 0; i < files.n; i++)
			if (!files.v[i].too_big && files.v[i].len && !files.v[i].data)
				abort();
	}
	params_free(&form);
	uploads_free(&files);
	free(ctype);
	return 0;
}
