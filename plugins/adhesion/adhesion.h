/* adhesion.h: what the adhesion plugin's files share (private).
 *
 * policy.c        each region's policy as the others read it (charter,
 *                 required fields, renewal, categories)
 * records.c       the member-count indicators, the journal of exports
 *                 and erasures
 * form.c          an application form (fields or text) and its check
 * applications.c  the workflow: submit, decide, update, withdraw, renew,
 *                 sign, erase; lists, members, CSV export; lapses
 * adhesion.c      loading, the policy ops, the daily lapse and pending
 *                 checks
 *
 * Personal information (Loi 25): contact names and e-mails live only in
 * adhesion_applications. Events carry the organisation, its category and
 * territory, never a person; applicants are written to through
 * notify.send, in-process, never through the bus. */
#ifndef ADHESION_ADHESION_H
#define ADHESION_ADHESION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include <concertd/plugin.h>

extern const cd_host_api *api; /* policy.c; set by init (adhesion.c) */

/* Copies text column i of st's row into out (empty when NULL). */
void column_text(sqlite3_stmt *st, int i, char *out, size_t cap);

typedef struct {
    char charter[64];       /* the version in force */
    char required[256];     /* "\n"-joined fields required beyond the contact */
    int renewal_months;     /* 0: membership does not lapse */
    int64_t indicator;      /* the plan indicator kept equal to the count, 0: found by name */
} policy;

/* 1 and *p filled when region has a policy, 0 when not, -1 on error. */
int policy_get(cd_host *h, const char *region, policy *p);

/* The category's name and decision ("board" or "auto"); 1 found, 0 not, -1 error. */
int category_get(cd_host *h, const char *region, const char *id, char *name, size_t cap, char *decision,
                 size_t dcap);

/* After the members of region changed: a measurement of the count (and of
 * each category's) on the indicators that follow it. */
int count_changed(cd_host *h, const char *region, const char *why);

/* Appends to the journal (exports, erasures: who saw or lost personal data). */
int journal_add(cd_host *h, const char *region, const char *what, int64_t application, const char *detail);

/* ---- form.c ---- */
/* An application as its form gives it. */
typedef struct {
    char organisation[256], category[64], territory[128], contact_name[256], contact_email[320], charter[64];
    char motivation[4096], lang[8];
    int too_long; /* the first field whose text was longer than its buffer, else -1: refused, never cut */
} form;
/* The form's field names, in field_of's order (NULL-terminated). */
extern const char *const FIELDS[];
/* Field i's buffer and its size. */
char *field_of(form *f, int i, size_t *cap);
/* Sets field i; false (and too_long set) when value is longer than it. */
bool set_field(form *f, int i, const char *value);
/* The form from args: its fields, or args.form, a text form. */
void read_form(const msgpack_object *args, form *f);
/* NULL when f may be submitted under policy p, else why (*field names it). */
const char *check_form(cd_host *h, const char *region, form *f, const policy *p, const char **field,
                       char *msg, size_t cap);

/* Registers the workflow's ops (applications.c). */
int applications_register(cd_host *h);

/* Lapses the members whose renewal is past (applications.c). */
int lapse_due(cd_host *h);

#endif
