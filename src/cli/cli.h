/* crmctl's command table: core commands live in main_crmctl.c; other areas add theirs to
 * cli_extra_cmds (src/cli/cmds.c), ended by an entry with a NULL name. */
#ifndef CLI_CLI_H
#define CLI_CLI_H

struct app;

struct cli_cmd {
	const char *name;
	/* argv[0] is the command name. Returns the exit status. */
	int (*fn)(struct app *app, int argc, char **argv);
	const char *help;
};

extern const struct cli_cmd cli_extra_cmds[];

#endif
