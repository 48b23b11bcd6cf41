/* Rendering ctpl templates: lexed once per worker at start, one view (CtplEnviron) per request.
 * Values reach a template only through view_* and vrow_*, which HTML-escape every string; a
 * value that is already HTML goes through view_html and its name must end in "_html". */
#ifndef WEB_RENDER_H
#define WEB_RENDER_H

#include "web/html.h"

struct templates;   /* every templates/<name>.html, lexed */
struct view;        /* the values of one render */
struct vlist;       /* a list value: rows, each a list of cells read as {row[0]}, {row[1]} */

/* Lex every *.html in dir. Returns NULL (logged) when one fails. */
struct templates *templates_load(const char *dir);
void templates_free(struct templates *t);

struct view *view_new(void);
void view_free(struct view *v);
void view_str(struct view *v, const char *name, const char *raw);
void view_strf(struct view *v, const char *name, const char *fmt, ...) LOG_PRINTF(3, 4);
void view_int(struct view *v, const char *name, long n);
/* html must be trusted markup built with html.c; refused (logged, not set) unless name ends
 * in "_html". */
void view_html(struct view *v, const char *name, const char *html);
/* Set name to list; the view takes ownership of list. */
void view_list(struct view *v, const char *name, struct vlist *list);

struct vlist *vlist_new(void);
void vlist_free(struct vlist *l);
size_t vlist_len(const struct vlist *l);
/* Start a new row at the end of l; cells are then added with vrow_*. Returns the row. */
struct vlist *vlist_row(struct vlist *l);
void vrow_str(struct vlist *row, const char *raw);
void vrow_strf(struct vlist *row, const char *fmt, ...) LOG_PRINTF(2, 3);
void vrow_int(struct vlist *row, long n);
/* A search snippet with its matches marked (html_snippet). */
void vrow_snippet(struct vlist *row, const char *raw);
/* Add a nested list as a cell; row takes ownership of sub. */
void vrow_list(struct vlist *row, struct vlist *sub);

/* Render template name with v into out. Returns 0, or -1 (logged) when the template is
 * missing or fails. */
int render(const struct templates *t, const char *name, struct view *v, struct buf *out);

#endif
