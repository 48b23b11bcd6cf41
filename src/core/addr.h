/* E-mail address normalisation and validation: the one place that decides when two addresses
 * are "the same" (trimmed, lower-cased). */
#ifndef CORE_ADDR_H
#define CORE_ADDR_H

#include <stddef.h>

/* Trim and lower-case s into out (size bytes). Returns out, or NULL if it does not fit. */
char *addr_normalize(const char *s, char *out, size_t size);
/* 1 if s (already normalized) looks like a usable address: local@domain.tld, no spaces. */
int addr_valid(const char *s);

#endif
