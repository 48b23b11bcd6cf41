/* Serving one FastCGI request: read it into a struct req, route it, write the response. */
#ifndef WEB_SERVER_H
#define WEB_SERVER_H

#include <fcgiapp.h>
#include "web/web.h"

/* Handle fr completely (always answers, never fails: problems become error pages). */
void server_handle(struct worker *w, FCGX_Request *fr);

#endif
