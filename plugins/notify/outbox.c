/* outbox.c: the messages waiting to leave, and the pump that sends them.
 *
 * A message is 'waiting' until its next attempt is due, 'sending' while a
 * worker has it, then 'sent', or back to 'waiting' with a longer delay
 * (retry_base_s, doubled at each failure, at most retry_max_s), or
 * 'failed' after max_attempts (event notify.failed). A message found
 * 'sending' at start was cut by a stop: it is sent again (a server may
 * then receive it twice, never zero times). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver.h"
#include "message.h"
#include "notify.h"

static cd_timer *pump_timer;
static int in_flight;
static int (*before_pump)(cd_host *h); /* what fills the outbox on the pump's beat (the digests) */
static long long flying[64]; /* ids of the messages workers have now (max_in_flight <= 64) */

static void fly(long long id, bool on)
{
    for (int i = 0; i < 64; i++)
        if (on ? flying[i] == 0 : flying[i] == id) {
            flying[i] = on ? id : 0;
            return;
        }
}

static bool flies(long long id)
{
    for (int i = 0; i < 64; i++)
        if (flying[i] == id)
            return true;
    return false;
}

int outbox_add(cd_host *h, int64_t subscription, const char *region, const char *dedupe_key, const char *channel,
               const char *address, const char *subject, const char *body)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "INSERT OR IGNORE INTO notify_outbox(subscription, region, dedupe_key, channel, address, subject,"
                           " body, next_attempt_ms, created_ms) VALUES (?,?,?,?,?,?,?,?,?)",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    int64_t now = api->now_ms(h);
    sqlite3_bind_int64(st, 1, subscription);
    sqlite3_bind_text(st, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, dedupe_key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, channel, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, address, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, subject, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, body, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, now);
    sqlite3_bind_int64(st, 9, now);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

static int set_row(cd_host *h, long long id, const char *sql, const char *text, int64_t when)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, when);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

/* Runs sql with ?1 bound to id (0 when the statement has no parameter). */
static int exec_id(cd_host *h, const char *sql, long long id)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_bind_parameter_count(st) > 0)
        sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

static void work(void *data) { deliver_run(data); }

static int pump(cd_host *h, void *data);

/* Back on the loop, in a transaction: what became of the attempt. */
static int done(cd_host *h, void *data, int status)
{
    delivery *d = data;
    in_flight--;
    fly(d->id, false);
    /* A person's address (notify.send) stays out of the bus and the log; the
     * log names a subscriber's by its subscription (an address is personal
     * information, a webhook's URL may hold its secret): notify.outbox has it. */
    const char *who = d->personal ? "(une personne, adresse non publiée)" : d->address;
    char logged[64];
    if (d->personal)
        snprintf(logged, sizeof logged, "%s", who);
    else
        snprintf(logged, sizeof logged, "l'abonnement n° %lld", (long long)d->subscription);
    if (status != 0) {
        /* The daemon is stopping: the row stays 'sending' and is sent again
         * at the next start. */
        deliver_free(d);
        return 0;
    }
    int64_t now = api->now_ms(h);
    int rc;
    if (d->ok) {
        rc = set_row(h, d->id, "UPDATE notify_outbox SET state = 'sent', sent_ms = ?3, last_error = ?2,"
                               " attempts = attempts + 1 WHERE id = ?1", NULL, now);
    } else {
        sqlite3_stmt *st;
        int attempts = 0;
        if (sqlite3_prepare_v2(api->db(h), "SELECT attempts + 1 FROM notify_outbox WHERE id = ?", -1, &st, NULL) ==
            SQLITE_OK) {
            sqlite3_bind_int64(st, 1, d->id);
            if (sqlite3_step(st) == SQLITE_ROW)
                attempts = sqlite3_column_int(st, 0);
            sqlite3_finalize(st);
        }
        if (attempts >= d->cfg.max_attempts) {
            rc = set_row(h, d->id, "UPDATE notify_outbox SET state = 'failed', attempts = attempts + 1, last_error = ?2,"
                                   " next_attempt_ms = ?3 WHERE id = ?1", d->error, now);
            api->log(h, CD_LOG_ERROR, "message %lld pour %s abandonné après %d essais: %s", d->id, logged, attempts,
                     d->error);
            msgpack_sbuffer buf;
            msgpack_sbuffer_init(&buf);
            msgpack_packer pk;
            msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
            msgpack_pack_map(&pk, 5);
            msgpack_pack_str_with_body(&pk, "id", 2);
            msgpack_pack_int64(&pk, d->id);
            msgpack_pack_str_with_body(&pk, "channel", 7);
            msgpack_pack_str_with_body(&pk, d->channel, strlen(d->channel));
            msgpack_pack_str_with_body(&pk, "address", 7);
            msgpack_pack_str_with_body(&pk, who, strlen(who));
            msgpack_pack_str_with_body(&pk, "attempts", 8);
            msgpack_pack_int(&pk, attempts);
            msgpack_pack_str_with_body(&pk, "error", 5);
            msgpack_pack_str_with_body(&pk, d->error, strlen(d->error));
            /* A peer's region has no event of this node's: the log says it. */
            if (rc == 0 && !api->region_origin(h, d->region))
                rc = api->emit(h, d->region, "notify.failed", buf.data, buf.size);
            msgpack_sbuffer_destroy(&buf);
        } else {
            long long delay = d->cfg.retry_base_s;
            for (int i = 1; i < attempts && delay < d->cfg.retry_max_s; i++)
                delay *= 2;
            if (delay > d->cfg.retry_max_s)
                delay = d->cfg.retry_max_s;
            rc = set_row(h, d->id, "UPDATE notify_outbox SET state = 'waiting', attempts = attempts + 1,"
                                   " last_error = ?2, next_attempt_ms = ?3 WHERE id = ?1", d->error, now + delay * 1000);
            api->log(h, CD_LOG_WARN, "message %lld pour %s: %s (essai %d; nouvel essai dans %lld s)", d->id, logged,
                     d->error, attempts, delay);
        }
    }
    deliver_free(d);
    /* A slot is free: look for the next message at once. */
    return rc == 0 ? pump(h, NULL) : rc;
}

/* Hands due messages to workers, up to max_in_flight at a time. */
/* Per-recipient rate limit: when address already had rate_per_hour
 * messages in the last hour, the time the oldest of them leaves the hour;
 * else 0. */
static int64_t rate_limited(cd_host *h, const char *address, int64_t now)
{
    sqlite3_stmt *st;
    /* Those being sent count too: several leave in one pass. */
    if (sqlite3_prepare_v2(api->db(h), "SELECT count(*), min(coalesce(sent_ms, next_attempt_ms)) FROM notify_outbox"
                                       " WHERE address = ? AND ((state = 'sent' AND sent_ms > ?) OR state = 'sending')",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, address, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now - 3600000);
    int64_t until = 0;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) >= notify_cfg.rate_per_hour)
        until = sqlite3_column_int64(st, 1) + 3600000;
    sqlite3_finalize(st);
    return until;
}

static int pump(cd_host *h, void *data)
{
    (void)data;
    if (before_pump && before_pump(h) != 0)
        return -1;
    int room = notify_cfg.max_in_flight - in_flight;
    if (room <= 0)
        return 0;
    sqlite3 *db = api->db(h);
    sqlite3_stmt *st;
    /* A message 'sending' that no worker has lost its answer (the
     * transaction of its end failed): it waits again. Known by id, not by
     * time: the wall clock may jump. */
    sqlite3_stmt *stale;
    if (sqlite3_prepare_v2(db, "SELECT id FROM notify_outbox WHERE state = 'sending'", -1, &stale, NULL) != SQLITE_OK)
        return -1;
    int src = 0;
    while (src == 0 && sqlite3_step(stale) == SQLITE_ROW) {
        long long id = sqlite3_column_int64(stale, 0);
        if (!flies(id))
            src = exec_id(h, "UPDATE notify_outbox SET state = 'waiting' WHERE id = ?1", id);
    }
    sqlite3_finalize(stale);
    if (src != 0)
        return -1;
    if (sqlite3_prepare_v2(db, "SELECT id, channel, address, subject, body, created_ms, region, subscription"
                               " FROM notify_outbox"
                               " WHERE state = 'waiting' AND next_attempt_ms <= ? ORDER BY next_attempt_ms LIMIT ?",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    int64_t now = api->now_ms(h);
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, room);
    int rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        if (flies(sqlite3_column_int64(st, 0)))
            continue; /* a worker has it already */
        delivery *d = calloc(1, sizeof *d);
        if (!d) {
            rc = -1;
            break;
        }
        d->id = sqlite3_column_int64(st, 0);
        int64_t until = rate_limited(h, (const char *)sqlite3_column_text(st, 2), now);
        if (until) {
            free(d);
            if (set_row(h, sqlite3_column_int64(st, 0), "UPDATE notify_outbox SET next_attempt_ms = ?3,"
                        " last_error = ?2 WHERE id = ?1", "limite d'envois par heure atteinte pour ce destinataire",
                        until) != 0)
                rc = -1;
            continue;
        }
        d->channel = strdup((const char *)sqlite3_column_text(st, 1));
        d->address = strdup((const char *)sqlite3_column_text(st, 2));
        d->region = strdup((const char *)sqlite3_column_text(st, 6));
        d->subscription = sqlite3_column_int64(st, 7);
        d->personal = d->subscription == 0;
        d->cfg = notify_cfg;
        const char *subject = (const char *)sqlite3_column_text(st, 3), *body = (const char *)sqlite3_column_text(st, 4);
        if (d->channel && strcmp(d->channel, "email") == 0) {
            char id[96];
            snprintf(id, sizeof id, "%lld.%lld@concertd", d->id, (long long)sqlite3_column_int64(st, 5));
            d->payload = message_email(notify_cfg.from, d->address, subject ? subject : "", body, id, now);
        } else {
            d->payload = strdup(body);
        }
        if (!d->channel || !d->address || !d->payload || !d->region) {
            deliver_free(d);
            rc = -1;
            break;
        }
        if (set_row(h, d->id, "UPDATE notify_outbox SET state = 'sending', next_attempt_ms = ?3 WHERE id = ?1", NULL,
                    now) != 0 ||
            api->queue_work(h, work, done, d) != 0) {
            deliver_free(d);
            rc = -1;
            break;
        }
        in_flight++;
        fly(d->id, true);
    }
    sqlite3_finalize(st);
    return rc;
}

int outbox_start(cd_host *h, int (*before)(cd_host *h))
{
    before_pump = before;
    /* Cut by a stop while sending: send again. */
    if (exec_id(h, "UPDATE notify_outbox SET state = 'waiting' WHERE state = 'sending'", 0) != 0)
        return -1;
    pump_timer = api->timer_start(h, 0, (uint64_t)notify_cfg.pump_ms, pump, NULL);
    return pump_timer ? 0 : -1;
}

void outbox_stop(void)
{
    pump_timer = NULL; /* the host stops every timer at unload */
    before_pump = NULL;
    in_flight = 0;
    memset(flying, 0, sizeof flying);
}

/* ---- ops ------------------------------------------------------------------ */

int outbox_list_op(cd_req *req, void *data)
{
    cd_host *h = data;
    const msgpack_object *args = api->req_args(req);
    char state[16] = "";
    cd_str(cd_get(args, "state"), state, sizeof state);
    int64_t limit = cd_int(cd_get(args, "limit"), 100);
    if (state[0] && strcmp(state, "waiting") && strcmp(state, "sending") && strcmp(state, "sent") &&
        strcmp(state, "failed"))
        return api->req_fail(req, "invalid_argument", "state", "state: waiting, sending, sent ou failed");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "SELECT id, subscription, channel, address, subject, state, attempts, last_error,"
                           " next_attempt_ms, created_ms, sent_ms FROM notify_outbox"
                           " WHERE (?1 = '' AND state <> 'sent') OR state = ?1 ORDER BY id DESC LIMIT ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, limit < 1 ? 1 : limit);
    int rc = cd_pack_rows(api->req_result(req), st);
    sqlite3_finalize(st);
    return rc == 0 ? 0 : api->req_fail(req, "internal", NULL, "mémoire insuffisante");
}

int outbox_retry_op(cd_req *req, void *data)
{
    cd_host *h = data;
    const msgpack_object *args = api->req_args(req);
    int64_t id = cd_int(cd_get(args, "id"), 0);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "UPDATE notify_outbox SET state = 'waiting', attempts = 0, next_attempt_ms = ?2"
                           " WHERE state = 'failed' AND (?1 = 0 OR id = ?1)",
                           -1, &st, NULL) != SQLITE_OK)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, api->now_ms(h));
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return api->req_fail(req, "internal", NULL, "%s", sqlite3_errmsg(api->db(h)));
    int changed = sqlite3_changes(api->db(h));
    msgpack_packer *out = api->req_result(req);
    msgpack_pack_map(out, 1);
    msgpack_pack_str_with_body(out, "requeued", 8);
    msgpack_pack_int(out, changed);
    return pump(h, NULL);
}
