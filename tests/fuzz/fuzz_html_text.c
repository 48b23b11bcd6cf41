/* libFuzzer target: HTML mail bodies turned into plain text (html_to_text). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "providers/html_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	free(html_to_text((const char *)data, size));
	return 0;
}
