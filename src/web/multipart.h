/* multipart/form-data bodies (RFC 7578): the text fields into the form, the files as uploads.
 * Pure: no I/O, so it is tested alone (tests/unit/test_web_parse.c). */
#ifndef WEB_MULTIPART_H
#define WEB_MULTIPART_H

#include <stddef.h>

#include "web/request.h"

#define MULTIPART_FILES_MAX 20   /* files of one form; more make the body bad */


/* The boundary of a Content-Type "multipart/form-data; boundary=..." into out (size >= 71).
 * Returns 0, or -1 when ctype is not multipart/form-data or the boundary is missing or bad. */
int multipart_boundary(const char *ctype, char *out, size_t size);

/* Parse body[0..n) of a multipart/form-data request with this boundary: parts without a
 * filename become form parameters (appended to form, like params_parse), parts with one
 * become uploads (an empty file input, no name and no bytes, is skipped). A file over
 * file_max keeps its name and size with too_big set; when the kept files pass total_max,
 * over_total is set. Returns 0, or -1 with a reason in err when the body is not well formed
 * (no closing delimiter, a part without headers or a name, a NUL in a text field, too many
 * parts) or memory runs out. */
int multipart_parse(const char *boundary, const char *body, size_t n, size_t file_max,
    size_t total_max, struct params *form, struct uploads *files, char *err, size_t errlen);

#endif
