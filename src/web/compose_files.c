/* Compose's files: uploads and re-attached originals, their limits, their storing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/attach.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/mime_types.h"
#include "web/compose_files.h"

#define MB (1024 * 1024)

void compose_files_free(struct compose_files *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].data);
	}
	memset(f, 0, sizeof *f);
}

int compose_reattach_ticked(const struct ctx *c, int64_t id)
{
	for (size_t i = 0; i < c->req->form.n; i++)
		if (strcmp(c->req->form.v[i].key, "reattach") == 0 &&
		    parse_id(c->req->form.v[i].val) == id)
			return 1;
	return 0;
}

/* Append one file; takes data. Returns 0, 1 with err, -1. */
static int add(struct compose_files *f, const char *raw_name, const char *ctype,
    unsigned char *data, size_t len, size_t total_max, char *err, size_t errlen)
{
	if (f->n == COMPOSE_FILES_MAX) {
		free(data);
		snprintf(err, errlen, "At most %d files can go with one message.", COMPOSE_FILES_MAX);
		return 1;
	}
	struct compose_file *cf = &f->v[f->n];
	memset(cf, 0, sizeof *cf);
	if (!(cf->name = attach_name_clean(raw_name))) {
		free(data);
		return -1;
	}
	cf->data = data;
	cf->len = len;
	f->n++;
	f->total += len;
	mime_types_pick(ctype, cf->name, cf->media_type, sizeof cf->media_type);
	crypto_sha256_hex(data, len, cf->sha256);
	if (f->total > total_max) {
		snprintf(err, errlen, "The files together are larger than the %zu MB one message may "
		    "carry.", total_max / MB);
		return 1;
	}
	return 0;
}

/* One attachment of the replied message, ticked to go again: its stored bytes appended to f.
 * Returns 0, 1 with err, -1. */
static int take_original(struct ctx *c, const struct attach_row *a, struct compose_files *f,
    size_t file_max, size_t total_max, char *err, size_t errlen)
{
	struct attach_row full;
	unsigned char *data = NULL;
	size_t len = 0;
	char size[32];
	int rc = db_attach_get(c->db, a->id, 1, &full);
	if (rc != 0) {
		if (rc == 1)
			snprintf(err, errlen, "An attachment of the original message is no longer there.");
		return rc;
	}
	rc = 1;
	if (strcmp(full.state, "stored") != 0 || !full.blob) {
		snprintf(err, errlen, "\"%s\" of the original message was not stored, so it cannot go "
		    "again.", full.name);
		goto out;
	}
	if ((size_t)full.size > file_max) {
		attach_fmt_size((size_t)full.size, size, sizeof size);
		snprintf(err, errlen, "\"%s\" (%s) is larger than the %d MB one file may have.",
		    full.name, size, c->w->cfg->send_file_max_mb);
		goto out;
	}
	if (full.in_file) {
		if (attach_file_read(c->w->cfg->files, full.blob, file_max, &data, &len) != 0) {
			snprintf(err, errlen, "\"%s\" of the original message could not be read.",
			    full.name);
			goto out;
		}
	} else {
		data = full.data;
		len = full.data_len;
		full.data = NULL;
	}
	if (!data && !(data = malloc(1))) {
		rc = -1;
		goto out;
	}
	rc = add(f, full.name, full.media_type, data, len, total_max, err, errlen);
out:
	attach_row_free(&full);
	return rc;
}

int compose_files_take(struct ctx *c, const struct attach_rows *src, struct compose_files *f,
    char *err, size_t errlen)
{
	size_t file_max = (size_t)c->w->cfg->send_file_max_mb * MB;
	size_t total_max = (size_t)c->w->cfg->send_total_max_mb * MB;
	struct uploads *up = &c->req->files;
	char size[32];
	int rc;
	memset(f, 0, sizeof *f);
	for (size_t i = 0; i < up->n; i++) {
		struct upload *u = &up->v[i];
		if (u->too_big) {
			char *name = attach_name_clean(u->filename);
			attach_fmt_size(u->len, size, sizeof size);
			snprintf(err, errlen, "\"%s\" (%s) is larger than the %d MB one file may have.",
			    name ? name : "attachment", size, c->w->cfg->send_file_max_mb);
			free(name);
			return 1;
		}
		unsigned char *data = u->data;   /* taken from the request: no second copy */
		u->data = NULL;
		if ((rc = add(f, u->filename, u->ctype, data, u->len, total_max, err, errlen)) != 0)
			return rc;
	}
	if (up->over_total) {
		snprintf(err, errlen, "The files together are larger than the %d MB one message may "
		    "carry.", c->w->cfg->send_total_max_mb);
		return 1;
	}
	for (size_t i = 0; src && i < src->n; i++)
		if (compose_reattach_ticked(c, src->v[i].id) &&
		    (rc = take_original(c, &src->v[i], f, file_max, total_max, err, errlen)) != 0)
			return rc;
	return 0;
}

void compose_files_mime(const struct compose_files *f, struct mime_file *out)
{
	for (size_t i = 0; i < f->n; i++) {
		out[i].name = f->v[i].name;
		out[i].media_type = f->v[i].media_type;
		out[i].data = f->v[i].data;
		out[i].len = f->v[i].len;
	}
}

int compose_files_store(struct ctx *c, int64_t msg_id, const struct compose_files *f)
{
	int64_t now = time(NULL);
	for (size_t i = 0; i < f->n; i++) {
		const struct compose_file *cf = &f->v[i];
		struct sync_attach a = {
			.name = cf->name, .media_type = (char *)cf->media_type, .data = cf->data,
			.size = cf->len,
		};
		int new_blob;
		snprintf(a.sha256, sizeof a.sha256, "%s", cf->sha256);
		if (db_attach_store(c->db, c->w->cfg->files, msg_id, &a, 0, now, &new_blob) != 0) {
			log_warnx("compose: attachment \"%s\" of message %lld not stored", cf->name,
			    (long long)msg_id);
			return -1;
		}
	}
	return 0;
}
