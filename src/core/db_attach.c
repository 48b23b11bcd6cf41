/* Attachments and their content-addressed blobs: rows, files, the orphan sweep (db_attach.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/attach.h"
#include "core/db_attach.h"
#include "core/log.h"

static const char SQL_BLOB_GET[] = "SELECT data IS NULL FROM blobs WHERE sha256 = ?";
static const char SQL_BLOB_ADD[] =
    "INSERT INTO blobs (sha256, size, data, stored_at) VALUES (?, ?, ?, ?)";
static const char SQL_ATTACH_ADD[] =
    "INSERT INTO attachments (message_id, blob, name, media_type, size, content_id, inline,"
    " state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_ATTACH_LIST[] =
    "SELECT a.id, a.message_id, a.name, a.media_type, a.state, a.blob, a.size, a.inline,"
    " b.data IS NULL FROM attachments a LEFT JOIN blobs b ON b.sha256 = a.blob"
    " WHERE a.message_id = ? ORDER BY a.id";
static const char SQL_ATTACH_GET[] =
    "SELECT a.id, a.message_id, a.name, a.media_type, a.state, a.blob, a.size, a.inline,"
    " b.data IS NULL, b.data FROM attachments a LEFT JOIN blobs b ON b.sha256 = a.blob"
    " WHERE a.id = ?";
static const char SQL_BLOB_REFERENCED[] = "SELECT 1 FROM attachments WHERE blob = ? LIMIT 1";
static const char SQL_BLOB_DROP[] = "DELETE FROM blobs WHERE sha256 = ?"
    " AND NOT EXISTS (SELECT 1 FROM attachments WHERE blob = ?)";
static const char SQL_BLOBS_DB_DROP[] = "DELETE FROM blobs WHERE data IS NOT NULL"
    " AND stored_at < ? AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.blob = sha256)";

/* ---- Files ------------------------------------------------------------------------------- */

static int mkdir_p(const char *path)
{
	char buf[4096];
	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
		return -1;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0750) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0750) != 0 && errno != EEXIST ? -1 : 0;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

int attach_file_write(const char *files_dir, const char *sha, const void *data, size_t size)
{
	char rel[80], dir[4096], path[4200], tmp[4300];
	unsigned int rnd = 0;
	struct stat sb;
	if (attach_rel_path(sha, rel, sizeof rel) != 0 ||
	    snprintf(dir, sizeof dir, "%s/%.2s", files_dir, sha) >= (int)sizeof dir)
		return -1;
	snprintf(path, sizeof path, "%s/%s", files_dir, rel);
	if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && (size_t)sb.st_size == size)
		return 0;   /* the same content, already there */
	if (mkdir_p(dir) != 0) {
		log_warn("attachments: cannot make %s", dir);
		return -1;
	}
	if (getrandom(&rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
		rnd = (unsigned)getpid();
	snprintf(tmp, sizeof tmp, "%s/.tmp-%s-%u", dir, sha, rnd);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0) {
		log_warn("attachments: cannot create %s", tmp);
		return -1;
	}
	int rc = write_all(fd, data, size) == 0 && fsync(fd) == 0 ? 0 : -1;
	if (close(fd) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -1;
	if (rc == 0 && fsync_dir(dir) != 0)
		rc = -1;
	if (rc != 0) {
		log_warn("attachments: cannot write %s", path);
		unlink(tmp);
	}
	return rc;
}

int attach_file_read(const char *files_dir, const char *sha, size_t max, unsigned char **data,
    size_t *size)
{
	char rel[80], path[4200];
	struct stat sb;
	int rc = -1;
	*data = NULL;
	*size = 0;
	if (attach_rel_path(sha, rel, sizeof rel) != 0 ||
	    snprintf(path, sizeof path, "%s/%s", files_dir, rel) >= (int)sizeof path)
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_warn("attachments: cannot open %s", path);
		return -1;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (max && (size_t)sb.st_size > max))
		goto out;
	size_t n = (size_t)sb.st_size, got = 0;
	if (!(*data = malloc(n ? n : 1)))
		goto out;
	while (got < n) {
		ssize_t r = read(fd, *data + got, n - got);
		if (r <= 0)
			goto out;
		got += (size_t)r;
	}
	*size = n;
	rc = 0;
out:
	if (rc != 0) {
		free(*data);
		*data = NULL;
	}
	close(fd);
	return rc;
}

/* ---- Rows -------------------------------------------------------------------------------- */

/* 1 when the blob's row is there (*in_file set), 0 when not, -1 on error. */
static int blob_get(struct db *db, const char *sha, int *in_file)
{
	struct db_stmt *st = db_stmt(db, SQL_BLOB_GET);
	if (!st || DB_BOUND(db_bind_text(st, 1, sha)) != 0)
		return -1;
	int rc = db_step(st), ret = rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : -1;
	if (ret == 1)
		*in_file = db_col_int(st, 0);
	db_reset(st);
	return ret;
}

static int blob_put(struct db *db, const char *files_dir, const struct sync_attach *a,
    int64_t now, int *new_blob)
{
	int in_file = 0, have = blob_get(db, a->sha256, &in_file);
	int big = a->size > ATTACH_DB_MAX;
	if (have < 0)
		return -1;
	/* a row of a file: the file is written again if it went missing */
	if ((have == 0 || in_file) && big &&
	    attach_file_write(files_dir, a->sha256, a->data, a->size) != 0)
		return -1;
	if (have)
		return 0;
	struct db_stmt *st = db_stmt(db, SQL_BLOB_ADD);
	if (!st || DB_BOUND(db_bind_text(st, 1, a->sha256)) != 0)
		return -1;
	db_bind_int64(st, 2, (int64_t)a->size);
	if (big)
		db_bind_null(st, 3);
	else
		db_bind_blob(st, 3, a->data, a->size);
	db_bind_int64(st, 4, now);
	if (db_step_done(db, st) != 0)
		return -1;
	*new_blob = 1;
	return 0;
}

int db_attach_store(struct db *db, const char *files_dir, int64_t msg_id,
    const struct sync_attach *a, size_t max_bytes, int64_t now, int *new_blob)
{
	const char *state = a->unreadable ? "unreadable" :
	    max_bytes && a->size > max_bytes ? "too_large" : "stored";
	int stored = strcmp(state, "stored") == 0;
	*new_blob = 0;
	if (stored && (!attach_sha_ok(a->sha256) || blob_put(db, files_dir, a, now, new_blob) != 0))
		return -1;
	struct db_stmt *st = db_stmt(db, SQL_ATTACH_ADD);
	if (!st)
		return -1;
	db_bind_int64(st, 1, msg_id);
	if (DB_BOUND(db_bind_text(st, 2, stored ? a->sha256 : NULL)) != 0 ||
	    DB_BOUND(db_bind_text(st, 3, a->name)) != 0 ||
	    DB_BOUND(db_bind_text(st, 4, a->media_type)) != 0 ||
	    DB_BOUND(db_bind_text(st, 6, a->content_id)) != 0 ||
	    DB_BOUND(db_bind_text(st, 8, state)) != 0) {
		db_reset(st);
		return -1;
	}
	db_bind_int64(st, 5, (int64_t)a->size);
	db_bind_int(st, 7, a->is_inline);
	return db_step_done(db, st);
}

void attach_row_free(struct attach_row *r)
{
	free(r->name);
	free(r->media_type);
	free(r->state);
	free(r->blob);
	free(r->data);
	memset(r, 0, sizeof *r);
}

void attach_rows_free(struct attach_rows *l)
{
	for (size_t i = 0; i < l->n; i++)
		attach_row_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

static int row_read(struct db_stmt *st, struct attach_row *r)
{
	r->id = db_col_int64(st, 0);
	r->message_id = db_col_int64(st, 1);
	r->name = db_col_strdup(st, 2);
	r->media_type = db_col_strdup(st, 3);
	r->state = db_col_strdup(st, 4);
	if (!db_col_is_null(st, 5) && !(r->blob = db_col_strdup(st, 5)))
		return -1;
	r->size = db_col_int64(st, 6);
	r->is_inline = db_col_int(st, 7);
	r->in_file = r->blob && db_col_int(st, 8);
	return r->name && r->media_type && r->state ? 0 : -1;
}

int db_attach_list(struct db *db, int64_t msg_id, struct attach_rows *out)
{
	memset(out, 0, sizeof *out);
	struct db_stmt *st = db_stmt(db, SQL_ATTACH_LIST);
	if (!st)
		return -1;
	db_bind_int64(st, 1, msg_id);
	int rc, ret = 0;
	size_t cap = 0;
	while ((rc = db_step(st)) == DB_ROW) {
		if (out->n == cap) {
			size_t nc = cap ? cap * 2 : 4;
			struct attach_row *nv = realloc(out->v, nc * sizeof *nv);
			if (!nv) {
				ret = -1;
				break;
			}
			out->v = nv;
			cap = nc;
		}
		struct attach_row *r = &out->v[out->n++];
		memset(r, 0, sizeof *r);
		if (row_read(st, r) != 0) {
			ret = -1;
			break;
		}
	}
	if (ret == 0 && rc != DB_DONE)
		ret = -1;
	db_reset(st);
	if (ret != 0)
		attach_rows_free(out);
	return ret;
}

int db_attach_get(struct db *db, int64_t id, int load, struct attach_row *out)
{
	memset(out, 0, sizeof *out);
	struct db_stmt *st = db_stmt(db, SQL_ATTACH_GET);
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	int rc = db_step(st), ret = rc == DB_DONE ? 1 : -1;
	if (rc == DB_ROW) {
		ret = row_read(st, out);
		if (ret == 0 && load && out->blob && !out->in_file) {
			int n = db_col_bytes(st, 9);
			const void *d = db_col_blob(st, 9);
			out->data_len = (size_t)n;
			if (n > 0 && !(out->data = malloc((size_t)n)))
				ret = -1;
			else if (n > 0)
				memcpy(out->data, d, (size_t)n);
		}
	}
	db_reset(st);
	if (ret != 0)
		attach_row_free(out);
	return ret;
}

/* ---- The sweep --------------------------------------------------------------------------- */

static int blob_referenced(struct db *db, const char *sha)
{
	struct db_stmt *st = db_stmt(db, SQL_BLOB_REFERENCED);
	if (!st || DB_BOUND(db_bind_text(st, 1, sha)) != 0)
		return -1;
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : -1;
}

/* Remove one file (and its blob row) that nothing refers to, under the write lock: it is
 * renamed aside in the transaction and unlinked once the row's removal is committed. Returns
 * 1 when removed, 0 when kept, -1 on error. */
static int sweep_file(struct db *db, const char *dir, const char *name)
{
	char path[4200], gone[4300];
	if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path ||
	    snprintf(gone, sizeof gone, "%s/.del-%s", dir, name) >= (int)sizeof gone)
		return 0;
	if (db_begin(db) != 0)
		return -1;
	int used = blob_referenced(db, name);
	if (used != 0) {
		db_rollback(db);
		return used < 0 ? -1 : 0;
	}
	struct db_stmt *st = db_stmt(db, SQL_BLOB_DROP);
	if (!st || DB_BOUND(db_bind_text(st, 1, name)) != 0 ||
	    DB_BOUND(db_bind_text(st, 2, name)) != 0 || db_step_done(db, st) != 0 ||
	    rename(path, gone) != 0) {
		db_rollback(db);
		return -1;
	}
	if (db_commit(db) != 0) {
		rename(gone, path);
		db_rollback(db);
		return -1;
	}
	unlink(gone);
	return 1;
}

static long sweep_dir(struct db *db, const char *dir, int64_t before)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	long removed = 0;
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[4200];
		struct stat sb;
		if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path ||
		    !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_mtime >= before)
			continue;
		if (strncmp(e->d_name, ".tmp-", 5) == 0 || strncmp(e->d_name, ".del-", 5) == 0) {
			removed += unlink(path) == 0;
		} else if (attach_sha_ok(e->d_name)) {
			int rc = sweep_file(db, dir, e->d_name);
			if (rc < 0) {
				closedir(d);
				return -1;
			}
			removed += rc;
		}
	}
	closedir(d);
	return removed;
}

long attach_sweep(struct db *db, const char *files_dir, int64_t now, int64_t min_age_s)
{
	long removed = 0;
	struct db_stmt *st = db_stmt(db, SQL_BLOBS_DB_DROP);
	if (!st)
		return -1;
	db_bind_int64(st, 1, now - min_age_s);
	if (db_step_done(db, st) != 0)
		return -1;
	removed += db_changes(db);
	DIR *d = opendir(files_dir);
	if (!d)
		return removed;   /* no folder yet: nothing was ever stored in files */
	struct dirent *e;
	while ((e = readdir(d))) {
		const char *n = e->d_name;
		char sub[4200];
		if (strlen(n) != 2 || !strchr("0123456789abcdef", n[0]) || !n[0] ||
		    !strchr("0123456789abcdef", n[1]) || !n[1])
			continue;
		if (snprintf(sub, sizeof sub, "%s/%s", files_dir, n) >= (int)sizeof sub)
			continue;
		long r = sweep_dir(db, sub, now - min_age_s);
		if (r < 0) {
			removed = -1;
			break;
		}
		removed += r;
	}
	closedir(d);
	return removed;
}
