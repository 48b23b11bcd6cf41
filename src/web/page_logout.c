/* Log out: end the session and go back to the login form. */
#include "web/web.h"

int page_logout(struct ctx *c)
{
	if (session_end(c) != 0)
		return 500;
	return resp_redirect(c->resp, "/login");
}
