/* reminders.h: reminders before échéances.
 *
 * Each dated window of an action still to do gets one reminder row per
 * horizon of its region (by default 30, 7 and 1 days before the window
 * ends, and the day after it ended: "overdue"); undated windows (ongoing,
 * on demand) get a follow-up every N days only when the region asks for
 * it. Rows are armed whenever what they depend on changes: the action's
 * windows or status, its plan's status, the region's horizons. A row is
 * keyed by (action, window end, horizon): editing an échéance gives new
 * keys, so the new dates are reminded again; a row that has fired keeps
 * its key, so nothing fires twice.
 *
 * The op echeance.remind fires the rows that are due today (in the node's
 * time zone): for each (action, window) only the latest due row is sent as
 * an event (echeance.upcoming, echeance.overdue, echeance.follow_up), the
 * older ones are skipped, so a daemon that was down over the moment, or a
 * clock that jumped, catches up once. A row whose day had already passed
 * when it was armed (a plan imported years later) is skipped, not sent.
 * The row changes state in the transaction that emits its event. Finding
 * what is due is one query on an index of pending rows by date: its cost
 * grows with what is due, not with the plans. */
#ifndef CN_REMINDERS_H
#define CN_REMINDERS_H

#include <msgpack.h>

#include "core.h"

/* The horizons that are not a number of days before a window's end. */
enum { CN_HORIZON_OVERDUE = -1, CN_HORIZON_FOLLOW_UP = -2 };

/* date + days, through SQLite's date functions, into out[11]. Returns 0,
 * or -1 with req failed. */
int cn_reminders_date_add(cn_req *req, const char *date, int days, char out[11]);

/* Re-arms the reminders of one action (after its windows or status
 * changed), of every action of a plan, or of a region. */
int cn_reminders_arm(cn_req *req, int64_t action);
int cn_reminders_arm_plan(cn_req *req, int64_t plan);
int cn_reminders_arm_region(cn_req *req, const char *region);

/* Reads args.reminders ({days: [30, 7, 1], overdue: bool,
 * undated_every_days: N}) into the region's settings; returns 1 when
 * they were given (the caller re-arms), 0 when absent, -1 on error. */
int cn_reminders_settings_arg(cn_req *req, const char *region);

/* Packs the region's settings as that map. */
int cn_reminders_pack_settings(cn_req *req, msgpack_packer *pk, const char *region);

/* The ops echeance.remind and echeance.reminders are in ops_reminders.c
 * (model.h: cn_reminder_ops). */

#endif
