/* The media type of a file sent from the CRM, checked against Debian's /etc/mime.types. */
#ifndef CORE_MIME_TYPES_H
#define CORE_MIME_TYPES_H

#include <stddef.h>

#define MIME_TYPES_FILE "/etc/mime.types"

/* The type an uploaded file is stored and sent as, into out (size >= 128): the browser's
 * claimed type (parameters dropped, lower-cased) when it is a type/subtype that mime.types
 * lists (or any well-formed one when the file cannot be read), else the type mime.types gives
 * the name's extension, else "application/octet-stream". The table is read once per process. */
void mime_types_pick(const char *claimed, const char *filename, char *out, size_t size);

/* For tests: read the table from path instead (before the first mime_types_pick). */
void mime_types_use(const char *path);

#endif
