/* Opening the config, key and database the same way in every program. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/app.h"
#include "core/netguard.h"

const char *app_config_path(int *argc, char **argv)
{
	/* Every program starts here: what it creates (database and its WAL, key, socket, logs)
	 * is for its owner and group only. */
	umask(027);
	for (int i = 1; i + 1 < *argc; i++) {
		if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
			const char *p = argv[i + 1];
			memmove(&argv[i], &argv[i + 2], (size_t)(*argc - i - 1) * sizeof *argv);
			*argc -= 2;
			return p;
		}
	}
	const char *env = getenv("CRM_CONFIG");
	return env && *env ? env : "crm.conf";
}

int app_open(const char *config_path, int create_key, struct app *app, char *err, size_t errlen)
{
	memset(app, 0, sizeof *app);
	if (config_load(config_path, &app->cfg, err, errlen) != 0)
		return -1;
	if (netguard_configure(app->cfg.allow_hosts, err, errlen) != 0)
		goto fail;
	if (crypto_key_load(app->cfg.secret_key_file, create_key, app->key, err, errlen) != 0)
		goto fail;
	if (!(app->db = db_open(app->cfg.database, err, errlen)))
		goto fail;
	return 0;
fail:
	config_free(&app->cfg);
	return -1;
}

void app_close(struct app *app)
{
	db_close(app->db);
	config_free(&app->cfg);
	memset(app, 0, sizeof *app);
}
