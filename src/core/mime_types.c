/* Debian's /etc/mime.types read once: "type/subtype ext ext ..." lines, '#' comments. */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/mime_types.h"

struct mt_entry {
	char *type, *ext;    /* one extension per entry; ext NULL for a type listed without any */
};

static struct {
	struct mt_entry *v;
	size_t n;
	int loaded;          /* the file was read */
	const char *path;
} mt = { .path = MIME_TYPES_FILE };
static pthread_once_t mt_once = PTHREAD_ONCE_INIT;

void mime_types_use(const char *path)
{
	mt.path = path;
}

static int mt_add(const char *type, const char *ext)
{
	struct mt_entry *nv = realloc(mt.v, (mt.n + 1) * sizeof *nv);
	if (!nv)
		return -1;
	mt.v = nv;
	mt.v[mt.n].type = strdup(type);
	mt.v[mt.n].ext = ext ? strdup(ext) : NULL;
	if (!mt.v[mt.n].type || (ext && !mt.v[mt.n].ext)) {
		free(mt.v[mt.n].type);
		free(mt.v[mt.n].ext);
		return -1;
	}
	mt.n++;
	return 0;
}

static void mt_load(void)
{
	FILE *f = fopen(mt.path, "r");
	char line[1024];
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		char *save = NULL, *type = strtok_r(line, " \t\r\n", &save);
		if (!type || type[0] == '#' || !strchr(type, '/'))
			continue;
		for (char *c = type; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		int any = 0;
		for (char *e; (e = strtok_r(NULL, " \t\r\n", &save)); any = 1)
			if (mt_add(type, e) != 0)
				goto out;
		if (!any && mt_add(type, NULL) != 0)
			goto out;
	}
	mt.loaded = 1;
out:
	fclose(f);
}

/* 1 if t is "type/subtype" of token characters. */
static int well_formed(const char *t)
{
	static const char tspecials[] = "()<>@,;:\\\"/[]?= \t";
	const char *slash = strchr(t, '/');
	if (!slash || slash == t || !slash[1])
		return 0;
	for (const char *c = t; *c; c++)
		if (c != slash && ((unsigned char)*c <= 32 || (unsigned char)*c >= 127 ||
		    strchr(tspecials, *c)))
			return 0;
	return 1;
}

void mime_types_pick(const char *claimed, const char *filename, char *out, size_t size)
{
	char t[128] = "";
	pthread_once(&mt_once, mt_load);
	if (claimed) {
		size_t n = strcspn(claimed, "; \t");
		if (n < sizeof t) {
			for (size_t i = 0; i < n; i++)
				t[i] = (char)tolower((unsigned char)claimed[i]);
			t[n] = '\0';
		}
	}
	if (t[0] && well_formed(t) && strcmp(t, "application/octet-stream") != 0) {
		if (!mt.loaded) {
			snprintf(out, size, "%s", t);
			return;
		}
		for (size_t i = 0; i < mt.n; i++)
			if (strcmp(mt.v[i].type, t) == 0) {
				snprintf(out, size, "%s", t);
				return;
			}
	}
	const char *dot = filename ? strrchr(filename, '.') : NULL;
	if (dot && dot[1])
		for (size_t i = 0; i < mt.n; i++)
			if (mt.v[i].ext && strcasecmp(mt.v[i].ext, dot + 1) == 0) {
				snprintf(out, size, "%s", mt.v[i].type);
				return;
			}
	snprintf(out, size, "application/octet-stream");
}
