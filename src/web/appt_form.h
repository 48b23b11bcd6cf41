/* The appointment form shared by Edit Appointment and New appointment: reading the posted
 * fields (date, time, duration, location, title, type, note, completion note, complete) with
 * one message per problem, and filling a view with either stored or posted values. */
#ifndef WEB_APPT_FORM_H
#define WEB_APPT_FORM_H

#include "core/db_web.h"
#include "web/web.h"

#define APPT_ERRORS_MAX 8

struct appt_input {
	int64_t start_at;          /* from date + time in the viewer's zone */
	int duration_min;
	const char *location, *title, *type, *note, *completion_note;   /* borrowed from the form */
	int complete;
	const char *errors[APPT_ERRORS_MAX];
	int n_errors;
};

/* The CRM appointment types offered in the form. */
extern const char *const appt_types[];

/* Read the posted form. provider_fields: also read date/time/duration/location/title/type
 * (CRM appointments). Returns the number of problems (messages in in->errors). */
int appt_form_read(const struct ctx *c, int provider_fields, struct appt_input *in);

/* Put the form's values into v: from a stored appointment (a may be NULL for a new one with
 * day as its date), overridden by posted values when posted is set. */
void appt_form_view(const struct ctx *c, struct view *v, const struct appt_view *a,
    const char *day, int posted);

/* "30m", "1h", "1h 30m" into out. */
char *fmt_duration(int minutes, char *out, size_t size);

#endif
