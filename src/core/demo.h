/* The demo company: users, accounts with contacts, and CRM appointments this month. */
#ifndef CORE_DEMO_H
#define CORE_DEMO_H

#include <stdio.h>
#include "core/db.h"

/* Load (or refresh: it is safe to run twice) the demo data; reports to out. Returns 0 or -1. */
int demo_load(struct db *db, FILE *out);

#endif
