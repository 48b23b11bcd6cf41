/* Schema migrations. Append new ones at the end; never edit one that has shipped.
 * Times are UTC epoch seconds; money is in cents; e-mail addresses are stored trimmed and
 * lower-cased so they compare with '='.
 *
 * Each migration has two texts: SQLite's and PostgreSQL's (struct migration, schema.h). A new
 * migration gives both, the second in PostgreSQL's dialect with the same names and effect
 * (bigint for INTEGER, bytea for BLOB, a plpgsql function for a trigger's body, one ALTER
 * TABLE for SQLite's rebuild of a table; schema_pg.c shows how each SQLite construct is
 * written there), and tests/integration/test_schema_pg then finds the two schemas equal. Migrations 1 to 23 are one PostgreSQL text, schema_pg.c's,
 * carried by the first; the others' are "". */
#include "core/schema.h"
#include "core/schema_pg.h"

static const char m1_base[] =
"CREATE TABLE company ("
"  id INTEGER PRIMARY KEY CHECK (id = 1),"
"  name TEXT NOT NULL,"
"  time_zone TEXT NOT NULL DEFAULT 'America/Chicago');"

"CREATE TABLE users ("
"  id INTEGER PRIMARY KEY,"
"  name TEXT NOT NULL,"
"  email TEXT NOT NULL UNIQUE,"
"  password_hash TEXT NOT NULL,"
"  role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('admin', 'user')),"
"  title TEXT NOT NULL DEFAULT '',"
"  time_zone TEXT NOT NULL DEFAULT 'America/Chicago',"
/* Calendar privacy belongs to the user's calendar, so it outlives a link being replaced. */
"  calendar_privacy TEXT NOT NULL DEFAULT 'public' CHECK (calendar_privacy IN ('public', 'private')),"
"  feed_secret TEXT UNIQUE,"
"  created_at INTEGER NOT NULL);"

"CREATE TABLE calendar_shares ("
"  owner_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
"  viewer_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
"  PRIMARY KEY (owner_id, viewer_id));"

"CREATE TABLE accounts ("
"  id INTEGER PRIMARY KEY,"
"  number TEXT NOT NULL UNIQUE,"
"  name TEXT NOT NULL,"
"  address1 TEXT NOT NULL DEFAULT '',"
"  address2 TEXT NOT NULL DEFAULT '',"
"  city TEXT NOT NULL DEFAULT '',"
"  state TEXT NOT NULL DEFAULT '',"
"  zip TEXT NOT NULL DEFAULT '',"
"  status TEXT NOT NULL DEFAULT 'Active',"
"  division TEXT NOT NULL DEFAULT '',"
"  account_manager TEXT NOT NULL DEFAULT '',"
"  class TEXT NOT NULL DEFAULT '',"
"  bill_group TEXT NOT NULL DEFAULT '',"
"  billing_mode TEXT NOT NULL DEFAULT 'Arrears',"
"  billing_cycle TEXT NOT NULL DEFAULT 'Monthly',"
"  billed_thru TEXT,"                       /* YYYY-MM-DD or NULL (shown as None) */
"  aging_current INTEGER NOT NULL DEFAULT 0,"
"  aging_1_30 INTEGER NOT NULL DEFAULT 0,"
"  aging_31_60 INTEGER NOT NULL DEFAULT 0,"
"  aging_61_90 INTEGER NOT NULL DEFAULT 0,"
"  aging_91_120 INTEGER NOT NULL DEFAULT 0,"
"  aging_120_plus INTEGER NOT NULL DEFAULT 0);"

"CREATE TABLE contacts ("
"  id INTEGER PRIMARY KEY,"
"  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
"  name TEXT NOT NULL,"
"  phone TEXT NOT NULL DEFAULT '',"
"  UNIQUE (account_id, name));"

"CREATE TABLE contact_emails ("
"  contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,"
"  email TEXT NOT NULL,"
"  PRIMARY KEY (contact_id, email));"
"CREATE INDEX contact_emails_by_email ON contact_emails(email);"

/* One CRM user links one mailbox; a mailbox is linked by one CRM user only. */
"CREATE TABLE links ("
"  id INTEGER PRIMARY KEY,"
"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
"  provider TEXT NOT NULL CHECK (provider IN ('google', 'microsoft', 'nylas', 'imap')),"
"  address TEXT NOT NULL,"
"  sync_email INTEGER NOT NULL DEFAULT 1,"
"  sync_calendar INTEGER NOT NULL DEFAULT 1,"
"  sync_folder INTEGER NOT NULL DEFAULT 0,"
"  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'relink', 'unlinked')),"
"  settings TEXT NOT NULL DEFAULT '{}',"    /* JSON: servers, calendar URL, grant id */
"  secret BLOB,"                            /* encrypted JSON: password or tokens */
"  backfill_days INTEGER NOT NULL DEFAULT 0,"
"  linked_at INTEGER NOT NULL,"
"  last_attempt_at INTEGER,"
"  last_success_at INTEGER,"
"  last_error TEXT,"
"  last_error_at INTEGER,"
"  failures INTEGER NOT NULL DEFAULT 0,"    /* consecutive failed passes, for back-off */
"  next_due_at INTEGER NOT NULL DEFAULT 0,"
"  wake INTEGER NOT NULL DEFAULT 0,"        /* set by the web app or crmctl: sync at once */
"  items_imported INTEGER NOT NULL DEFAULT 0,"
"  cursor_refused_at INTEGER);"
"CREATE UNIQUE INDEX links_one_per_address ON links(address) WHERE status != 'unlinked';"
"CREATE UNIQUE INDEX links_one_per_user ON links(user_id) WHERE status != 'unlinked';"
"CREATE INDEX links_due ON links(status, next_due_at);"

"CREATE TABLE sync_cursors ("
"  link_id INTEGER NOT NULL REFERENCES links(id) ON DELETE CASCADE,"
"  stream TEXT NOT NULL,"                   /* 'mail', 'events', 'folder' */
"  cursor TEXT NOT NULL,"
"  updated_at INTEGER NOT NULL,"
"  PRIMARY KEY (link_id, stream));"

/* One meeting is one appointment: keyed by iCalendar UID (+ occurrence), whoever saw it. */
"CREATE TABLE appointments ("
"  id INTEGER PRIMARY KEY,"
"  source TEXT NOT NULL CHECK (source IN ('crm', 'imported')),"
"  ical_uid TEXT NOT NULL,"
"  recurrence_id TEXT NOT NULL DEFAULT '',"  /* '' for a single event or a CRM one */
"  type TEXT NOT NULL DEFAULT 'Imported',"
"  assigned_user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,"
"  account_id INTEGER REFERENCES accounts(id) ON DELETE SET NULL,"
"  start_at INTEGER NOT NULL,"
"  duration_min INTEGER NOT NULL DEFAULT 30,"
"  all_day INTEGER NOT NULL DEFAULT 0,"
"  time_zone TEXT,"
"  location TEXT NOT NULL DEFAULT '',"
"  title TEXT NOT NULL DEFAULT '',"
"  description TEXT NOT NULL DEFAULT '',"
"  note TEXT NOT NULL DEFAULT '',"
"  completion_note TEXT NOT NULL DEFAULT '',"
"  complete INTEGER NOT NULL DEFAULT 0,"
"  cancelled INTEGER NOT NULL DEFAULT 0,"
"  hidden INTEGER NOT NULL DEFAULT 0,"       /* deleted in the CRM: never shown again */
"  regarding TEXT NOT NULL DEFAULT '',"
"  organizer_email TEXT,"
"  provider_updated_at INTEGER,"
"  created_at INTEGER NOT NULL,"
"  updated_at INTEGER NOT NULL,"
"  UNIQUE (ical_uid, recurrence_id));"
"CREATE INDEX appointments_by_start ON appointments(start_at);"
"CREATE INDEX appointments_by_user_start ON appointments(assigned_user_id, start_at);"
"CREATE INDEX appointments_by_account_start ON appointments(account_id, start_at);"

/* Which users have the appointment on their calendar, and under which provider id. */
"CREATE TABLE appointment_users ("
"  appointment_id INTEGER NOT NULL REFERENCES appointments(id) ON DELETE CASCADE,"
"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
"  link_id INTEGER REFERENCES links(id) ON DELETE SET NULL,"
"  provider_id TEXT,"                        /* the event's id at the provider (series id) */
"  etag TEXT,"
"  PRIMARY KEY (appointment_id, user_id));"
"CREATE UNIQUE INDEX appointment_users_by_provider ON appointment_users(link_id, provider_id, appointment_id);"
"CREATE INDEX appointment_users_by_user ON appointment_users(user_id, appointment_id);"

"CREATE TABLE appointment_attendees ("
"  appointment_id INTEGER NOT NULL REFERENCES appointments(id) ON DELETE CASCADE,"
"  email TEXT NOT NULL,"
"  name TEXT NOT NULL DEFAULT '',"
"  role TEXT NOT NULL DEFAULT 'attendee' CHECK (role IN ('organizer', 'attendee')),"
"  partstat TEXT,"
"  PRIMARY KEY (appointment_id, email));"

"CREATE TABLE appointment_contacts ("
"  appointment_id INTEGER NOT NULL REFERENCES appointments(id) ON DELETE CASCADE,"
"  contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,"
"  PRIMARY KEY (appointment_id, contact_id));"
"CREATE INDEX appointment_contacts_by_contact ON appointment_contacts(contact_id);"

/* A thread shows on the day it started; its later replies join it. */
"CREATE TABLE threads ("
"  id INTEGER PRIMARY KEY,"
"  subject TEXT NOT NULL DEFAULT '',"
"  started_at INTEGER NOT NULL,"
"  last_at INTEGER NOT NULL,"
"  regarding TEXT NOT NULL DEFAULT '');"
"CREATE INDEX threads_by_start ON threads(started_at);"

/* One mail is one message, keyed by Message-ID, whichever mailboxes saw it. */
"CREATE TABLE messages ("
"  id INTEGER PRIMARY KEY,"
"  thread_id INTEGER NOT NULL REFERENCES threads(id) ON DELETE CASCADE,"
"  message_id TEXT NOT NULL UNIQUE,"
"  in_reply_to TEXT,"
"  refs TEXT NOT NULL DEFAULT '',"           /* space-separated Message-IDs */
"  subject TEXT NOT NULL DEFAULT '',"
"  from_email TEXT NOT NULL DEFAULT '',"
"  from_name TEXT NOT NULL DEFAULT '',"
"  to_list TEXT NOT NULL DEFAULT '',"        /* 'Name <a@b>, ...' as shown */
"  cc_list TEXT NOT NULL DEFAULT '',"
"  sent_at INTEGER NOT NULL,"
"  body_text TEXT NOT NULL DEFAULT '',"
"  created_at INTEGER NOT NULL);"
"CREATE INDEX messages_by_thread ON messages(thread_id, sent_at);"

"CREATE TABLE message_users ("
"  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
"  link_id INTEGER REFERENCES links(id) ON DELETE SET NULL,"
"  provider_id TEXT,"
"  direction TEXT NOT NULL CHECK (direction IN ('received', 'sent')),"
"  PRIMARY KEY (message_id, user_id));"
"CREATE UNIQUE INDEX message_users_by_provider ON message_users(link_id, provider_id);"
"CREATE INDEX message_users_by_user ON message_users(user_id, message_id);"

"CREATE TABLE message_contacts ("
"  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
"  contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,"
"  PRIMARY KEY (message_id, contact_id));"
"CREATE INDEX message_contacts_by_contact ON message_contacts(contact_id);"

/* Messages dragged into the CRM folder that match no contact, until assigned or discarded. */
"CREATE TABLE unmatched_messages ("
"  id INTEGER PRIMARY KEY,"
"  link_id INTEGER NOT NULL REFERENCES links(id) ON DELETE CASCADE,"
"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
"  provider_id TEXT NOT NULL,"
"  message_id TEXT NOT NULL,"
"  subject TEXT NOT NULL DEFAULT '',"
"  from_email TEXT NOT NULL DEFAULT '',"
"  from_name TEXT NOT NULL DEFAULT '',"
"  to_list TEXT NOT NULL DEFAULT '',"
"  cc_list TEXT NOT NULL DEFAULT '',"
"  sent_at INTEGER NOT NULL,"
"  body_text TEXT NOT NULL DEFAULT '',"
"  in_reply_to TEXT,"
"  refs TEXT NOT NULL DEFAULT '',"
"  created_at INTEGER NOT NULL,"
"  UNIQUE (link_id, provider_id));"

/* CRM-side changes waiting to go out through the sync daemon. */
"CREATE TABLE outbox ("
"  id INTEGER PRIMARY KEY,"
"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
"  link_id INTEGER REFERENCES links(id) ON DELETE SET NULL,"
"  kind TEXT NOT NULL CHECK (kind IN ('event_create', 'event_update', 'event_delete', 'mail_send', 'folder_move')),"
"  appointment_id INTEGER REFERENCES appointments(id) ON DELETE SET NULL,"
"  message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,"
"  payload TEXT NOT NULL DEFAULT '{}',"
"  idempotency_key TEXT NOT NULL UNIQUE,"
"  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),"
"  attempts INTEGER NOT NULL DEFAULT 0,"
"  next_attempt_at INTEGER NOT NULL DEFAULT 0,"
"  last_error TEXT,"
"  created_at INTEGER NOT NULL,"
"  updated_at INTEGER NOT NULL);"
"CREATE INDEX outbox_due ON outbox(state, next_attempt_at);"

"CREATE TABLE sessions ("
"  token_hash TEXT PRIMARY KEY,"             /* hash of the cookie value */
"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
"  csrf TEXT NOT NULL,"
"  created_at INTEGER NOT NULL,"
"  expires_at INTEGER NOT NULL);"
"CREATE INDEX sessions_by_expiry ON sessions(expires_at);"

"CREATE TABLE login_failures ("
"  key TEXT PRIMARY KEY,"                    /* lower-cased e-mail or client address */
"  failures INTEGER NOT NULL,"
"  window_start INTEGER NOT NULL,"
"  locked_until INTEGER NOT NULL DEFAULT 0);"

"CREATE TABLE oauth_states ("
"  state TEXT PRIMARY KEY,"
"  session_hash TEXT NOT NULL,"
"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
"  provider TEXT NOT NULL,"
"  code_verifier TEXT NOT NULL,"
"  purpose TEXT NOT NULL DEFAULT 'link' CHECK (purpose IN ('link', 'resync')),"
"  created_at INTEGER NOT NULL,"
"  expires_at INTEGER NOT NULL);"

"CREATE TABLE push_channels ("
"  id INTEGER PRIMARY KEY,"
"  link_id INTEGER NOT NULL REFERENCES links(id) ON DELETE CASCADE,"
"  stream TEXT NOT NULL,"
"  channel_id TEXT NOT NULL UNIQUE,"         /* Google channel id, Graph subscription id */
"  resource_id TEXT,"
"  token TEXT NOT NULL,"                     /* channel token / clientState to verify callers */
"  expires_at INTEGER NOT NULL);";

/* The outbox can also queue the CRM folder set-up, and marks the item a sync daemon is working
 * on (lease_until) so a change queued meanwhile is not folded into a push already in flight. */
static const char m2_outbox_lease[] =
"CREATE TABLE outbox_v2 ("
"  id INTEGER PRIMARY KEY,"
"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
"  link_id INTEGER REFERENCES links(id) ON DELETE SET NULL,"
"  kind TEXT NOT NULL CHECK (kind IN ('event_create', 'event_update', 'event_delete', 'mail_send',"
"   'folder_setup', 'folder_move')),"
"  appointment_id INTEGER REFERENCES appointments(id) ON DELETE SET NULL,"
"  message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,"
"  payload TEXT NOT NULL DEFAULT '{}',"
"  idempotency_key TEXT NOT NULL UNIQUE,"
"  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),"
"  attempts INTEGER NOT NULL DEFAULT 0,"
"  next_attempt_at INTEGER NOT NULL DEFAULT 0,"
"  lease_until INTEGER NOT NULL DEFAULT 0,"
"  last_error TEXT,"
"  created_at INTEGER NOT NULL,"
"  updated_at INTEGER NOT NULL);"
"INSERT INTO outbox_v2 (id, user_id, link_id, kind, appointment_id, message_id, payload,"
" idempotency_key, state, attempts, next_attempt_at, last_error, created_at, updated_at)"
" SELECT id, user_id, link_id, kind, appointment_id, message_id, payload, idempotency_key, state,"
" attempts, next_attempt_at, last_error, created_at, updated_at FROM outbox;"
"DROP TABLE outbox;"
"ALTER TABLE outbox_v2 RENAME TO outbox;"
"CREATE INDEX outbox_due ON outbox(state, next_attempt_at);"
"CREATE INDEX outbox_by_appointment ON outbox(appointment_id);"
"CREATE INDEX outbox_by_message ON outbox(message_id);";

/* Discarded Unmatched messages are remembered by Message-ID, so a later pass of the CRM folder
 * does not bring them back. Webhook channels are one per link and stream, note when they were
 * made or renewed (to renew before they run out), and go when the link stops being active. */
static const char m3_discards_channels[] =
"CREATE TABLE unmatched_discards ("
"  link_id INTEGER NOT NULL REFERENCES links(id) ON DELETE CASCADE,"
"  message_id TEXT NOT NULL,"
"  discarded_at INTEGER NOT NULL,"
"  PRIMARY KEY (link_id, message_id));"
"DELETE FROM push_channels WHERE id NOT IN (SELECT max(id) FROM push_channels"
" GROUP BY link_id, stream);"
"CREATE UNIQUE INDEX push_channels_by_stream ON push_channels(link_id, stream);"
"ALTER TABLE push_channels ADD COLUMN renewed_at INTEGER NOT NULL DEFAULT 0;"
"CREATE TRIGGER push_channels_end_with_link AFTER UPDATE OF status ON links"
" WHEN NEW.status != 'active' BEGIN"
"  DELETE FROM push_channels WHERE link_id = NEW.id;"
" END;";

/* Thread lookup by an index instead of a scan of every stored message: one row per Message-ID a
 * message is known by or names (its own, its In-Reply-To and each of its References), so "who
 * is or names this id" is one index probe at any history size. Existing rows are backfilled by
 * splitting refs on its single spaces, the way the sync writes them. */
static const char m4_message_refs[] =
"CREATE TABLE message_refs ("
"  ref_id TEXT NOT NULL,"
"  message_row INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
"  PRIMARY KEY (ref_id, message_row));"
"CREATE INDEX message_refs_by_message ON message_refs(message_row);"
"INSERT INTO message_refs (ref_id, message_row) SELECT message_id, id FROM messages"
" WHERE message_id != '' ON CONFLICT DO NOTHING;"
"INSERT INTO message_refs (ref_id, message_row) SELECT in_reply_to, id FROM messages"
" WHERE in_reply_to IS NOT NULL AND in_reply_to != '' ON CONFLICT DO NOTHING;"
"WITH RECURSIVE split(row, rest, tok) AS ("
"  SELECT id, refs || ' ', '' FROM messages WHERE refs != ''"
"  UNION ALL"
"  SELECT row, substr(rest, instr(rest, ' ') + 1), substr(rest, 1, instr(rest, ' ') - 1)"
"  FROM split WHERE rest != '')"
"INSERT INTO message_refs (ref_id, message_row) SELECT tok, row FROM split WHERE tok != ''"
" ON CONFLICT DO NOTHING;";

/* A provider's Retry-After holds the link until it ends, whatever asks for a pass meanwhile
 * (its poll, Sync now, a webhook): the engine keeps those wake-ups waiting until then. */
static const char m5_rate_limited_until[] =
"ALTER TABLE links ADD COLUMN rate_limited_until INTEGER NOT NULL DEFAULT 0;";

/* Indexes that tests/unit/test_query_plans.c showed missing on the page paths. */
static const char m6_page_indexes[] =
"CREATE INDEX unmatched_messages_by_user ON unmatched_messages(user_id, sent_at);";

/* The outbox is looked up by user: the engine starts from the active links, so items of users
 * who have none are not visited until they link. */
static const char m7_outbox_by_user[] =
"CREATE INDEX outbox_by_user ON outbox(user_id, state, next_attempt_at);";

/* Each user's copy of a mail or a meeting can be deleted (hidden) by that user alone; a later
 * sync updates the copy in place and keeps it hidden. Threads on a calendar sit on the day of
 * the first message the viewer may see, found by its send time. */
static const char m8_copy_hidden[] =
"ALTER TABLE appointment_users ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;"
"ALTER TABLE message_users ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;"
"CREATE INDEX messages_by_sent ON messages(sent_at);";

/* A meeting's other names: every provider id a copy has in a link, with the UID that provider
 * gives the meeting (Graph and Nylas give an event the CRM pushed a UID of their own; Exchange
 * shows another calendar's meeting under a Global Object ID), so the same meeting seen in a
 * colleague's calendar under that UID joins the one appointment. A copy from a mailbox the
 * meeting does not invite is kept here only (left_out = 1), and joins when the organizer's copy
 * invites that user. */
static const char m9_appointment_aliases[] =
"CREATE TABLE appointment_aliases ("
"  provider TEXT NOT NULL,"
"  link_id INTEGER NOT NULL REFERENCES links(id) ON DELETE CASCADE,"
"  provider_id TEXT NOT NULL,"
"  appointment_id INTEGER NOT NULL REFERENCES appointments(id) ON DELETE CASCADE,"
"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
"  ical_uid TEXT NOT NULL,"                   /* the UID as that provider names it (decoded) */
"  left_out INTEGER NOT NULL DEFAULT 0,"
"  PRIMARY KEY (link_id, provider_id, appointment_id));"
"CREATE INDEX appointment_aliases_by_uid ON appointment_aliases(ical_uid);"
"CREATE INDEX appointment_aliases_by_appointment ON appointment_aliases(appointment_id);"
"INSERT INTO appointment_aliases (provider, link_id, provider_id, appointment_id, user_id,"
" ical_uid) SELECT l.provider, u.link_id, u.provider_id, u.appointment_id, u.user_id, a.ical_uid"
" FROM appointment_users u JOIN links l ON l.id = u.link_id"
" JOIN appointments a ON a.id = u.appointment_id WHERE u.provider_id IS NOT NULL;";

/* Tests of an IMAP + CalDAV login wait here for crm-sync, so the web app never talks to a mail
 * server itself: the page queues one (the app password sealed like a link's secret), crm-sync
 * runs it on a worker and writes the outcome, the page polls it. The secret is dropped when the
 * test fails, when its link is saved, or when the row expires; rows are kept an hour for the
 * per-user rate limit and a reload of the result. */
static const char m10_link_probes[] =
"CREATE TABLE link_probes ("
"  id INTEGER PRIMARY KEY,"
"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
"  purpose TEXT NOT NULL CHECK (purpose IN ('link', 'resync')),"
"  address TEXT NOT NULL,"
"  settings TEXT NOT NULL,"
"  secret BLOB,"
"  state TEXT NOT NULL DEFAULT 'pending'"
"    CHECK (state IN ('pending', 'running', 'ok', 'failed', 'saved')),"
"  error TEXT,"
"  created_at INTEGER NOT NULL,"
"  expires_at INTEGER NOT NULL,"
"  finished_at INTEGER);"
"CREATE INDEX link_probes_by_state ON link_probes(state, id);"
"CREATE INDEX link_probes_by_user ON link_probes(user_id, created_at);"
"CREATE INDEX link_probes_by_expiry ON link_probes(expires_at);";

/* All-day items are dates: start_at is 00:00 UTC of the first date, duration whole days (end
 * exclusive). Rows stored at a local midnight (the event's or its user's zone) become their
 * date (crm_all_day_date, registered by db.c); all_day is 0 or 1, and the calendars' by-date
 * term finds all-day rows through their own index. */
static const char m11_all_day_dates[] =
"UPDATE appointments SET all_day = 1 WHERE all_day NOT IN (0, 1);"
"UPDATE appointments SET start_at = crm_all_day_date(start_at, time_zone,"
" (SELECT u.time_zone FROM users u WHERE u.id = appointments.assigned_user_id),"
" (SELECT u.time_zone FROM appointment_users au JOIN users u ON u.id = au.user_id"
"  WHERE au.appointment_id = appointments.id ORDER BY au.user_id LIMIT 1),"
" (SELECT time_zone FROM company WHERE id = 1))"
" WHERE all_day = 1 AND start_at % 86400 != 0;"
"UPDATE appointments SET duration_min = max(1, (duration_min + 1439) / 1440) * 1440"
" WHERE all_day = 1 AND (duration_min % 1440 != 0 OR duration_min <= 0);"
"CREATE INDEX appointments_all_day_by_start ON appointments(start_at) WHERE all_day = 1;";

/* A contact's messages, found by contact without a by-contact index written on every store: an
 * index keyed by contact gets each page's new rows in as many leaves as the page has contacts
 * (one leaf per contact once the history is large), so at a million stored messages it was most
 * of the pages a store commit wrote. contact_messages holds (contact, message) sorted by contact
 * up to message_id upto; message_contacts rows above upto (the last few thousand stored, found
 * through its primary key by message_id) are the rest, and the store moves them in, sorted, once
 * they are many (db_sync_contact_index_merge): each contact's leaf is written once per batch,
 * not once per page. Rows of a message at or below upto (a contact added to an older message)
 * and deletions (cascades from messages and contacts included) reach contact_messages through
 * the triggers. */
static const char m12_contact_messages[] =
/* message_contacts, rebuilt without its by-contact index and the foreign key that needed it
 * (a contact's rows go with it through contacts_gone below); keyed by message, so a page's new
 * rows land together at the end. */
"CREATE TABLE message_contacts_v12 ("
"  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
"  contact_id INTEGER NOT NULL,"
"  PRIMARY KEY (message_id, contact_id)) WITHOUT ROWID;"
"INSERT INTO message_contacts_v12 (message_id, contact_id) SELECT message_id, contact_id"
" FROM message_contacts ORDER BY message_id, contact_id;"
"DROP TABLE message_contacts;"
"ALTER TABLE message_contacts_v12 RENAME TO message_contacts;"
"CREATE TABLE contact_messages ("
"  contact_id INTEGER NOT NULL,"
"  message_id INTEGER NOT NULL,"
"  PRIMARY KEY (contact_id, message_id)) WITHOUT ROWID;"
"CREATE TABLE contact_messages_mark ("
"  id INTEGER PRIMARY KEY CHECK (id = 1),"
"  upto INTEGER NOT NULL);"
"INSERT INTO contact_messages (contact_id, message_id) SELECT contact_id, message_id"
" FROM message_contacts ORDER BY contact_id, message_id;"
"INSERT INTO contact_messages_mark (id, upto)"
" VALUES (1, (SELECT coalesce(max(message_id), 0) FROM message_contacts));"
"CREATE TRIGGER message_contacts_older AFTER INSERT ON message_contacts"
" WHEN NEW.message_id <= (SELECT upto FROM contact_messages_mark WHERE id = 1) BEGIN"
"  INSERT OR IGNORE INTO contact_messages (contact_id, message_id)"
"   VALUES (NEW.contact_id, NEW.message_id);"
" END;"
"CREATE TRIGGER message_contacts_gone AFTER DELETE ON message_contacts BEGIN"
"  DELETE FROM contact_messages WHERE contact_id = OLD.contact_id"
"   AND message_id = OLD.message_id;"
" END;"
"CREATE TRIGGER contacts_gone AFTER DELETE ON contacts BEGIN"
"  DELETE FROM message_contacts WHERE contact_id = OLD.id AND message_id IN"
"   (SELECT message_id FROM contact_messages WHERE contact_id = OLD.id UNION ALL"
"    SELECT message_id FROM message_contacts WHERE message_id >"
"     (SELECT upto FROM contact_messages_mark WHERE id = 1) AND contact_id = OLD.id);"
"  DELETE FROM contact_messages WHERE contact_id = OLD.id;"
" END;";

/* A new password ends every session of its user: that delete finds them by user. Broken items
 * a pass skipped are counted per link for Sync settings. */
static const char m13_sessions_by_user[] =
"CREATE INDEX sessions_by_user ON sessions(user_id);"
"ALTER TABLE links ADD COLUMN items_skipped INTEGER NOT NULL DEFAULT 0;";

/* Full-text search (db_search.c): one FTS5 index per kind, folding case and accents. Mail,
 * appointments and accounts index their own rows (external content: the text is read back from
 * the row, not stored twice); contacts index a row of their own, as a contact's e-mails live in
 * contact_emails. Triggers keep every index current, so whatever writes the rows (the sync
 * store, the pages, imports) needs no change; an update re-indexes only when an indexed column
 * changes. Existing rows are indexed here (by plain INSERTs rather than FTS5's 'rebuild', which
 * would leave a prepared full scan of each table cached on the migrating connection). */
static const char m14_search[] =
"CREATE VIRTUAL TABLE messages_fts USING fts5(subject, body_text, from_name, from_email,"
" to_list, cc_list, content='messages', content_rowid='id',"
" tokenize='unicode61 remove_diacritics 2');"
"INSERT INTO messages_fts (rowid, subject, body_text, from_name, from_email, to_list, cc_list)"
" SELECT id, subject, body_text, from_name, from_email, to_list, cc_list FROM messages;"
"CREATE TRIGGER messages_fts_in AFTER INSERT ON messages BEGIN"
"  INSERT INTO messages_fts (rowid, subject, body_text, from_name, from_email, to_list, cc_list)"
"   VALUES (NEW.id, NEW.subject, NEW.body_text, NEW.from_name, NEW.from_email, NEW.to_list,"
"   NEW.cc_list);"
" END;"
"CREATE TRIGGER messages_fts_out AFTER DELETE ON messages BEGIN"
"  INSERT INTO messages_fts (messages_fts, rowid, subject, body_text, from_name, from_email,"
"   to_list, cc_list) VALUES ('delete', OLD.id, OLD.subject, OLD.body_text, OLD.from_name,"
"   OLD.from_email, OLD.to_list, OLD.cc_list);"
" END;"
"CREATE TRIGGER messages_fts_up AFTER UPDATE OF subject, body_text, from_name, from_email,"
" to_list, cc_list ON messages BEGIN"
"  INSERT INTO messages_fts (messages_fts, rowid, subject, body_text, from_name, from_email,"
"   to_list, cc_list) VALUES ('delete', OLD.id, OLD.subject, OLD.body_text, OLD.from_name,"
"   OLD.from_email, OLD.to_list, OLD.cc_list);"
"  INSERT INTO messages_fts (rowid, subject, body_text, from_name, from_email, to_list, cc_list)"
"   VALUES (NEW.id, NEW.subject, NEW.body_text, NEW.from_name, NEW.from_email, NEW.to_list,"
"   NEW.cc_list);"
" END;"
"CREATE VIRTUAL TABLE appointments_fts USING fts5(title, location, note, content='appointments',"
" content_rowid='id', tokenize='unicode61 remove_diacritics 2');"
"INSERT INTO appointments_fts (rowid, title, location, note)"
" SELECT id, title, location, note FROM appointments;"
"CREATE TRIGGER appointments_fts_in AFTER INSERT ON appointments BEGIN"
"  INSERT INTO appointments_fts (rowid, title, location, note)"
"   VALUES (NEW.id, NEW.title, NEW.location, NEW.note);"
" END;"
"CREATE TRIGGER appointments_fts_out AFTER DELETE ON appointments BEGIN"
"  INSERT INTO appointments_fts (appointments_fts, rowid, title, location, note)"
"   VALUES ('delete', OLD.id, OLD.title, OLD.location, OLD.note);"
" END;"
"CREATE TRIGGER appointments_fts_up AFTER UPDATE OF title, location, note ON appointments BEGIN"
"  INSERT INTO appointments_fts (appointments_fts, rowid, title, location, note)"
"   VALUES ('delete', OLD.id, OLD.title, OLD.location, OLD.note);"
"  INSERT INTO appointments_fts (rowid, title, location, note)"
"   VALUES (NEW.id, NEW.title, NEW.location, NEW.note);"
" END;"
"CREATE VIRTUAL TABLE accounts_fts USING fts5(number, name, address1, address2, city, state, zip,"
" content='accounts', content_rowid='id', tokenize='unicode61 remove_diacritics 2');"
"INSERT INTO accounts_fts (rowid, number, name, address1, address2, city, state, zip)"
" SELECT id, number, name, address1, address2, city, state, zip FROM accounts;"
"CREATE TRIGGER accounts_fts_in AFTER INSERT ON accounts BEGIN"
"  INSERT INTO accounts_fts (rowid, number, name, address1, address2, city, state, zip)"
"   VALUES (NEW.id, NEW.number, NEW.name, NEW.address1, NEW.address2, NEW.city, NEW.state,"
"   NEW.zip);"
" END;"
"CREATE TRIGGER accounts_fts_out AFTER DELETE ON accounts BEGIN"
"  INSERT INTO accounts_fts (accounts_fts, rowid, number, name, address1, address2, city, state,"
"   zip) VALUES ('delete', OLD.id, OLD.number, OLD.name, OLD.address1, OLD.address2, OLD.city,"
"   OLD.state, OLD.zip);"
" END;"
"CREATE TRIGGER accounts_fts_up AFTER UPDATE OF number, name, address1, address2, city, state,"
" zip ON accounts BEGIN"
"  INSERT INTO accounts_fts (accounts_fts, rowid, number, name, address1, address2, city, state,"
"   zip) VALUES ('delete', OLD.id, OLD.number, OLD.name, OLD.address1, OLD.address2, OLD.city,"
"   OLD.state, OLD.zip);"
"  INSERT INTO accounts_fts (rowid, number, name, address1, address2, city, state, zip)"
"   VALUES (NEW.id, NEW.number, NEW.name, NEW.address1, NEW.address2, NEW.city, NEW.state,"
"   NEW.zip);"
" END;"
/* A contact's row: its name, its e-mails (space-separated) and phone, rewritten whole. */
"CREATE VIRTUAL TABLE contacts_fts USING fts5(name, emails, phone,"
" tokenize='unicode61 remove_diacritics 2');"
"INSERT INTO contacts_fts (rowid, name, emails, phone) SELECT c.id, c.name,"
" coalesce((SELECT group_concat(email, ' ') FROM contact_emails WHERE contact_id = c.id), ''),"
" c.phone FROM contacts c;"
"CREATE TRIGGER contacts_fts_in AFTER INSERT ON contacts BEGIN"
"  INSERT INTO contacts_fts (rowid, name, emails, phone) VALUES (NEW.id, NEW.name, '', NEW.phone);"
" END;"
"CREATE TRIGGER contacts_fts_out AFTER DELETE ON contacts BEGIN"
"  DELETE FROM contacts_fts WHERE rowid = OLD.id;"
" END;"
"CREATE TRIGGER contacts_fts_up AFTER UPDATE OF name, phone ON contacts BEGIN"
"  UPDATE contacts_fts SET name = NEW.name, phone = NEW.phone WHERE rowid = NEW.id;"
" END;"
"CREATE TRIGGER contact_emails_fts_in AFTER INSERT ON contact_emails BEGIN"
"  UPDATE contacts_fts SET emails = coalesce((SELECT group_concat(email, ' ') FROM contact_emails"
"   WHERE contact_id = NEW.contact_id), '') WHERE rowid = NEW.contact_id;"
" END;"
"CREATE TRIGGER contact_emails_fts_out AFTER DELETE ON contact_emails BEGIN"
"  UPDATE contacts_fts SET emails = coalesce((SELECT group_concat(email, ' ') FROM contact_emails"
"   WHERE contact_id = OLD.contact_id), '') WHERE rowid = OLD.contact_id;"
" END;"
"CREATE TRIGGER contact_emails_fts_up AFTER UPDATE ON contact_emails BEGIN"
"  UPDATE contacts_fts SET emails = coalesce((SELECT group_concat(email, ' ') FROM contact_emails"
"   WHERE contact_id = NEW.contact_id), '') WHERE rowid = NEW.contact_id;"
" END;";

/* Mail and appointments are searched by whole words (db_search.c): their indexes gain the Porter
 * stemmer, so a word also finds its other forms (invoice, invoices, invoiced). The tables are
 * rebuilt under the same names; the triggers of m14 keep writing to them unchanged. */
static const char m15_search_words[] =
"DROP TABLE messages_fts;"
"CREATE VIRTUAL TABLE messages_fts USING fts5(subject, body_text, from_name, from_email,"
" to_list, cc_list, content='messages', content_rowid='id',"
" tokenize='porter unicode61 remove_diacritics 2');"
"INSERT INTO messages_fts (rowid, subject, body_text, from_name, from_email, to_list, cc_list)"
" SELECT id, subject, body_text, from_name, from_email, to_list, cc_list FROM messages;"
"DROP TABLE appointments_fts;"
"CREATE VIRTUAL TABLE appointments_fts USING fts5(title, location, note, content='appointments',"
" content_rowid='id', tokenize='porter unicode61 remove_diacritics 2');"
"INSERT INTO appointments_fts (rowid, title, location, note)"
" SELECT id, title, location, note FROM appointments;";
/* Items the sync saw and did not import, one row per (link, provider id), so Sync settings and
 * `crmctl why` can say why a mail or event is not in the CRM (db_skipped.c). A re-seen item
 * updates its row; crm-sync keeps [sync] skipped_days of them and at most skipped_max per link.
 * addresses holds every normalized address between single spaces, with one before and after,
 * so " a@b " finds an exact address. */
static const char m16_skipped_items[] =
"CREATE TABLE skipped_items ("
"  id INTEGER PRIMARY KEY,"
"  link_id INTEGER NOT NULL REFERENCES links(id) ON DELETE CASCADE,"
"  provider_id TEXT NOT NULL,"                /* IMAP mailbox/UIDVALIDITY/UID, API id, DAV path */
"  kind TEXT NOT NULL CHECK (kind IN ('mail', 'event')),"
"  item_id TEXT NOT NULL DEFAULT '',"         /* Message-ID or iCalendar UID, when known */
"  item_at INTEGER NOT NULL DEFAULT 0,"       /* the mail's date, the event's start; 0: unknown */
"  from_email TEXT NOT NULL DEFAULT '',"      /* From, or the organizer */
"  addresses TEXT NOT NULL DEFAULT '',"
"  subject TEXT NOT NULL DEFAULT '',"         /* subject, or the event's title */
"  reason TEXT NOT NULL CHECK (reason IN ('no_contact', 'colleagues', 'older', 'duplicate',"
"   'unparsable')),"
"  detail TEXT NOT NULL DEFAULT '',"          /* the parser's message, for 'unparsable' */
"  recorded_at INTEGER NOT NULL,"             /* when last seen and not imported */
"  UNIQUE (link_id, provider_id));"
"CREATE INDEX skipped_items_by_link_date ON skipped_items(link_id, item_at);"
"CREATE INDEX skipped_items_by_link_recorded ON skipped_items(link_id, recorded_at);"
"CREATE INDEX skipped_items_by_recorded ON skipped_items(recorded_at);";

/* Every calendar of a CalDAV link's principal that takes events, found at each pass: whether the
 * user syncs it (new ones are chosen) and its own cursor (sync-token, or ETags; with the series
 * kept for re-expansion), written with the page that reaches it. */
static const char m17_caldav_calendars[] =
"CREATE TABLE link_calendars ("
"  link_id INTEGER NOT NULL REFERENCES links(id) ON DELETE CASCADE,"
"  href TEXT NOT NULL,"                       /* absolute URL of the collection, ending in / */
"  name TEXT,"
"  color TEXT,"
"  chosen INTEGER NOT NULL DEFAULT 1,"
"  cursor TEXT,"                              /* NULL: to sync afresh */
"  PRIMARY KEY (link_id, href));";

/* An IMAP + CalDAV link proves that its mailbox receives mail for its address before it syncs
 * anything: crm-sync sends a one-time code there through the link's SMTP and looks for it in
 * the INBOX, or the user types it (db_link_proof.c). links.proved_at is NULL until then (OAuth
 * links and the links made before: at once), and only a proved link holds its address: an
 * unproved one blocks nobody else from linking it. The code is kept as a hash only. */
static const char m18_link_proof[] =
"ALTER TABLE links ADD COLUMN proved_at INTEGER;"
"UPDATE links SET proved_at = linked_at;"
"DROP INDEX links_one_per_address;"
"CREATE UNIQUE INDEX links_one_per_address ON links(address)"
"  WHERE status != 'unlinked' AND proved_at IS NOT NULL;"
"CREATE TABLE link_proofs ("
"  link_id INTEGER PRIMARY KEY REFERENCES links(id) ON DELETE CASCADE,"
"  code_hash TEXT,"                           /* NULL: no code out (to send, or the send failed) */
"  message_id TEXT,"                          /* of the code mail, so the sync never imports it */
"  sent_at INTEGER,"                          /* when the code went out; NULL: send one */
"  expires_at INTEGER NOT NULL DEFAULT 0,"
"  tries INTEGER NOT NULL DEFAULT 0,"         /* wrong codes typed for this code */
"  tried_at INTEGER NOT NULL DEFAULT 0,"      /* the last wrong one */
"  checked_at INTEGER NOT NULL DEFAULT 0,"    /* the INBOX was last looked at */
"  error TEXT,"                               /* why the last send failed, for the page */
"  proved_at INTEGER);"
"CREATE INDEX link_proofs_by_sent ON link_proofs(sent_at);";

/* skipped_addresses and the triggers that keep it in step with skipped_items (migration 19;
 * migration 22 rebuilds skipped_items and makes them again from this same text). */
#define SKIPPED_ADDRESSES_SQL \
"CREATE TABLE skipped_addresses (" \
"  item_id INTEGER NOT NULL REFERENCES skipped_items(id) ON DELETE CASCADE," \
"  address TEXT NOT NULL," \
"  PRIMARY KEY (item_id, address)) WITHOUT ROWID;" \
"CREATE INDEX skipped_addresses_by_address ON skipped_addresses(address);" \
"INSERT OR IGNORE INTO skipped_addresses (item_id, address) SELECT s.id, j.value" \
" FROM skipped_items s, json_each('[\"' || replace(trim(s.addresses), ' ', '\",\"') || '\"]') j" \
" WHERE trim(s.addresses) != '' AND instr(s.addresses, '\"') = 0" \
"  AND instr(s.addresses, '\\') = 0 AND j.value != '';" \
"CREATE TRIGGER skipped_addresses_in AFTER INSERT ON skipped_items" \
" WHEN trim(NEW.addresses) != '' AND instr(NEW.addresses, '\"') = 0" \
"  AND instr(NEW.addresses, '\\') = 0 BEGIN" \
"  INSERT OR IGNORE INTO skipped_addresses (item_id, address) SELECT NEW.id, value" \
"   FROM json_each('[\"' || replace(trim(NEW.addresses), ' ', '\",\"') || '\"]')" \
"   WHERE value != '';" \
" END;" \
"CREATE TRIGGER skipped_addresses_up AFTER UPDATE OF addresses ON skipped_items BEGIN" \
"  DELETE FROM skipped_addresses WHERE item_id = OLD.id;" \
"  INSERT OR IGNORE INTO skipped_addresses (item_id, address) SELECT NEW.id, value" \
"   FROM json_each('[\"' || replace(trim(NEW.addresses), ' ', '\",\"') || '\"]')" \
"   WHERE trim(NEW.addresses) != '' AND instr(NEW.addresses, '\"') = 0" \
"    AND instr(NEW.addresses, '\\') = 0 AND value != '';" \
" END;" \
"CREATE TRIGGER skipped_addresses_out AFTER DELETE ON skipped_items BEGIN" \
"  DELETE FROM skipped_addresses WHERE item_id = OLD.id;" \
" END;"

/* Re-matching when a contact appears (db_rematch.c): skipped_addresses holds each address of a
 * record, one row each, so a new contact address finds its records by index; triggers keep it
 * in step with skipped_items (an address list holds no '"' or '\', else it is not split). A
 * contact that gets an address queues, in rematch, every record whose reason is no contact and
 * that names it (blocked and colleague-only ones stay), and wakes the link (links.wake, as the
 * web app's Sync now does): crm-sync then fetches each item again by its provider id and stores
 * it as if it had just come. Records past [sync] skipped_days are pruned, so only those within
 * the window are found. rematch_notices counts, per contact, the earlier items so added. */
static const char m19_rematch[] =
SKIPPED_ADDRESSES_SQL
"CREATE TABLE rematch ("
"  link_id INTEGER NOT NULL REFERENCES links(id) ON DELETE CASCADE,"
"  provider_id TEXT NOT NULL,"
"  kind TEXT NOT NULL CHECK (kind IN ('mail', 'event')),"
"  contact_id INTEGER NOT NULL,"              /* whose address brought it back */
"  queued_at INTEGER NOT NULL,"
"  tries INTEGER NOT NULL DEFAULT 0,"         /* fetches that failed for a while (TEMP) */
"  PRIMARY KEY (link_id, provider_id));"
"CREATE INDEX rematch_by_contact ON rematch(contact_id);"
"CREATE TABLE rematch_notices ("
"  contact_id INTEGER PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,"
"  n INTEGER NOT NULL,"                       /* earlier items added for the contact */
"  added_at INTEGER NOT NULL);"               /* when the last of them was */
"CREATE TRIGGER contact_emails_rematch AFTER INSERT ON contact_emails BEGIN"
"  INSERT INTO rematch (link_id, provider_id, kind, contact_id, queued_at)"
"   SELECT s.link_id, s.provider_id, s.kind, NEW.contact_id, CAST(strftime('%s', 'now') AS INTEGER)"
"   FROM skipped_addresses a JOIN skipped_items s ON s.id = a.item_id"
"   WHERE a.address = lower(trim(NEW.email)) AND s.reason = 'no_contact'"
"   ON CONFLICT (link_id, provider_id) DO NOTHING;"
"  UPDATE links SET wake = 1 WHERE status = 'active' AND id IN"
"   (SELECT link_id FROM rematch WHERE contact_id = NEW.contact_id);"
" END;";

/* Several crm-sync daemons on one database: each link is worked by the daemon holding its
 * lease (renewed while it lives, free once expires_at passes; since migration 24 the holder's
 * record carries the expiry for all its leases); each daemon says who and where
 * it is, so the others can count it for a fair share and see on the same host when its process
 * is gone. An outbox item claimed names the daemon that claimed it. */
static const char m20_link_leases[] =
"CREATE TABLE link_leases ("
"  link_id INTEGER PRIMARY KEY REFERENCES links(id) ON DELETE CASCADE,"
"  holder TEXT NOT NULL,"                     /* host:pid:random of the daemon */
"  expires_at INTEGER NOT NULL);"
"CREATE INDEX link_leases_by_holder ON link_leases(holder);"
"CREATE TABLE lease_holders ("
"  holder TEXT PRIMARY KEY,"
"  host TEXT NOT NULL,"
"  pid INTEGER NOT NULL,"
"  seen_at INTEGER NOT NULL);"
"ALTER TABLE outbox ADD COLUMN lease_holder TEXT;";

/* The health view's triggers on skipped_items (a record counts one item skipped in its minute,
 * and a left-out mail moves the link's newest item time); migration 23 rebuilds that table and
 * makes them again from this same text. */
#define SKIPPED_HEALTH_SQL \
"CREATE TRIGGER skipped_items_count AFTER INSERT ON skipped_items BEGIN" \
"  INSERT INTO link_events (link_id, at, kind, n)" \
"   VALUES (NEW.link_id, NEW.recorded_at - NEW.recorded_at % 60, 'skipped', 1)" \
"   ON CONFLICT (link_id, at, kind) DO UPDATE SET n = n + 1;" \
" END;" \
"CREATE TRIGGER skipped_items_newest AFTER INSERT ON skipped_items" \
" WHEN NEW.item_at > 0 AND NEW.kind = 'mail' BEGIN" \
"  UPDATE links SET newest_item_at = min(NEW.item_at, CAST(strftime('%s', 'now') AS INTEGER))" \
"   WHERE id = NEW.link_id AND coalesce(newest_item_at, 0) <" \
"    min(NEW.item_at, CAST(strftime('%s', 'now') AS INTEGER));" \
" END;"

/* The health view's counts and states. link_events counts a link's outcomes per minute: failed
 * passes, 429s, items imported, items left out (a record of an item not imported counts when it
 * is first written, by a trigger, so an item seen again is not counted twice); written in the
 * engine's own transactions, kept two days. newest_item_at is the newest date of an item the
 * link has stored (a mail's date, an event's last change at the provider, a mail it saw and
 * left out), never in the future: a proxy for the newest item at the provider, for the lag.
 * push_state is what the daemon last said of the link's push watch (IDLE), when it changed.
 * relink_notice_at is when the user was mailed that the link needs re-linking ([notify]
 * smtp_url), cleared by a pass that succeeds; links already waiting for re-link are taken as
 * mailed, so an upgrade mails nobody. */
static const char m21_link_health[] =
"CREATE TABLE link_events ("
"  link_id INTEGER NOT NULL REFERENCES links(id) ON DELETE CASCADE,"
"  at INTEGER NOT NULL,"                      /* the minute's start (unix time) */
"  kind TEXT NOT NULL CHECK (kind IN ('error', 'rate_limited', 'imported', 'skipped')),"
"  n INTEGER NOT NULL,"
"  PRIMARY KEY (link_id, at, kind)) WITHOUT ROWID;"
"CREATE INDEX link_events_by_at ON link_events(at);"
"ALTER TABLE links ADD COLUMN newest_item_at INTEGER;"
"ALTER TABLE links ADD COLUMN push_state TEXT;"
"ALTER TABLE links ADD COLUMN push_state_at INTEGER;"
"ALTER TABLE links ADD COLUMN relink_notice_at INTEGER;"
"UPDATE links SET relink_notice_at = CAST(strftime('%s', 'now') AS INTEGER)"
" WHERE status = 'relink';"
"UPDATE links SET newest_item_at = (SELECT max(m.sent_at) FROM message_users u"
" JOIN messages m ON m.id = u.message_id WHERE u.link_id = links.id);"
"CREATE TRIGGER message_users_newest AFTER INSERT ON message_users"
" WHEN NEW.link_id IS NOT NULL BEGIN"
"  UPDATE links SET newest_item_at = (SELECT min(m.sent_at, CAST(strftime('%s', 'now') AS INTEGER))"
"   FROM messages m WHERE m.id = NEW.message_id)"
"   WHERE id = NEW.link_id AND coalesce(newest_item_at, 0) <"
"    (SELECT min(m.sent_at, CAST(strftime('%s', 'now') AS INTEGER)) FROM messages m"
"     WHERE m.id = NEW.message_id);"
" END;"
"CREATE TRIGGER appointment_users_newest AFTER INSERT ON appointment_users"
" WHEN NEW.link_id IS NOT NULL BEGIN"
"  UPDATE links SET newest_item_at = (SELECT min(a.provider_updated_at,"
"   CAST(strftime('%s', 'now') AS INTEGER)) FROM appointments a WHERE a.id = NEW.appointment_id)"
"   WHERE id = NEW.link_id AND coalesce(newest_item_at, 0) < (SELECT min(a.provider_updated_at,"
"    CAST(strftime('%s', 'now') AS INTEGER)) FROM appointments a"
"    WHERE a.id = NEW.appointment_id AND a.provider_updated_at IS NOT NULL);"
" END;"
SKIPPED_HEALTH_SQL;

/* Attachments of stored mail, content-addressed: one blobs row per content (by SHA-256) however
 * many mails carry it; up to 64 KB its bytes are in the row, larger ones in a file of [core]
 * files named by the hash (data NULL), written before the transaction that adds the row. An
 * attachment over [sync] attachment_max_mb, or one that could not be decoded, keeps its name
 * and size without a blob. */
static const char m22_attachments[] =
"CREATE TABLE blobs ("
"  sha256 TEXT PRIMARY KEY,"
"  size INTEGER NOT NULL,"
"  data BLOB,"                                 /* NULL: in the files folder */
"  stored_at INTEGER NOT NULL) WITHOUT ROWID;"
"CREATE TABLE attachments ("
"  id INTEGER PRIMARY KEY,"
"  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
"  blob TEXT REFERENCES blobs(sha256),"         /* NULL when not stored */
"  name TEXT NOT NULL,"
"  media_type TEXT NOT NULL,"
"  size INTEGER NOT NULL,"
"  content_id TEXT,"
"  inline INTEGER NOT NULL DEFAULT 0,"
"  state TEXT NOT NULL CHECK (state IN ('stored', 'too_large', 'unreadable')));"
"CREATE INDEX attachments_by_message ON attachments(message_id);"
"CREATE INDEX attachments_by_blob ON attachments(blob);";

/* Blocklists (core/blocklist.h, db_blocklist.c): a user's own and the company's (made by an
 * admin) addresses and domains whose mail and meetings are never imported. A domain blocks its
 * subdomains too. A copy a block hides has hidden = 2 (a copy its user deleted has 1), so
 * removing the block shows again only what blocks hid. audit_log keeps who did what and when.
 * skipped_items takes the reason 'blocked': the table is made again with the wider CHECK (its
 * rows and ids kept, by way of a TEMP copy so that no page of the file is left free), and
 * skipped_addresses with its triggers as migration 19 made them; the re-match trigger still
 * takes only 'no_contact'. */
static const char m23_blocklist[] =
"CREATE TABLE blocklist ("
"  id INTEGER PRIMARY KEY,"
"  scope TEXT NOT NULL CHECK (scope IN ('user', 'company')),"
"  user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,"   /* NULL for the company's */
"  pattern TEXT NOT NULL,"                    /* lower-case address or domain */
"  kind TEXT NOT NULL CHECK (kind IN ('address', 'domain')),"
"  created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,"
"  created_at INTEGER NOT NULL,"
"  CHECK ((scope = 'user') = (user_id IS NOT NULL)));"
"CREATE UNIQUE INDEX blocklist_one ON blocklist(scope, coalesce(user_id, 0), pattern);"
"CREATE INDEX blocklist_by_user ON blocklist(user_id);"
"CREATE TABLE audit_log ("
"  id INTEGER PRIMARY KEY,"
"  at INTEGER NOT NULL,"
"  actor_user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,"   /* NULL: crmctl */
"  action TEXT NOT NULL,"                     /* 'block_add', 'block_remove' */
"  detail TEXT NOT NULL DEFAULT '');"
"CREATE INDEX audit_log_by_at ON audit_log(at);"
"CREATE TEMP TABLE skipped_items_kept AS SELECT * FROM skipped_items;"
"DROP TABLE skipped_addresses;"
"DROP TABLE skipped_items;"
"CREATE TABLE skipped_items ("
"  id INTEGER PRIMARY KEY,"
"  link_id INTEGER NOT NULL REFERENCES links(id) ON DELETE CASCADE,"
"  provider_id TEXT NOT NULL,"
"  kind TEXT NOT NULL CHECK (kind IN ('mail', 'event')),"
"  item_id TEXT NOT NULL DEFAULT '',"
"  item_at INTEGER NOT NULL DEFAULT 0,"
"  from_email TEXT NOT NULL DEFAULT '',"
"  addresses TEXT NOT NULL DEFAULT '',"
"  subject TEXT NOT NULL DEFAULT '',"
"  reason TEXT NOT NULL CHECK (reason IN ('no_contact', 'colleagues', 'older', 'duplicate',"
"   'unparsable', 'blocked')),"
"  detail TEXT NOT NULL DEFAULT '',"
"  recorded_at INTEGER NOT NULL,"
"  UNIQUE (link_id, provider_id));"
"INSERT INTO skipped_items (id, link_id, provider_id, kind, item_id, item_at, from_email,"
" addresses, subject, reason, detail, recorded_at) SELECT id, link_id, provider_id, kind,"
" item_id, item_at, from_email, addresses, subject, reason, detail, recorded_at"
" FROM skipped_items_kept;"
"DROP TABLE skipped_items_kept;"
"CREATE INDEX skipped_items_by_link_date ON skipped_items(link_id, item_at);"
"CREATE INDEX skipped_items_by_link_recorded ON skipped_items(link_id, recorded_at);"
"CREATE INDEX skipped_items_by_recorded ON skipped_items(recorded_at);"
SKIPPED_ADDRESSES_SQL SKIPPED_HEALTH_SQL;

/* outbox rows by link: the foreign key's ON DELETE SET NULL (a link deleted with its user) and
 * the checks SQLite plans for an INSERT ... RETURNING into links would scan the outbox. */
static const char m24_outbox_by_link[] = "CREATE INDEX outbox_by_link ON outbox(link_id);";

/* A lease lasts while its holder's record does: the record says until when (seen_at +
 * lease_s, written at every tick), so a daemon renews one row, not one per link it holds, and
 * every lease of a daemon that stopped runs out with its record. link_leases.expires_at keeps
 * the claim's first term and is no longer read. A record from before counts as it did, for
 * the default lease_s. */
static const char m25_holder_expiry[] =
"ALTER TABLE lease_holders ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;"
"UPDATE lease_holders SET expires_at = seen_at + 30;";
static const char m25_holder_expiry_pg[] =
"ALTER TABLE lease_holders ADD COLUMN expires_at bigint NOT NULL DEFAULT 0;"
"UPDATE lease_holders SET expires_at = seen_at + 30;";

/* PostgreSQL: a commit that changed rows is told to the other connections (NOTIFY crm_change,
 * once per transaction), which tells the sync daemons of a wake-up, a new link or contact, and
 * the web processes that a cached page may be stale: what SQLite's data_version tells. A
 * statement trigger on every table; a migration that adds a table gives it one too, named
 * <table>_told, as below. Nothing on SQLite. */
static const char m26_changes_told_pg[] =
"CREATE FUNCTION crm_told() RETURNS trigger LANGUAGE plpgsql AS $$"
"BEGIN PERFORM pg_notify('crm_change', ''); RETURN NULL; END$$;"
"DO $$DECLARE t text; BEGIN"
"  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
"   AND tablename != 'schema_version' LOOP"
"    EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I"
" FOR EACH STATEMENT EXECUTE FUNCTION crm_told()', t || '_told', t);"
"  END LOOP;"
"END$$;";

const struct migration schema_migrations[] = {
	{ "base schema", m1_base, schema_pg_m23 },
	{ "outbox: folder set-up and leases", m2_outbox_lease, "" },
	{ "unmatched discards; one renewable push channel per link and stream",
	  m3_discards_channels, "" },
	{ "message_refs: indexed thread lookup", m4_message_refs, "" },
	{ "links: rate_limited_until", m5_rate_limited_until, "" },
	{ "indexes for the page paths", m6_page_indexes, "" },
	{ "outbox: by user", m7_outbox_by_user, "" },
	{ "copies: hidden per user; messages by send time", m8_copy_hidden, "" },
	{ "appointment aliases: provider ids and UIDs of each copy", m9_appointment_aliases, "" },
	{ "link_probes: connection tests run by crm-sync", m10_link_probes, "" },
	{ "all-day appointments are dates, with their own index", m11_all_day_dates, "" },
	{ "contact_messages: a contact's messages, written in batches", m12_contact_messages, "" },
	{ "sessions: by user; links: items_skipped", m13_sessions_by_user, "" },
	{ "full-text search over mail, appointments, contacts and accounts", m14_search, "" },
	{ "search: mail and appointments by whole words and their forms", m15_search_words, "" },
	{ "skipped_items: why an item was not imported", m16_skipped_items, "" },
	{ "link_calendars: every calendar of a CalDAV link, chosen, each with its cursor",
	  m17_caldav_calendars, "" },
	{ "link_proofs: an IMAP link proves its address before it syncs", m18_link_proof, "" },
	{ "re-match: skipped items by address, a queue and notices per contact", m19_rematch, "" },
	{ "link_leases: links shared by several sync daemons", m20_link_leases, "" },
	{ "link_events, newest_item_at, push_state, relink_notice_at: the health view",
	  m21_link_health, "" },
	{ "attachments: content-addressed blobs in the database or the files folder",
	  m22_attachments, "" },
	{ "blocklist and audit_log; skipped_items takes the reason blocked", m23_blocklist, "" },
	{ "outbox: by link", m24_outbox_by_link, m24_outbox_by_link },
	{ "lease_holders.expires_at: a lease lasts while its holder's record does",
	  m25_holder_expiry, m25_holder_expiry_pg },
	{ "PostgreSQL: commits told to the other connections", "", m26_changes_told_pg },
};
const size_t schema_n_migrations = sizeof schema_migrations / sizeof schema_migrations[0];
