/* fuzz_peer.c: what a peer sends, as this node's follower takes it
 * (core/federation): a live event's payload, or a reply of the peer's sync
 * endpoint (a page of missed events, the origins it knows, a region's
 * snapshot), on a real database. The peer is "tpdsl", followed for region
 * "mauricie"; this node owns "lanaudiere".
 *
 * Input: one byte, 'e' (a live event) or anything else (a sync reply), then
 * the msgpack frame. Before each input, the follower stands just before the
 * frame's first event (so a seed's seq is the next one, not a gap or a
 * repeat) and its copy of mauricie awaits snapshot id 2^40 + 1.
 *
 * Invariants: whatever the peer sends, this node's own region is unchanged
 * and no event of this node's origin is written; every event stored from a
 * peer has valid UTF-8 names and data that decodes within the stored limits;
 * the copy reads back as one valid reply. */
#include <string.h>

#include "evlog.h"
#include "follow_peer.h"
#include "fuzz_core.h"
#include "mp.h"
#include "mpcheck.h"
#include "text.h"

static cn_follow fl;
static follower peer;
static msgpack_sbuffer own_before;

static void call(cn_core *core, const char *op, const char *key, const char *value, msgpack_sbuffer *out)
{
    msgpack_sbuffer frame;
    msgpack_sbuffer_init(&frame);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &frame, msgpack_sbuffer_write);
    fuzz_envelope(&pk, op);
    msgpack_pack_map(&pk, 1);
    cn_pk_kstr(&pk, key, value);
    cn_reply reply;
    cn_core_call(core, frame.data, frame.size, &reply, NULL);
    fuzz_check_reply(&reply.buf);
    msgpack_sbuffer_clear(out);
    msgpack_sbuffer_write(out, reply.buf.data, reply.buf.size);
    cn_reply_destroy(&reply);
    msgpack_sbuffer_destroy(&frame);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    cn_core *core = fuzz_core();
    fl.core = core;
    fl.peers = &peer;
    fl.n = 1;
    peer.owner = &fl;
    snprintf(peer.name, sizeof peer.name, "tpdsl");
    snprintf(peer.regions, sizeof peer.regions, "mauricie");
    msgpack_sbuffer_init(&peer.outbox);
    msgpack_sbuffer_init(&own_before);
    call(core, "region.get", "id", "lanaudiere", &own_before);
    /* Which events an input stored (the peers' log has no rowid): noted by a trigger. */
    FUZZ_ASSERT(sqlite3_exec(cn_core_db(core),
                             "CREATE TEMP TABLE fuzz_stored(origin TEXT, seq INTEGER);"
                             "CREATE TEMP TRIGGER fuzz_stored_note AFTER INSERT ON main.peer_events BEGIN"
                             " INSERT INTO fuzz_stored VALUES (new.origin, new.seq); END;",
                             NULL, NULL, NULL) == SQLITE_OK,
                "déclencheur de test");
    return 0;
}

/* The seq of the frame's first event and its origin (live: the payload;
 * sync: result.events[0]), or 0. */
static int64_t first_seq(const msgpack_object *frame, bool live, char *origin, size_t cap)
{
    const msgpack_object *ev = frame;
    if (!live) {
        const msgpack_object *events = cn_mp_get(cn_mp_get(frame, "result"), "events");
        ev = events && events->type == MSGPACK_OBJECT_ARRAY && events->via.array.size ? &events->via.array.ptr[0] : NULL;
    }
    const msgpack_object *seq = cn_mp_get(ev, "seq");
    cn_mp_str_copy(cn_mp_get(ev, "origin"), origin, cap);
    return seq && seq->type == MSGPACK_OBJECT_POSITIVE_INTEGER && seq->via.u64 < (1ULL << 62) ? (int64_t)seq->via.u64 : 0;
}

/* The follower just before the frame: as after a restart that lost what followed. */
static void stand_before(cn_core *core, const uint8_t *data, size_t size, bool live)
{
    peer.cut = false;
    peer.last_error[0] = '\0';
    /* What the follower knew of origins and catch-ups: as after a restart. */
    fl.norigins = 0;
    for (size_t i = 0; i < peer.nwanted; i++)
        free(peer.sync_wanted[i]);
    peer.nwanted = 0;
    peer.sync_sent_ms = 0;
    for (size_t i = 0; i < peer.ncopies; i++)
        peer.copies[i].asked_id = SNAPSHOT_ID_BASE + 1 + (int64_t)i;
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    char origin[64] = "";
    int64_t seq = 0;
    if (cn_mp_unpack(&u, data, size, &cn_mp_stored_limits) == CN_MP_OK)
        seq = first_seq(&u.data, live, origin, sizeof origin);
    msgpack_unpacked_destroy(&u);
    origin_state *o = origin[0] && seq > 0 ? follow_origin_of(&fl, origin) : NULL;
    if (!o)
        return;
    o->last_seq = seq - 1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(cn_core_db(core), "DELETE FROM peer_events WHERE origin = ? AND seq >= ? AND origin <> ?", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, seq);
        sqlite3_bind_text(st, 3, cn_evlog_origin(cn_core_evlog(core)), -1, SQLITE_STATIC);
        sqlite3_step(st);
    }
    sqlite3_finalize(st);
}

/* Every event stored since the last input: a peer's, with names that are
 * text and data that decodes within the stored limits. */
static void check_stored(cn_core *core)
{
    const char *self = cn_evlog_origin(cn_core_evlog(core));
    sqlite3_stmt *st;
    FUZZ_ASSERT(sqlite3_prepare_v2(cn_core_db(core),
                                   "SELECT e.origin, e.region, e.type, e.data, e.actor FROM temp.fuzz_stored s"
                                   " JOIN events e ON e.origin = s.origin AND e.seq = s.seq",
                                   -1, &st, NULL) == SQLITE_OK,
                "lecture du journal");
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *origin = (const char *)sqlite3_column_text(st, 0);
        FUZZ_ASSERT(origin && strcmp(origin, self) != 0, "un pair n'écrit jamais au nom de ce nœud");
        for (int i = 0; i < 5; i++)
            if (i != 3 && sqlite3_column_type(st, i) == SQLITE_TEXT)
                FUZZ_ASSERT(cn_utf8_valid((const char *)sqlite3_column_text(st, i), (size_t)sqlite3_column_bytes(st, i)),
                            "les noms d'un événement reçu sont du texte");
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        FUZZ_ASSERT(cn_mp_unpack(&u, sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3),
                                 &cn_mp_stored_limits) == CN_MP_OK && u.data.type == MSGPACK_OBJECT_MAP,
                    "les données d'un événement reçu se relisent");
        msgpack_unpacked_destroy(&u);
    }
    sqlite3_finalize(st);
    sqlite3_exec(cn_core_db(core), "DELETE FROM temp.fuzz_stored", NULL, NULL, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    cn_core *core = fuzz_core();
    bool live = data[0] == 'e';
    stand_before(core, data + 1, size - 1, live);
    if (live)
        follow_take_event(&peer, data + 1, size - 1);
    else
        follow_take_sync_reply(&peer, data + 1, size - 1);
    FUZZ_ASSERT(!cn_core_in_batch(core), "le lot du suiveur est terminé");
    check_stored(core);
    msgpack_sbuffer after;
    msgpack_sbuffer_init(&after);
    call(core, "region.get", "id", "lanaudiere", &after);
    FUZZ_ASSERT(after.size == own_before.size && memcmp(after.data, own_before.data, after.size) == 0,
                "la région de ce nœud est inchangée");
    call(core, "plan.export", "region", "mauricie", &after); /* the copy, as clients read it */
    msgpack_sbuffer_destroy(&after);
    msgpack_sbuffer_clear(&peer.outbox);
    peer.nout = 0;
    return 0;
}
