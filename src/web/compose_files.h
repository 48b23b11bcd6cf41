/* The files of a mail written in Compose: uploaded ones and, on a reply, the replied message's
 * own attachments ticked again; checked against the size limits, kept on the Sent message. */
#ifndef WEB_COMPOSE_FILES_H
#define WEB_COMPOSE_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "core/db_attach.h"
#include "providers/mime.h"
#include "web/multipart.h"
#include "web/web.h"

#define COMPOSE_FILES_MAX MULTIPART_FILES_MAX

struct compose_file {
	char *name;               /* owned, cleaned (attach_name_clean) */
	char media_type[128];     /* checked against mime.types */
	unsigned char *data;      /* owned */
	size_t len;
	char sha256[65];
};
struct compose_files {
	struct compose_file v[COMPOSE_FILES_MAX];
	size_t n, total;
};
void compose_files_free(struct compose_files *f);

/* 1 if attachment id (of the replied message's list src) was ticked to go again. */
int compose_reattach_ticked(const struct ctx *c, int64_t id);

/* Take the request's uploads and the ticked attachments of src (the replied message's, may be
 * NULL) into *f, within [web] send_file_max_mb and send_total_max_mb. Returns 0, 1 with a
 * sentence for the user in err (a file too large, the total too large, too many files, an
 * attachment no longer stored), or -1 on an internal failure. */
int compose_files_take(struct ctx *c, const struct attach_rows *src, struct compose_files *f,
    char *err, size_t errlen);

/* The files as mime_build() attaches them, into out (COMPOSE_FILES_MAX entries). */
void compose_files_mime(const struct compose_files *f, struct mime_file *out);

/* Store the files as attachments of the Sent message msg_id (content-addressed blobs, as
 * received mail's), inside the caller's transaction. Returns 0 or -1. */
int compose_files_store(struct ctx *c, int64_t msg_id, const struct compose_files *f);

#endif
