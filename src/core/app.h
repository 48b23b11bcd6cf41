/* What every program opens first: the config, the database (migrated) and the secret key. */
#ifndef CORE_APP_H
#define CORE_APP_H

#include <stdint.h>
#include "core/config.h"
#include "core/crypto.h"
#include "core/db.h"

struct app {
	struct config cfg;
	struct db *db;                 /* this thread's connection; others open their own */
	uint8_t key[CRYPTO_KEY_BYTES];
};

/* The config path from "-c FILE" / "--config FILE" in argv (removed from argv), else
 * $CRM_CONFIG, else "crm.conf". Borrowed. Also sets the umask to 027: every program calls it
 * first, so no file it creates is world-readable. */
const char *app_config_path(int *argc, char **argv);
/* Load config, key (created when create_key) and database. Returns 0 or -1 with err set. */
int app_open(const char *config_path, int create_key, struct app *app, char *err, size_t errlen);
void app_close(struct app *app);

#endif
