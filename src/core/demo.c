/* The demo company loaded by `crmctl demo`: a hauling and landscaping customer base around
 * Houston, three staff users and a few appointments in the current month. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/appointments.h"
#include "core/demo.h"
#include "core/log.h"
#include "core/models.h"
#include "core/timeutil.h"

#define DEMO_TZ "America/Chicago"

struct demo_user {
	const char *name, *email, *role;
};
static const struct demo_user demo_users[] = {
	{ "Aliena Somers", "demo@example.com", "admin" },
	{ "Dave Pike", "dave@example.com", "user" },
	{ "Maria Lopez", "maria@example.com", "user" },
};

struct demo_account {
	const char *number, *name, *addr, *city, *zip, *status, *division, *manager, *class_,
	    *bill_group;
	long long aging[6];
	const char *contact1, *email1, *phone1, *contact2, *email2;
};
static const struct demo_account demo_accounts[] = {
	{ "48958001", "Example Account", "1234 Washington Ave", "Houston", "77007-1062", "Active",
	  "HOUSTON", "Dave Pike", "COMMERCIAL", "HOU-COMMERCIAL ARREARS", { 0, 0, 0, 0, 0, 0 },
	  "John Smith", "john.smith@example.net", "713-555-0101", "Ana Ruiz", "ana.ruiz@example.net" },
	{ "48958002", "Bayou City Diner", "415 Main St", "Houston", "77002", "Active", "HOUSTON",
	  "Dave Pike", "COMMERCIAL", "HOU-COMMERCIAL ARREARS", { 42500, 0, 0, 0, 0, 0 },
	  "Linda Park", "linda@bayoucitydiner.example", "713-555-0102", NULL, NULL },
	{ "48958003", "Heights Dental Group", "2100 Yale St", "Houston", "77008", "Active", "HOUSTON",
	  "Maria Lopez", "COMMERCIAL", "HOU-COMMERCIAL ARREARS", { 18900, 18900, 0, 0, 0, 0 },
	  "Dr. Omar Haddad", "omar@heightsdental.example", "713-555-0103", "Front Desk",
	  "frontdesk@heightsdental.example" },
	{ "48958004", "Memorial Park Apartments", "600 Memorial Dr", "Houston", "77007", "Active",
	  "HOUSTON", "Maria Lopez", "MULTI-FAMILY", "HOU-MF ADVANCE", { 120000, 0, 0, 0, 0, 0 },
	  "Grace Kim", "gkim@memorialpark.example", "713-555-0104", NULL, NULL },
	{ "48958005", "Gulf Coast Fabrication", "8800 Clinton Dr", "Houston", "77029", "Active",
	  "HOUSTON", "Dave Pike", "INDUSTRIAL", "HOU-INDUSTRIAL", { 310000, 150000, 0, 0, 0, 0 },
	  "Ray Dalton", "rdalton@gulfcoastfab.example", "713-555-0105", "Accounts Payable",
	  "ap@gulfcoastfab.example" },
	{ "48958006", "Rice Village Books", "2410 Rice Blvd", "Houston", "77005", "Active",
	  "HOUSTON", "Dave Pike", "COMMERCIAL", "HOU-COMMERCIAL ARREARS", { 8500, 0, 0, 0, 0, 0 },
	  "Tom Becker", "tom@ricevillagebooks.example", "713-555-0106", NULL, NULL },
	{ "48958007", "Westheimer Auto Care", "5200 Westheimer Rd", "Houston", "77056", "Active",
	  "HOUSTON", "Maria Lopez", "COMMERCIAL", "HOU-COMMERCIAL ARREARS", { 22000, 0, 11000, 0, 0, 0 },
	  "Carlos Mendez", "carlos@westheimerauto.example", "713-555-0107", NULL, NULL },
	{ "48958008", "Montrose Coffee Co", "1600 Westheimer Rd", "Houston", "77006", "Active",
	  "HOUSTON", "Dave Pike", "COMMERCIAL", "HOU-COMMERCIAL ARREARS", { 6400, 0, 0, 0, 0, 0 },
	  "Priya Shah", "priya@montrosecoffee.example", "713-555-0108", NULL, NULL },
	{ "48958009", "Sugar Land Medical Plaza", "16655 Southwest Fwy", "Sugar Land", "77479",
	  "Active", "FORT BEND", "Maria Lopez", "COMMERCIAL", "FB-COMMERCIAL", { 54000, 0, 0, 0, 0, 0 },
	  "Helen Wu", "hwu@slmedplaza.example", "281-555-0109", NULL, NULL },
	{ "48958010", "Katy Family Church", "22000 Kingsland Blvd", "Katy", "77450", "Active",
	  "KATY", "Dave Pike", "NON-PROFIT", "KATY-NP", { 0, 0, 0, 0, 0, 0 },
	  "Pastor James Cole", "jcole@katyfamily.example", "281-555-0110", NULL, NULL },
	{ "48958011", "Pasadena Steel Supply", "1200 Red Bluff Rd", "Pasadena", "77506", "Active",
	  "PASADENA", "Maria Lopez", "INDUSTRIAL", "PAS-INDUSTRIAL", { 98000, 45000, 20000, 0, 0, 0 },
	  "Frank Novak", "fnovak@pasadenasteel.example", "713-555-0111", NULL, NULL },
	{ "48958012", "Greenway Plaza Tower", "3 Greenway Plaza", "Houston", "77046", "Active",
	  "HOUSTON", "Dave Pike", "COMMERCIAL", "HOU-COMMERCIAL ARREARS", { 275000, 0, 0, 0, 0, 0 },
	  "Susan Boyd", "sboyd@greenwaytower.example", "713-555-0112", "Facilities",
	  "facilities@greenwaytower.example" },
	{ "48958013", "Cypress Creek HOA", "9000 Cypress Creek Pkwy", "Houston", "77070", "Active",
	  "NORTHWEST", "Maria Lopez", "HOA", "NW-HOA", { 150000, 0, 0, 0, 0, 0 },
	  "Board Secretary", "board@cypresscreekhoa.example", "281-555-0113", NULL, NULL },
	{ "48958014", "Pearland Landscaping Supply", "2800 Broadway St", "Pearland", "77581",
	  "Active", "PEARLAND", "Dave Pike", "COMMERCIAL", "PRL-COMMERCIAL", { 33000, 0, 0, 0, 0, 0 },
	  "Eddie Lang", "eddie@pearlandsupply.example", "281-555-0114", NULL, NULL },
	{ "48958015", "Energy Corridor Offices", "1000 Eldridge Pkwy", "Houston", "77077", "Active",
	  "WEST", "Maria Lopez", "COMMERCIAL", "WEST-COMMERCIAL", { 410000, 0, 0, 0, 0, 0 },
	  "Natalie Ford", "nford@energycorridor.example", "281-555-0115", NULL, NULL },
	{ "48958016", "Third Ward Community Garden", "3100 Emancipation Ave", "Houston", "77004",
	  "Active", "HOUSTON", "Dave Pike", "NON-PROFIT", "HOU-NP", { 0, 0, 0, 0, 0, 0 },
	  "Marcus Reed", "marcus@thirdwardgarden.example", "713-555-0116", NULL, NULL },
	{ "48958017", "Bellaire Elementary PTA", "5300 Jessamine St", "Bellaire", "77401",
	  "Inactive", "HOUSTON", "Maria Lopez", "NON-PROFIT", "HOU-NP", { 0, 0, 0, 0, 0, 0 },
	  "Kelly Grant", "kgrant@bellairepta.example", "713-555-0117", NULL, NULL },
	{ "48958018", "Galleria Suites Hotel", "5100 Westheimer Rd", "Houston", "77056", "Active",
	  "HOUSTON", "Dave Pike", "HOSPITALITY", "HOU-HOSP", { 198000, 99000, 0, 0, 0, 0 },
	  "Victor Lim", "vlim@galleriasuites.example", "713-555-0118", NULL, NULL },
	{ "48958019", "Spring Branch Storage", "8100 Long Point Rd", "Houston", "77055", "Active",
	  "HOUSTON", "Maria Lopez", "COMMERCIAL", "HOU-COMMERCIAL ARREARS", { 12000, 0, 0, 0, 0, 12000 },
	  "Joan Meyer", "joan@sbstorage.example", "713-555-0119", NULL, NULL },
	{ "48958020", "Clear Lake Marina", "2500 NASA Pkwy", "Seabrook", "77586", "Active",
	  "BAY AREA", "Dave Pike", "COMMERCIAL", "BAY-COMMERCIAL", { 64000, 0, 0, 0, 0, 0 },
	  "Sam Ortiz", "sam@clearlakemarina.example", "281-555-0120", NULL, NULL },
};

struct demo_appt {
	int day_offset;      /* days from today */
	int hour, min, duration;
	const char *type, *title, *account, *location;
};
static const struct demo_appt demo_appts[] = {
	{ 0, 11, 30, 30, "Follow Up", "Review Rates for Service Increase", "48958001", "" },
	{ 1, 9, 0, 60, "Site Visit", "Dumpster placement walk-through", "48958002", "415 Main St" },
	{ 3, 14, 0, 45, "Sales Call", "Recycling program proposal", "48958005", "" },
	{ -2, 10, 0, 30, "Follow Up", "Missed pickup follow-up", "48958012", "" },
	{ 6, 8, 30, 90, "Site Visit", "Landscape maintenance estimate", "48958013", "Clubhouse" },
};

static int demo_accounts_load(struct db *db, int64_t *first_contact_of)
{
	for (size_t i = 0; i < sizeof demo_accounts / sizeof demo_accounts[0]; i++) {
		const struct demo_account *d = &demo_accounts[i];
		struct account a = { 0 };
		a.number = (char *)d->number;
		a.name = (char *)d->name;
		a.address1 = (char *)d->addr;
		a.address2 = (char *)"";
		a.city = (char *)d->city;
		a.state = (char *)"TX";
		a.zip = (char *)d->zip;
		a.status = (char *)d->status;
		a.division = (char *)d->division;
		a.account_manager = (char *)d->manager;
		a.class_ = (char *)d->class_;
		a.bill_group = (char *)d->bill_group;
		a.billing_mode = (char *)"Arrears";
		a.billing_cycle = (char *)"Monthly";
		memcpy(a.aging, d->aging, sizeof a.aging);
		if (db_accounts_upsert(db, &a) != 0)
			return -1;
		const char *e1[] = { d->email1 };
		if (db_contacts_upsert(db, a.id, d->contact1, d->phone1, e1, 1, &first_contact_of[i]) != 0)
			return -1;
		if (d->contact2) {
			const char *e2[] = { d->email2 };
			if (db_contacts_upsert(db, a.id, d->contact2, "", e2, 1, NULL) != 0)
				return -1;
		}
	}
	return 0;
}

static int64_t demo_account_index(const char *number)
{
	for (size_t i = 0; i < sizeof demo_accounts / sizeof demo_accounts[0]; i++)
		if (strcmp(demo_accounts[i].number, number) == 0)
			return (int64_t)i;
	return -1;
}

static int demo_appts_load(struct db *db, int64_t user_id, const int64_t *first_contact_of)
{
	int64_t have = db_appointments_count_crm(db);
	if (have < 0)
		return -1;
	if (have > 0)
		return 0;   /* already seeded: a second run must not add copies */
	struct local_time now;
	if (tz_from_utc(DEMO_TZ, time(NULL), &now) != 0)
		return -1;
	for (size_t i = 0; i < sizeof demo_appts / sizeof demo_appts[0]; i++) {
		const struct demo_appt *d = &demo_appts[i];
		struct ymd day = ymd_add_days((struct ymd){ now.y, now.m, now.d }, d->day_offset);
		int64_t start, idx = demo_account_index(d->account);
		struct account a;
		if (idx < 0 || tz_to_utc(DEMO_TZ, day.y, day.m, day.d, d->hour, d->min, &start) != 0 ||
		    db_accounts_get_by_number(db, d->account, &a) != 0)
			return -1;
		struct appt_new n = { .assigned_user_id = user_id, .account_id = a.id, .type = d->type,
			.start_at = start, .duration_min = d->duration, .time_zone = DEMO_TZ,
			.location = d->location, .title = d->title, .note = "",
			.contact_ids = &first_contact_of[idx], .n_contacts = 1 };
		account_free(&a);
		int64_t id;
		if (db_appointments_create_crm(db, &n, &id) != 0)
			return -1;
	}
	return 0;
}

int demo_load(struct db *db, FILE *out)
{
	int64_t first_contact_of[sizeof demo_accounts / sizeof demo_accounts[0]];
	int64_t demo_id = 0;
	if (db_begin(db) != 0)
		return -1;
	if (db_company_set(db, "Gulf Coast Waste & Landscape", DEMO_TZ) != 0)
		goto fail;
	for (size_t i = 0; i < sizeof demo_users / sizeof demo_users[0]; i++) {
		struct user u;
		int rc = db_users_get_by_email(db, demo_users[i].email, &u);
		int64_t id = u.id;
		if (rc == 0)
			user_free(&u);
		else if (rc < 0 || db_users_add(db, demo_users[i].name, demo_users[i].email, "demo",
		    demo_users[i].role, DEMO_TZ, &id) != 0)
			goto fail;
		if (i == 0)
			demo_id = id;
	}
	if (demo_accounts_load(db, first_contact_of) != 0 ||
	    demo_appts_load(db, demo_id, first_contact_of) != 0)
		goto fail;
	if (db_commit(db) != 0)
		goto fail;
	fprintf(out, "demo: %zu users (log in as demo@example.com / demo), %zu accounts, "
	    "appointments this month\n", sizeof demo_users / sizeof demo_users[0],
	    sizeof demo_accounts / sizeof demo_accounts[0]);
	return 0;
fail:
	db_rollback(db);
	return -1;
}
