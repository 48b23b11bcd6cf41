/* HTML mail bodies to readable plain text (libxml2's forgiving HTML parser). */
#ifndef PROVIDERS_HTML_TEXT_H
#define PROVIDERS_HTML_TEXT_H

#include <stddef.h>

/* Turn UTF-8 HTML into plain text: script, style, head and similar are dropped, paragraphs and
 * line breaks kept, entities decoded, runs of blank space collapsed. Returns a malloc'd string
 * (possibly empty), or NULL when out of memory. */
char *html_to_text(const char *html, size_t len);

#endif
