/* libFuzzer target: a raw mail message through mime_parse (GMime, HTML-to-text for HTML-only mail). */
#include <stddef.h>
#include <stdint.h>

#include "providers/mime.h"
#include "providers/provider.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		mime_init();
		ready = 1;
	}
	struct sync_msg m;
	char err[256];
	mime_parse((const char *)data, size, &m, err, sizeof err);
	msg_free(&m);
	return 0;
}
