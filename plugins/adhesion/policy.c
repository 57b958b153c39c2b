/* policy.c: each region's membership policy as the other files read it:
 * the policy in force (charter, required fields, renewal, indicator) and
 * its categories (decided by the board, or accepted at once). The ops
 * that set it are in adhesion.c. */
#include <stdio.h>
#include <string.h>

#include "adhesion.h"

/* The host's API, given at init (adhesion.c). */

const cd_host_api *api;

void column_text(sqlite3_stmt *st, int i, char *out, size_t cap)
{
    const unsigned char *v = sqlite3_column_text(st, i);
    snprintf(out, cap, "%s", v ? (const char *)v : "");
}

int policy_get(cd_host *h, const char *region, policy *p)
{
    memset(p, 0, sizeof *p);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "SELECT charter, required, renewal_months, indicator FROM adhesion_policies WHERE region = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    int found = sqlite3_step(st) == SQLITE_ROW;
    if (found) {
        column_text(st, 0, p->charter, sizeof p->charter);
        column_text(st, 1, p->required, sizeof p->required);
        p->renewal_months = sqlite3_column_int(st, 2);
        p->indicator = sqlite3_column_int64(st, 3);
    }
    sqlite3_finalize(st);
    return found;
}

int category_get(cd_host *h, const char *region, const char *id, char *name, size_t cap, char *decision, size_t dcap)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), "SELECT name, decision FROM adhesion_categories WHERE region = ? AND id = ?", -1,
                           &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    int found = sqlite3_step(st) == SQLITE_ROW;
    if (found) {
        column_text(st, 0, name, cap);
        column_text(st, 1, decision, dcap);
    }
    sqlite3_finalize(st);
    return found;
}
