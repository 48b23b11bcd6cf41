/* Meeting identity across providers: decoding Exchange's Global Object IDs (MS-OXOCAL
 * PidLidGlobalObjectId) into the UID the meeting has everywhere else. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/uid.h"

/* The fixed 16 bytes every Global Object ID starts with. */
static const unsigned char goid_class[16] = {
	0x04, 0x00, 0x00, 0x00, 0x82, 0x00, 0xE0, 0x00,
	0x74, 0xC5, 0xB7, 0x10, 0x1A, 0x82, 0xE0, 0x08,
};
enum {
	GOID_INSTANCE = 16,   /* YH, YL, M, D: the occurrence's date, zero for the series */
	GOID_SIZE = 36,       /* little-endian length of the data after the header */
	GOID_DATA = 40,
	GOID_MAX = 4096,      /* bytes: larger hex strings are not taken for Global Object IDs */
};
static const char vcal_marker[8] = { 'v', 'C', 'a', 'l', '-', 'U', 'i', 'd' };

int uid_goid_wrapped(const unsigned char *g, size_t n, char *out, size_t outlen)
{
	if (n < GOID_DATA || memcmp(g, goid_class, sizeof goid_class) != 0)
		return -1;
	uint32_t size = (uint32_t)g[GOID_SIZE] | (uint32_t)g[GOID_SIZE + 1] << 8 |
	    (uint32_t)g[GOID_SIZE + 2] << 16 | (uint32_t)g[GOID_SIZE + 3] << 24;
	if (size > n - GOID_DATA)
		return -1;
	const unsigned char *d = g + GOID_DATA;
	/* "vCal-Uid", a 4-byte version (1), then the UID with its terminating NUL. */
	if (size < sizeof vcal_marker + 4 || memcmp(d, vcal_marker, sizeof vcal_marker) != 0)
		return 0;
	const unsigned char *u = d + sizeof vcal_marker + 4;
	size_t len = 0, max = size - sizeof vcal_marker - 4;
	while (len < max && u[len])
		len++;
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (u[i] < 0x20 || u[i] == 0x7f)
			return -1;   /* a UID is text: control bytes mean this is not one */
	if (len >= outlen)
		return -1;
	memcpy(out, u, len);
	out[len] = '\0';
	return 1;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* uid as bytes when it is an even-length hex string that starts like a Global Object ID;
 * *n gets the length. NULL otherwise (or out of memory). */
static unsigned char *goid_bytes(const char *uid, size_t *n)
{
	size_t len = strlen(uid);
	if (len < 2 * GOID_DATA || len % 2 || len > 2 * GOID_MAX)
		return NULL;
	unsigned char *b = malloc(len / 2);
	if (!b)
		return NULL;
	for (size_t i = 0; i < len / 2; i++) {
		int hi = hexval((unsigned char)uid[2 * i]), lo = hexval((unsigned char)uid[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			free(b);
			return NULL;
		}
		b[i] = (unsigned char)(hi << 4 | lo);
	}
	if (memcmp(b, goid_class, sizeof goid_class) != 0) {
		free(b);
		return NULL;
	}
	*n = len / 2;
	return b;
}

char *uid_canonical(const char *uid)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n;
	if (!uid)
		return NULL;
	unsigned char *g = goid_bytes(uid, &n);
	if (!g)
		return strdup(uid);
	char *out = malloc(2 * n + 1);
	if (out) {
		int w = uid_goid_wrapped(g, n, out, 2 * n + 1);
		if (w < 0) {
			free(out);
			out = strdup(uid);
		} else if (w == 0) {
			memset(g + GOID_INSTANCE, 0, 4);
			for (size_t i = 0; i < n; i++) {
				out[2 * i] = hex[g[i] >> 4];
				out[2 * i + 1] = hex[g[i] & 15];
			}
			out[2 * n] = '\0';
		}
	}
	free(g);
	return out;
}
