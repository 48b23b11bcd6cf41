/* The front page: the user's calendar. */

#include "web/web.h"

int page_home(struct ctx *c)
{
	return resp_redirect(c->resp, "/calendar");
}
