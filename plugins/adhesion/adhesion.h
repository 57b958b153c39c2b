/* adhesion.h: what the adhesion plugin's files share (private).
 *
 * policy.c        each region's policy as the others read it (charter,
 *                 required fields, renewal, categories)
 * records.c       the member-count indicators, the journal of exports
 *                 and erasures
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
int journal(cd_host *h, const char *region, const char *what, int64_t application, const char *detail);

/* Registers the workflow's ops (applications.c). */
int applications_register(cd_host *h);

/* Lapses the members whose renewal is past (applications.c). */
int lapse_due(cd_host *h);

#endif
