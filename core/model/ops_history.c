/* ops_history.c: who changed what, when, from what to what
 * (events.history), and undo (events.undo): the inverse of a change made
 * again through the ops themselves, as a new event of its own. The log is
 * never rewritten; a peer sees an undo as an ordinary change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evlog.h"
#include "model.h"
#include "mp.h"
#include "text.h"
#include "stmt_cache.h"

/* The entity an event is about: an action's, indicator's… own map. */
static const msgpack_object *entity_of(const char *type, const msgpack_object *data)
{
    const msgpack_object *inner = NULL;
    if (strncmp(type, "action.", 7) == 0 || strncmp(type, "echeance.", 9) == 0)
        inner = cn_mp_get(data, "action");
    else if (strcmp(type, "indicator.recorded") == 0 || strcmp(type, "indicator.unrecorded") == 0)
        inner = cn_mp_get(data, "indicator");
    return inner && inner->type == MSGPACK_OBJECT_MAP ? inner : data;
}

/* "action" of "action.updated". */
static void kind_of(const char *type, char *out, size_t cap)
{
    snprintf(out, cap, "%.*s", (int)strcspn(type, "."), type);
}

static int64_t id_of(const msgpack_object *entity)
{
    const msgpack_object *id = cn_mp_get(entity, "id");
    return id && id->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (int64_t)id->via.u64 : 0;
}

/* The newest event of region's log from origin, before `before` (or any when
 * 0) and after `after`, about entity id of kind ("action": any of its
 * events) or of one type ("action.updated"). 1 with its seq, type and data
 * in *out (drop_data), 0 when none, -1 on error. */
typedef struct {
    int64_t seq;
    char type[64];
    char *bytes; /* the event's data, copied: msgpack points into it */
    msgpack_unpacked up;
    const msgpack_object *data;
} found_event;

/* Reads a data blob into ev (a copy of its bytes: a row's blob lives only
 * until the statement moves on). true when it is a msgpack value. */
static bool take_data(found_event *ev, const void *blob, int len)
{
    ev->bytes = malloc(len > 0 ? (size_t)len : 1);
    msgpack_unpacked_init(&ev->up);
    if (!ev->bytes)
        return false;
    memcpy(ev->bytes, blob, len > 0 ? (size_t)len : 0);
    if (msgpack_unpack_next(&ev->up, ev->bytes, (size_t)(len > 0 ? len : 0), NULL) != MSGPACK_UNPACK_SUCCESS)
        return false;
    ev->data = &ev->up.data;
    return true;
}

static void drop_data(found_event *ev)
{
    msgpack_unpacked_destroy(&ev->up);
    free(ev->bytes);
    ev->bytes = NULL;
    ev->data = NULL;
}

static int64_t undone_by(cn_req *req, const char *origin, int64_t seq);

/* Whether actor is an undo's ("marie (annule le n° 12)"). */
static bool is_undo(const char *actor)
{
    return actor && (strstr(actor, " (annule le n° ") || strstr(actor, " (undoing no. "));
}

/* Looking after an event (after > 0: what would an undo of it overwrite?),
 * a later change undone since and its undo cancel out: both are passed over. */
static int find_event(cn_req *req, const char *region, const char *origin, int64_t before, int64_t after,
                      const char *kind, int64_t id, found_event *out)
{
    char glob[72];
    snprintf(glob, sizeof glob, strchr(kind, '.') ? "%s" : "%s.*", kind); /* a type, or a kind's every type */
    sqlite3_stmt *st;
    /* From the origin's table, newest first by seq (+region: not by the
     * region's index, which would sort all the region's events first). */
#define FIND_IN(log)                                                                                                  \
    "SELECT seq, type, data, actor FROM " log " AND +region = ?1 AND type GLOB ?3"                                    \
    " AND (?4 = 0 OR seq < ?4) AND seq > ?5 ORDER BY seq DESC LIMIT 20000"
    if (cn_req_prepare(req,
                       cn_evlog_is_own(cn_core_evlog(req->core), origin) ? FIND_IN(CN_EVLOG_OWN_LOG("?2"))
                                                                         : FIND_IN(CN_EVLOG_PEER_LOG("?2")),
                       &st))
        return -1;
#undef FIND_IN
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, origin, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, glob, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, before);
    sqlite3_bind_int64(st, 5, after);
    int rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        const char *type = (const char *)sqlite3_column_text(st, 1);
        if (after && (is_undo((const char *)sqlite3_column_text(st, 3)) ||
                      undone_by(req, origin, sqlite3_column_int64(st, 0)) != 0))
            continue;
        if (take_data(out, sqlite3_column_blob(st, 2), sqlite3_column_bytes(st, 2)) &&
            id_of(entity_of(type, out->data)) == id) {
            out->seq = sqlite3_column_int64(st, 0);
            snprintf(out->type, sizeof out->type, "%s", type);
            rc = 1;
            break;
        }
        drop_data(out);
    }
    cn_stmt_done(st);
    return rc;
}

/* Fields people change, by kind, as their update op takes them. */
static const char *const action_fields[] = {"text", "priority", "targets", "schedule", "expected_result",
                                            "responsible", "objective", NULL};
static const char *const objective_fields[] = {"text", "orientation", "mandates", NULL};
static const char *const orientation_fields[] = {"statement", NULL};
static const char *const plan_fields[] = {"title", "period", "start_date", "end_date", "adopted_on", "mission", NULL};
static const char *const region_fields[] = {"name", "organisation", "kind", NULL};

static const char *const *fields_of(const char *kind)
{
    return strcmp(kind, "action") == 0        ? action_fields
           : strcmp(kind, "objective") == 0   ? objective_fields
           : strcmp(kind, "orientation") == 0 ? orientation_fields
           : strcmp(kind, "plan") == 0        ? plan_fields
           : strcmp(kind, "region") == 0      ? region_fields
                                              : NULL;
}

/* [{field, from, to}] for each field of fields that differs between before and after. */
static void pack_changes(msgpack_packer *pk, const char *const *fields, const msgpack_object *before,
                         const msgpack_object *after)
{
    size_t n = 0;
    for (int i = 0; fields && fields[i]; i++) {
        const msgpack_object *a = cn_mp_get(before, fields[i]), *b = cn_mp_get(after, fields[i]);
        n += !(a && b && msgpack_object_equal(*a, *b)) && (a || b);
    }
    msgpack_pack_array(pk, n);
    for (int i = 0; fields && fields[i]; i++) {
        const msgpack_object *a = cn_mp_get(before, fields[i]), *b = cn_mp_get(after, fields[i]);
        if ((a && b && msgpack_object_equal(*a, *b)) || (!a && !b))
            continue;
        msgpack_pack_map(pk, 3);
        cn_pk_kstr(pk, "field", fields[i]);
        cn_pk_str(pk, "from");
        a ? msgpack_pack_object(pk, *a) : msgpack_pack_nil(pk);
        cn_pk_str(pk, "to");
        b ? msgpack_pack_object(pk, *b) : msgpack_pack_nil(pk);
    }
}

/* Whether event (type, data) concerns number (a plan's number: an action,
 * an objective, an orientation, or an action's indicator). */
static bool about(const char *type, const msgpack_object *data, const char *number)
{
    const msgpack_object *e = entity_of(type, data);
    if (cn_mp_str_eq(cn_mp_get(e, "number"), number))
        return true;
    return strncmp(type, "indicator.", 10) == 0 && cn_mp_str_eq(cn_mp_get(e, "action"), number);
}

/* events.history: a region's changes, newest first, each with who made
 * it and, for an update, the fields it changed. */
static int events_history(cn_req *req)
{
    const char *region, *number;
    int64_t limit = 50;
    if (cn_region_arg(req, "region", CN_REQUIRED, &region) < 0 || cn_arg_str(req, "number", CN_OPTIONAL, &number) < 0 ||
        cn_arg_int(req, "limit", CN_OPTIONAL, &limit, NULL) < 0)
        return -1;
    if (limit < 1 || limit > 1000)
        return cn_req_fail(req, "invalid_argument", "limit", L("limit : de 1 à 1000", "limit: 1 to 1000"));
    sqlite3_stmt *st;
    if (cn_req_prepare(req,
                       "SELECT origin, seq, ts_ms, type, data, actor FROM events WHERE region = ?"
                       " ORDER BY ts_ms DESC, seq DESC LIMIT 100000",
                       &st))
        return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    msgpack_sbuffer rows;
    msgpack_sbuffer_init(&rows);
    msgpack_packer rp;
    msgpack_packer_init(&rp, &rows, msgpack_sbuffer_write);
    int64_t n = 0;
    int rc = 0;
    while (rc == 0 && n < limit && sqlite3_step(st) == SQLITE_ROW) {
        const char *origin = (const char *)sqlite3_column_text(st, 0), *type = (const char *)sqlite3_column_text(st, 3);
        if (strncmp(type, "echeance.", 9) == 0 || strncmp(type, "activity.upcoming", 17) == 0)
            continue; /* reminders change nothing */
        msgpack_unpacked up;
        msgpack_unpacked_init(&up);
        if (msgpack_unpack_next(&up, sqlite3_column_blob(st, 4), (size_t)sqlite3_column_bytes(st, 4), NULL) !=
                MSGPACK_UNPACK_SUCCESS ||
            (number && !about(type, &up.data, number))) {
            msgpack_unpacked_destroy(&up);
            continue;
        }
        char kind[64];
        kind_of(type, kind, sizeof kind);
        const char *const *fields = fields_of(kind);
        int64_t seq = sqlite3_column_int64(st, 1);
        bool updated = fields && strstr(type, ".updated");
        found_event before = {0};
        int had = updated ? find_event(req, region, origin, seq, 0, kind, id_of(&up.data), &before) : 0;
        msgpack_pack_map(&rp, 8);
        cn_pk_kstr(&rp, "region", region);
        cn_pk_kstr(&rp, "origin", origin);
        cn_pk_kint(&rp, "seq", seq);
        cn_pk_kint(&rp, "ts", sqlite3_column_int64(st, 2));
        cn_pk_kstr(&rp, "type", type);
        cn_pk_kstr(&rp, "actor", (const char *)sqlite3_column_text(st, 5));
        cn_pk_str(&rp, "data");
        msgpack_pack_object(&rp, up.data);
        cn_pk_str(&rp, "changes");
        if (had == 1) {
            pack_changes(&rp, fields, entity_of(before.type, before.data), &up.data);
            drop_data(&before);
        } else if (strcmp(type, "action.status_changed") == 0) {
            msgpack_pack_array(&rp, 1);
            msgpack_pack_map(&rp, 3);
            cn_pk_kstr(&rp, "field", "status");
            cn_pk_str(&rp, "from");
            msgpack_pack_object(&rp, *cn_mp_get(&up.data, "from"));
            cn_pk_str(&rp, "to");
            msgpack_pack_object(&rp, *cn_mp_get(&up.data, "to"));
        } else {
            rc = had < 0 ? -1 : 0;
            msgpack_pack_array(&rp, 0);
        }
        msgpack_unpacked_destroy(&up);
        n++;
    }
    cn_stmt_done(st);
    if (rc == 0) {
        msgpack_pack_array(cn_req_pk(req), (size_t)n);
        cn_pk_raw(cn_req_pk(req), rows.data, rows.size);
    }
    msgpack_sbuffer_destroy(&rows);
    return rc;
}

/* ---- undo ----------------------------------------------------------------- */

/* The entity back to how it was before: its update op with the fields of
 * the event before (those that differ from now). */
static int restore_fields(cn_req *req, const char *kind, int64_t id, const msgpack_object *before,
                          const msgpack_object *now, msgpack_sbuffer *out)
{
    const char *const *fields = fields_of(kind);
    char op[80];
    snprintf(op, sizeof op, "%s.update", kind);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    size_t n = 0;
    for (int i = 0; fields[i]; i++) {
        const msgpack_object *a = cn_mp_get(before, fields[i]), *b = cn_mp_get(now, fields[i]);
        n += a && !(b && msgpack_object_equal(*a, *b));
    }
    bool by_slug = strcmp(kind, "region") == 0;
    msgpack_pack_map(&pk, n + 1);
    if (by_slug) {
        cn_pk_str(&pk, "id");
        msgpack_pack_object(&pk, *cn_mp_get(before, "id"));
    } else {
        cn_pk_kint(&pk, strcmp(kind, "plan") == 0 ? "plan" : "id", id);
    }
    for (int i = 0; fields[i]; i++) {
        const msgpack_object *a = cn_mp_get(before, fields[i]), *b = cn_mp_get(now, fields[i]);
        if (!a || (b && msgpack_object_equal(*a, *b)))
            continue;
        cn_pk_str(&pk, fields[i]);
        msgpack_pack_object(&pk, *a);
    }
    int rc = n ? cn_req_run_packed(req, op, &buf, out)
               : cn_req_fail(req, "conflict", "seq", L("rien à annuler : c'est déjà ainsi", "nothing to undo: it is so already"));
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

/* The later events that an undo of type would overwrite: the same kind of
 * change of the same thing ("action.created": anything since). NULL: none. */
static const char *overwritten_by(const char *type)
{
    if (strcmp(type, "action.created") == 0)
        return "action";
    if (strcmp(type, "indicator.recorded") == 0 || strcmp(type, "action.noted") == 0 ||
        strcmp(type, "action.deleted") == 0)
        return NULL; /* another note or measurement is another one; a deleted action comes back beside any */
    return type;
}

/* The seq of the undo of event seq (its actor says so: "… (annule le n° 12)"),
 * 0 when it has not been undone, -1 on error. */
static int64_t undone_by(cn_req *req, const char *origin, int64_t seq)
{
    char fr[48], en[48];
    snprintf(fr, sizeof fr, "%% (annule le n° %lld)", (long long)seq);
    snprintf(en, sizeof en, "%% (undoing no. %lld)", (long long)seq);
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "SELECT seq FROM events WHERE origin = ? AND seq > ? AND (actor LIKE ? OR actor LIKE ?)"
                            " ORDER BY seq LIMIT 1", &st))
        return -1;
    sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, seq);
    sqlite3_bind_text(st, 3, fr, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, en, -1, SQLITE_STATIC);
    int64_t by = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    cn_stmt_done(st);
    return by;
}

/* The types the core knows how to reverse. */
static const char *const core_undoable[] = {"action.status_changed", "action.updated", "action.created",
                                            "action.deleted", "action.noted", "objective.updated",
                                            "orientation.updated", "plan.updated", "region.updated",
                                            "region.archived", "indicator.recorded", NULL};

static bool undoable(const cn_core *core, const char *type)
{
    for (int i = 0; core_undoable[i]; i++)
        if (strcmp(type, core_undoable[i]) == 0)
            return true;
    return cn_core_undoer(core, type) != NULL;
}

/* Asks the plugin op that reverses type to do it: {type, event, before}
 * (before: the thing as the event before this one left it, when there is one). */
static int run_plugin_undo(cn_req *req, const cn_op *op, const char *type, const msgpack_object *event,
                           const msgpack_object *before, msgpack_sbuffer *out)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, before ? 3 : 2);
    cn_pk_kstr(&pk, "type", type);
    cn_pk_str(&pk, "event");
    msgpack_pack_object(&pk, *event);
    if (before) {
        cn_pk_str(&pk, "before");
        msgpack_pack_object(&pk, *before);
    }
    int rc = cn_req_run_packed(req, op->name, &buf, out);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

static int events_undo(cn_req *req)
{
    int64_t seq = 0;
    if (cn_arg_int(req, "seq", CN_OPTIONAL, &seq, NULL) < 0)
        return -1;
    const char *me = cn_core_config(req->core)->node_id, *actor = cn_evlog_actor(cn_core_evlog(req->core));
    sqlite3_stmt *st;
    /* The event: the one named, or the asker's last change that can be undone. */
    if (cn_req_prepare(req,
                       seq ? "SELECT seq, region, type, data, actor FROM events WHERE origin = ?1 AND seq = ?2"
                           : "SELECT seq, region, type, data, actor FROM events WHERE origin = ?1 AND actor IS ?3"
                             " ORDER BY seq DESC LIMIT 200",
                       &st))
        return -1;
    sqlite3_bind_text(st, 1, me, -1, SQLITE_STATIC);
    if (seq)
        sqlite3_bind_int64(st, 2, seq);
    else if (actor)
        sqlite3_bind_text(st, 3, actor, -1, SQLITE_STATIC);
    bool named = seq != 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW && !named) {
        /* The asker's last change that is still so (one undone, or changed
         * since, is passed over). */
        found_event cand = {0}, newer = {0};
        const char *t = (const char *)sqlite3_column_text(st, 2);
        if (!undoable(req->core, t))
            continue;
        char k[64];
        kind_of(t, k, sizeof k);
        int fresh = -1;
        if (take_data(&cand, sqlite3_column_blob(st, 3), sqlite3_column_bytes(st, 3)))
            fresh = strcmp(k, "region") == 0 || !overwritten_by(t)
                        ? 0
                        : find_event(req, (const char *)sqlite3_column_text(st, 1), me, 0, sqlite3_column_int64(st, 0),
                                     overwritten_by(t), id_of(entity_of(t, cand.data)), &newer);
        drop_data(&cand);
        if (fresh > 0)
            drop_data(&newer);
        if (fresh == 0 && undone_by(req, me, sqlite3_column_int64(st, 0)) == 0)
            break;
    }
    if (step != SQLITE_ROW) {
        cn_stmt_done(st);
        return seq ? cn_req_fail(req, "not_found", "seq",
                                 L("aucun événement n° %lld de ce nœud (%s) : un changement fait ailleurs s'annule là",
                                   "no event no. %lld of this node (%s): a change made elsewhere is undone there"),
                                 (long long)seq, me)
                   : cn_req_fail(req, "not_found", "seq",
                                 L("aucun changement de %s à annuler", "no change of %s to undo"), actor ? actor : "?");
    }
    seq = sqlite3_column_int64(st, 0);
    char region[64], type[64];
    snprintf(region, sizeof region, "%s", (const char *)sqlite3_column_text(st, 1));
    snprintf(type, sizeof type, "%s", (const char *)sqlite3_column_text(st, 2));
    found_event ev = {0};
    bool read = take_data(&ev, sqlite3_column_blob(st, 3), sqlite3_column_bytes(st, 3));
    cn_stmt_done(st);
    if (!read) {
        drop_data(&ev);
        return cn_req_fail(req, "internal", "seq", "event %lld", (long long)seq);
    }
    int rc = -1;
    char kind[64];
    kind_of(type, kind, sizeof kind);
    const msgpack_object *entity = entity_of(type, ev.data);
    int64_t id = id_of(entity);
    found_event later = {0}, before = {0};
    int newer = 0;
    if (!undoable(req->core, type)) {
        cn_req_fail(req, "invalid_argument", "seq",
                    L("l'événement n° %lld (%s) ne s'annule pas ; s'annulent : un changement d'état, de champs d'une "
                      "action, d'un objectif, d'une orientation, d'un plan ou d'une région, une action créée ou "
                      "supprimée, une note, une mesure, une activité du calendrier ajoutée, modifiée ou annulée",
                      "event no. %lld (%s) cannot be undone; these can: a change of status, of the fields of an "
                      "action, objective, orientation, plan or region, an action created or deleted, a note, a "
                      "measurement, a calendar activity added, changed or cancelled"),
                    (long long)seq, type);
        goto done;
    }
    int64_t by = undone_by(req, me, seq);
    if (by != 0) {
        if (by > 0)
            cn_req_fail(req, "conflict", "seq", L("le changement n° %lld est déjà annulé (par le n° %lld)",
                                                  "change no. %lld is undone already (by no. %lld)"),
                        (long long)seq, (long long)by);
        goto done;
    }
    /* Undo what is still so: a later change of the same thing comes first. */
    if (strcmp(kind, "region") != 0 && overwritten_by(type) &&
        (newer = find_event(req, region, me, 0, seq, overwritten_by(type), id, &later)) != 0) {
        if (newer > 0) {
            static const char *const names[][3] = {{"action", "cette action", "this action"},
                                                   {"indicator", "cet indicateur", "this indicator"},
                                                   {"objective", "cet objectif", "this objective"},
                                                   {"orientation", "cette orientation", "this orientation"},
                                                   {"plan", "ce plan", "this plan"}};
            const char *what = kind;
            for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                if (strcmp(kind, names[i][0]) == 0)
                    what = L(names[i][1], names[i][2]);
            cn_req_fail(req, "conflict", "seq",
                        L("%s a changé depuis (événement n° %lld, %s) : annulez d'abord celui-là",
                          "%s changed since (event no. %lld, %s): undo that one first"),
                        what, (long long)later.seq, later.type);
            drop_data(&later);
        }
        goto done;
    }
    msgpack_sbuffer out, buf;
    msgpack_sbuffer_init(&out);
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    char note[160];
    snprintf(note, sizeof note, L("Annulation du changement n° %lld", "Undoing change no. %lld"), (long long)seq);
    /* The inverse change is recorded as the asker's undo, not a change of
     * theirs: "undo" again walks further back instead of redoing it. */
    cn_evlog *log = cn_core_evlog(req->core);
    char outer[129], as[129];
    snprintf(outer, sizeof outer, "%s", actor ? actor : "");
    snprintf(as, sizeof as, L("%.80s (annule le n° %lld)", "%.80s (undoing no. %lld)"), actor ? actor : "?",
             (long long)seq);
    cn_evlog_set_actor(log, as);
    if (strcmp(type, "action.status_changed") == 0) {
        msgpack_pack_map(&pk, 3);
        cn_pk_kint(&pk, "id", id);
        cn_pk_str(&pk, "status");
        msgpack_pack_object(&pk, *cn_mp_get(ev.data, "from"));
        cn_pk_kstr(&pk, "note", note);
        rc = cn_req_run_packed(req, "action.set_status", &buf, &out);
    } else if (strcmp(type, "action.created") == 0) {
        msgpack_pack_map(&pk, 1);
        cn_pk_kint(&pk, "id", id);
        rc = cn_req_run_packed(req, "action.delete", &buf, &out);
    } else if (strcmp(type, "region.archived") == 0) {
        msgpack_pack_map(&pk, 1);
        cn_pk_kstr(&pk, "id", region);
        rc = cn_req_run_packed(req, "region.restore", &buf, &out);
    } else if (strcmp(type, "action.noted") == 0) {
        msgpack_pack_map(&pk, 3);
        cn_pk_kint(&pk, "id", id);
        cn_pk_str(&pk, "date");
        msgpack_pack_object(&pk, *cn_mp_get(ev.data, "date"));
        cn_pk_str(&pk, "text");
        msgpack_pack_object(&pk, *cn_mp_get(ev.data, "text"));
        rc = cn_req_run_packed(req, "action.unnote", &buf, &out);
    } else if (strcmp(type, "action.deleted") == 0) {
        int64_t back;
        msgpack_packer op;
        msgpack_packer_init(&op, &out, msgpack_sbuffer_write);
        rc = cn_action_restore(req, ev.data, &back) || cn_pack_action(req, &op, back, true) ? -1 : 0;
    } else if (cn_core_undoer(req->core, type)) {
        int had = find_event(req, region, me, seq, 0, kind, id, &before);
        if (had >= 0)
            rc = run_plugin_undo(req, cn_core_undoer(req->core, type), type, ev.data, had ? before.data : NULL, &out);
        if (had > 0)
            drop_data(&before);
    } else if (strcmp(type, "indicator.recorded") == 0) {
        msgpack_pack_map(&pk, 3);
        cn_pk_kint(&pk, "id", id);
        cn_pk_str(&pk, "date");
        msgpack_pack_object(&pk, *cn_mp_get(ev.data, "date"));
        cn_pk_str(&pk, "value");
        msgpack_pack_object(&pk, *cn_mp_get(ev.data, "value"));
        rc = cn_req_run_packed(req, "indicator.unrecord", &buf, &out);
    } else { /* *.updated: the fields as the event before it left them */
        int had = strcmp(kind, "region") == 0
                      ? 0
                      : find_event(req, region, me, seq, 0, kind, id, &before);
        if (strcmp(kind, "region") == 0) { /* regions are found by their slug */
            sqlite3_stmt *prev;
            if (cn_req_prepare(req, "SELECT seq, type, data FROM events WHERE region = ? AND origin = ? AND seq < ?"
                                    " AND type IN ('region.created', 'region.updated') ORDER BY seq DESC LIMIT 1",
                               &prev) == 0) {
                sqlite3_bind_text(prev, 1, region, -1, SQLITE_STATIC);
                sqlite3_bind_text(prev, 2, me, -1, SQLITE_STATIC);
                sqlite3_bind_int64(prev, 3, seq);
                /* Copied: the row's blob is gone once the statement is (found by CI's request_args fuzzer). */
                if (sqlite3_step(prev) == SQLITE_ROW &&
                    take_data(&before, sqlite3_column_blob(prev, 2), sqlite3_column_bytes(prev, 2))) {
                    snprintf(before.type, sizeof before.type, "%s", (const char *)sqlite3_column_text(prev, 1));
                    had = 1;
                } else {
                    drop_data(&before);
                }
                cn_stmt_done(prev);
            } else {
                had = -1;
            }
        }
        if (had == 1) {
            rc = restore_fields(req, kind, id, entity_of(before.type, before.data), entity, &out);
            drop_data(&before);
        } else if (had == 0) {
            rc = cn_req_fail(req, "conflict", "seq", L("l'état d'avant l'événement n° %lld n'est pas au journal",
                                                       "the state before event no. %lld is not in the log"),
                             (long long)seq);
        }
    }
    cn_evlog_set_actor(log, outer[0] ? outer : NULL);
    if (rc == 0) {
        msgpack_packer *res = cn_req_pk(req);
        msgpack_pack_map(res, 3);
        cn_pk_kint(res, "undone", seq);
        cn_pk_kstr(res, "type", type);
        cn_pk_str(res, "result");
        if (out.size)
            cn_pk_raw(res, out.data, out.size);
        else
            msgpack_pack_nil(res);
    }
    msgpack_sbuffer_destroy(&out);
    msgpack_sbuffer_destroy(&buf);
done:
    drop_data(&ev);
    return rc;
}

static const char *const history_args[] = {"region", "number", "limit", NULL};
static const char *const undo_args[] = {"seq", NULL};

const cn_op cn_history_ops[] = {
    {"events.history", events_history, history_args, "qui a changé quoi, quand, et de quoi à quoi",
     "who changed what, when, from what to what", NULL},
    {"events.undo", events_undo, undo_args, "annule un changement (le dernier de qui le demande sinon)",
     "undoes a change (the asker's last one otherwise)", NULL},
};
const size_t cn_history_ops_count = sizeof cn_history_ops / sizeof cn_history_ops[0];
