/* Attachments, the pure part: cleaning a file name, the type a download is served as, the
 * Content-Disposition header, where a stored file lives. No I/O here (see db_attach.h). */
#ifndef CORE_ATTACH_H
#define CORE_ATTACH_H

#include <stddef.h>

#define ATTACH_NAME_MAX 200        /* bytes of a cleaned name (UTF-8, cut on a character) */
#define ATTACH_DB_MAX (64 * 1024)  /* blobs up to this size live in the database, larger in files */

/* A malloc'd file name made from raw (any bytes; NULL for none): valid UTF-8 (bytes that are
 * not read as windows-1252 would be replaced), path separators '/' and '\' made '_', control
 * characters (C0, DEL, C1) and bidirectional overrides dropped, surrounding blanks and leading
 * dots trimmed, cut to ATTACH_NAME_MAX bytes keeping a short extension. HTML is left as it is:
 * it is text, escaped where it is shown. "attachment" when nothing is left; NULL on no memory. */
char *attach_name_clean(const char *raw);

/* The Content-Type a stored media type is served as: the type itself when it is a plain
 * "type/subtype" token pair and not active content, else "application/octet-stream". Active
 * content (HTML, XHTML, SVG, XML and anything +xml, JavaScript and ECMAScript) is always
 * octet-stream, so no browser renders it from our origin. Writes into out (size >= 128). */
void attach_served_type(const char *media_type, char *out, size_t size);

/* 1 if a part of this media type may be shown inline (?inline=1): PNG, JPEG, GIF, WebP only. */
int attach_inline_ok(const char *media_type);

/* The Content-Disposition value for name into out: `attachment` (or `inline`) with an ASCII
 * fallback filename="..." (other bytes, controls and any of "\<>:*?|/ as '_') and
 * filename*=UTF-8''<percent-encoded>. Returns 0, or -1 when out is too small. */
int attach_disposition(const char *name, int is_inline, char *out, size_t size);

/* 1 if s is 64 lower-case hex digits (a SHA-256 as stored). */
int attach_sha_ok(const char *s);

/* The path of a blob's file relative to the files folder: "<2 hex>/<64 hex>" into out (size
 * >= 68). Returns 0, or -1 when sha is not attach_sha_ok. */
int attach_rel_path(const char *sha, char *out, size_t size);

/* "12 KB", "3.4 MB", "512 bytes" for size into out. */
void attach_fmt_size(size_t size, char *out, size_t outsize);

#endif
