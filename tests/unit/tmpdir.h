/* Temporary folders and files for unit tests. */
#ifndef TMPDIR_H
#define TMPDIR_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A fresh folder under /tmp; the path is static storage. */
__attribute__((unused)) static const char *t_tmpdir(void)
{
	static char dir[64];
	snprintf(dir, sizeof dir, "/tmp/crm-unit-XXXXXX");
	return mkdtemp(dir);
}

/* Write text to dir/name; returns the path (static storage, overwritten by the next call). */
__attribute__((unused)) static const char *t_write(const char *dir, const char *name, const char *text)
{
	static char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		return NULL;
	fputs(text, f);
	fclose(f);
	return path;
}
#endif
