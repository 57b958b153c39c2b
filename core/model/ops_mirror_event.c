/* ops_mirror_event.c: region.mirror_event, a copy of a peer's region kept
 * up to date by its owner's events: each change the event describes whole
 * (an action's new fields or status, a note, a measurement, a plan's,
 * objective's or orientation's new fields, the region's) is made on the copy
 * by the op that made it on the owner, on the copy's own ids (copy_ids, from
 * the last snapshot). Only the federation calls it, the core in mirroring
 * mode (no event of this node's).
 *
 * What an event does not describe whole is not applied here: a creation, a
 * deletion, an import (its notes and measurements come without events), an
 * archive. The op then fails and the federation asks a new snapshot, which
 * stays the way to start or repair a copy. */
#include <string.h>

#include "model.h"
#include "mp.h"
#include "stmt_cache.h"
#include "text.h"

/* One kind of event applied: the op that makes it, the entity it is about
 * (the event's data itself, or the map under `in`), and the op's args taken
 * from the event's data ("arg=field" when they differ). */
typedef struct {
    const char *type, *op, *kind, *in, *id_arg;
    const char *fields[10];
} rule;

static const rule rules[] = {
    {"plan.updated", "plan.update", "plan", NULL, "plan",
     {"title", "period", "start_date", "end_date", "adopted_on", "mission", "mandates"}},
    {"orientation.updated", "orientation.update", "orientation", NULL, "id", {"new_number=number", "statement"}},
    {"objective.updated", "objective.update", "objective", NULL, "id",
     {"new_number=number", "orientation", "text", "mandates"}},
    {"action.updated", "action.update", "action", NULL, "id",
     {"new_number=number", "objective", "text", "priority", "targets", "schedule", "windows", "expected_result",
      "responsible"}},
    {"action.status_changed", "action.set_status", "action", "action", "id", {"status=to", "note", "date"}},
    {"action.noted", "action.note", "action", "action", "id", {"text", "date"}},
    {"action.unnoted", "action.unnote", "action", "action", "id", {"text", "date"}},
    {"indicator.recorded", "indicator.record", "indicator", "indicator", "id", {"value", "date", "note"}},
    {"indicator.unrecorded", "indicator.unrecord", "indicator", "indicator", "id", {"value", "date"}},
};

/* The copy's id of the owner's entity (0: not known here). */
static int64_t copy_id(cn_req *req, const char *region, const char *kind, int64_t origin_id)
{
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "SELECT id FROM copy_ids WHERE region = ? AND kind = ? AND origin_id = ?", &st))
        return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, origin_id);
    int64_t id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    cn_stmt_done(st);
    return id;
}

/* The op's args: the copy's id, then each field the event has. */
static void pack_args(const rule *r, const char *region, int64_t id, const msgpack_object *data,
                      msgpack_sbuffer *buf)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, buf, msgpack_sbuffer_write);
    uint32_t n = 2;
    for (int i = 0; i < 10 && r->fields[i]; i++) {
        const char *eq = strchr(r->fields[i], '=');
        n += cn_mp_get(data, eq ? eq + 1 : r->fields[i]) != NULL;
    }
    msgpack_pack_map(&pk, n);
    cn_pk_kstr(&pk, "region", region);
    cn_pk_kint(&pk, r->id_arg, id);
    for (int i = 0; i < 10 && r->fields[i]; i++) {
        const char *eq = strchr(r->fields[i], '=');
        const msgpack_object *v = cn_mp_get(data, eq ? eq + 1 : r->fields[i]);
        if (!v)
            continue;
        if (eq)
            cn_pk_strn(&pk, r->fields[i], (size_t)(eq - r->fields[i]));
        else
            cn_pk_str(&pk, r->fields[i]);
        msgpack_pack_object(&pk, *v);
    }
}

/* The copy is as of the owner's event seq from now on. */
static int copy_as_of(cn_req *req, const char *region, int64_t seq)
{
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "UPDATE mirrors SET snapshot_seq = ?, snapshot_ms = ? WHERE region = ?", &st))
        return -1;
    sqlite3_bind_int64(st, 1, seq);
    sqlite3_bind_int64(st, 2, cn_now_ms());
    sqlite3_bind_text(st, 3, region, -1, SQLITE_STATIC);
    return cn_req_exec(req, st); /* a copy: region_mirror_event checked it first */
}

static int region_mirror_event(cn_req *req)
{
    if (!cn_core_mirroring(req->core))
        return cn_req_fail(req, "forbidden", NULL,
                           L("region.mirror_event est réservé à la fédération de ce nœud",
                             "region.mirror_event is reserved to this node's federation"));
    const char *region, *type;
    int64_t seq = 0;
    if (cn_arg_str(req, "region", CN_REQUIRED, &region) < 0 || cn_arg_str(req, "type", CN_REQUIRED, &type) < 0 ||
        cn_arg_int(req, "seq", CN_REQUIRED, &seq, NULL) < 0)
        return -1;
    const msgpack_object *data = cn_mp_get(req->args, "data");
    if (!region || !type || !data || data->type != MSGPACK_OBJECT_MAP)
        return cn_req_fail(req, "bad_request", "data", "region.mirror_event: region, seq, type et data { … }");
    sqlite3_stmt *st;
    if (cn_req_prepare(req, "SELECT 1 FROM mirrors WHERE region = ?", &st))
        return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    bool copy = sqlite3_step(st) == SQLITE_ROW;
    cn_stmt_done(st);
    if (!copy)
        return cn_req_fail(req, "not_found", "region", L("%s n'est pas une copie ici", "%s is not a copy here"), region);

    int rc;
    if (strcmp(type, "region.updated") == 0) {
        /* The region's own fields, as region.mirror takes them from a snapshot. */
        if (!cn_mp_str_eq(cn_mp_get(data, "id"), region))
            return cn_req_fail(req, "bad_request", "data", L("region.updated d'une autre région que %s",
                                                             "region.updated of another region than %s"), region);
        rc = cn_req_run(req, "region.update", data, NULL);
    } else {
        const rule *r = NULL;
        for (size_t i = 0; i < sizeof rules / sizeof rules[0] && !r; i++)
            if (strcmp(rules[i].type, type) == 0)
                r = &rules[i];
        if (!r)
            return cn_req_fail(req, "unsupported", "type",
                               L("%s se copie par un nouvel instantané", "%s is copied by a new snapshot"), type);
        const msgpack_object *entity = r->in ? cn_mp_get(data, r->in) : data;
        const msgpack_object *oid = cn_mp_get(entity, "id");
        if (!oid || oid->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
            return cn_req_fail(req, "bad_request", "data", L("%s sans id", "%s without an id"), type);
        int64_t id = copy_id(req, region, r->kind, (int64_t)oid->via.u64);
        if (id < 0)
            return -1;
        if (id == 0)
            return cn_req_fail(req, "not_found", "data",
                               L("%s n°%llu de %s : inconnu de la copie (un nouvel instantané la refera)",
                                 "%s no. %llu of %s: not known to the copy (a new snapshot will remake it)"),
                               r->kind, (unsigned long long)oid->via.u64, region);
        msgpack_sbuffer args;
        msgpack_sbuffer_init(&args);
        pack_args(r, region, id, data, &args);
        rc = cn_req_run_packed(req, r->op, &args, NULL);
        msgpack_sbuffer_destroy(&args);
    }
    if (rc || copy_as_of(req, region, seq))
        return -1;
    msgpack_packer *pk = cn_req_pk(req);
    msgpack_pack_map(pk, 3);
    cn_pk_kstr(pk, "region", region);
    cn_pk_kstr(pk, "type", type);
    cn_pk_kint(pk, "seq", seq);
    return 0;
}

static const char *const mirror_event_args[] = {"region", "seq", "type", "data", NULL};

const cn_op cn_mirror_event_ops[] = {
    {"region.mirror_event", region_mirror_event, mirror_event_args,
     "réservé à la fédération : applique à la copie d'une région un changement de son propriétaire",
     "federation only: applies a change of its owner to the copy of a region", NULL},
};
const size_t cn_mirror_event_ops_count = sizeof cn_mirror_event_ops / sizeof cn_mirror_event_ops[0];
