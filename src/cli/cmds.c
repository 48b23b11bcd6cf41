/* Further crmctl commands, registered here so each area keeps its own file. */
#include <stddef.h>

#include "cli/cli.h"

const struct cli_cmd cli_extra_cmds[] = {
	{ NULL, NULL, NULL },
};
