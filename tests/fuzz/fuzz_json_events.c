/* libFuzzer target: provider JSON (Gmail/Google Calendar, Graph, Nylas) through jansson and each
 * driver's event mapping; an array maps each of its items, an object maps itself. */
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "providers/google.h"
#include "providers/graph.h"
#include "providers/nylas.h"
#include "providers/provider.h"

static void map_one(const json_t *item)
{
	struct sync_event e;
	google_event_parse(item, "America/Chicago", &e);
	event_free(&e);
	graph_event_parse(item, "America/Chicago", &e);
	event_free(&e);
	nylas_event_parse(item, &e);
	event_free(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *j = json_loadb((const char *)data, size, JSON_ALLOW_NUL, &jerr);
	if (!j)
		return 0;
	if (json_is_array(j)) {
		size_t i;
		json_t *it;
		json_array_foreach(j, i, it)
			if (json_is_object(it))
				map_one(it);
	} else if (json_is_object(j)) {
		map_one(j);
		json_t *v = json_object_get(j, "value");   /* Graph pages */
		if (!v)
			v = json_object_get(j, "items");           /* Google pages */
		if (!v)
			v = json_object_get(j, "data");            /* Nylas pages */
		size_t i;
		json_t *it;
		if (json_is_array(v))
			json_array_foreach(v, i, it)
				if (json_is_object(it))
					map_one(it);
	}
	json_decref(j);
	return 0;
}
