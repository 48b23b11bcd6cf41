/* Attachments and their content-addressed blobs in the database and the files folder. */
#ifndef CORE_DB_ATTACH_H
#define CORE_DB_ATTACH_H

#include <stddef.h>
#include <stdint.h>

#include "core/db.h"
#include "core/items.h"   /* struct sync_attach */

/* Store the attachment a of message msg_id inside the caller's transaction: its blob once per
 * content (bytes in the row up to ATTACH_DB_MAX, else a file under files_dir written, synced
 * and renamed into place before this returns, so the commit that follows never refers to a
 * file that is not there), then the attachments row. Over max_bytes (0: no cap) only name and
 * size are kept (state too_large); an unreadable part keeps name and type (state unreadable).
 * *new_blob is set to 1 when the content was not stored before. Returns 0 or -1 (logged). */
int db_attach_store(struct db *db, const char *files_dir, int64_t msg_id,
    const struct sync_attach *a, size_t max_bytes, int64_t now, int *new_blob);

/* One attachment as the web app shows and serves it. Strings owned. */
struct attach_row {
	int64_t id, message_id;
	char *name, *media_type, *state;
	char *blob;              /* sha256 or NULL when not stored */
	int64_t size;
	int is_inline;
	int in_file;             /* the bytes are in the files folder (data NULL) */
	unsigned char *data;     /* with db_attach_get(..., load=1) and !in_file: the bytes */
	size_t data_len;
};
struct attach_rows {
	struct attach_row *v;
	size_t n;
};
void attach_row_free(struct attach_row *r);
void attach_rows_free(struct attach_rows *l);

/* The attachments of message msg_id in MIME order. Returns 0 or -1. */
int db_attach_list(struct db *db, int64_t msg_id, struct attach_rows *out);
/* Attachment id into *out (its bytes too when load and they are in the database). Returns 0,
 * 1 when there is no such attachment, or -1. */
int db_attach_get(struct db *db, int64_t id, int load, struct attach_row *out);

/* Remove what no attachment refers to and is older than min_age_s: blob rows, their files,
 * and files under files_dir no row names (also temp files a crash left). Each file goes under
 * the database's write lock, so a page being stored never loses a file it refers to. Returns
 * the number of files and rows removed, or -1. */
long attach_sweep(struct db *db, const char *files_dir, int64_t now, int64_t min_age_s);

/* Write size bytes to files_dir/<rel> crash-safe: a temp file in the same folder, fsync,
 * rename, fsync of the folder (folders made as needed). Returns 0 or -1 (logged). */
int attach_file_write(const char *files_dir, const char *sha, const void *data, size_t size);

/* Read the file of blob sha under files_dir into a malloc'd *data (*size bytes). Returns 0, or
 * -1 (logged) when it is missing, not a regular file or larger than max (0: any size). */
int attach_file_read(const char *files_dir, const char *sha, size_t max, unsigned char **data,
    size_t *size);

#endif
