/* Connections kept between passes (engine-internal): at most max of them, the most recently
 * used, each closed after idle_s without a pass. A run takes its link's connection at the start
 * and puts it back (or not, after an error) at the end; see struct prov_keep. */
#ifndef SYNC_KEEP_H
#define SYNC_KEEP_H

#include <stdint.h>

#include "providers/provider.h"

struct keeps;
struct workers;

/* max 0 keeps nothing. NULL when out of memory. */
struct keeps *keeps_new(int max, int idle_s);
/* From now on close connections with jobs on ws (borrowed; it must outlive keeps_free). */
void keeps_offload(struct keeps *k, struct workers *ws);
/* Close every kept connection and free. NULL is fine. */
void keeps_free(struct keeps *k);
/* Move link's kept connection (if any) into *slot, which must be empty. */
void keeps_take(struct keeps *k, int64_t link, struct prov_keep *slot);
/* Keep slot's connection for link (slot emptied), closing the least recently used one when
 * full; with nothing to keep it only empties slot. now_s is a monotonic time in seconds. */
void keeps_put(struct keeps *k, int64_t link, struct prov_keep *slot, int64_t now_s);
/* Close connections idle for idle_s or longer. */
void keeps_expire(struct keeps *k, int64_t now_s);
/* Close link's kept connection, if any (the link went to another daemon). */
void keeps_drop(struct keeps *k, int64_t link);
/* How many connections are kept. */
int keeps_count(const struct keeps *k);
/* Close a slot's connection, if any. */
void keep_close(struct prov_keep *slot);

#endif
