/* scheduler.c: see scheduler.h. */
#include "scheduler.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mp.h"
#include "own_command.h"

struct cn_scheduler {
    uv_timer_t timer;
    cn_core *core;
    void *pub;
    cn_scheduler_after_fn after;
    void *after_data;
    long interval_ms;
};

static void said_sent(const msgpack_object *result, void *data)
{
    (void)data;
    const msgpack_object *sent = cn_mp_get(result, "sent");
    if (sent && sent->type == MSGPACK_OBJECT_ARRAY && sent->via.array.size)
        cn_info("rappels d'échéance envoyés: %u", sent->via.array.size);
}

/* Runs echeance.remind once; returns 1 when more is due, 0 when done,
 * -1 when it failed (logged; the next tick tries again). */
static int remind_once(cn_scheduler *s)
{
    static const char frame[] = "\x83\xa1v\x01\xa2id\x00\xa2op\xaf" "echeance.remind";
    return cn_own_command(s->core, frame, sizeof frame - 1, s->pub, "rappels d'échéance", "nouvel essai au prochain passage",
                          said_sent, NULL);
}

static void on_tick(uv_timer_t *t)
{
    cn_scheduler *s = t->data;
    /* Bounded: a run takes at most its limit of windows, and a few runs
     * per tick keep the loop free for requests in between. */
    int r = 0;
    for (int i = 0; i < 8 && (r = remind_once(s)) == 1; i++)
        ;
    if (s->after)
        s->after(s->after_data);
    uv_timer_start(&s->timer, on_tick, r == 1 ? 0 : (uint64_t)s->interval_ms, 0);
}

cn_scheduler *cn_scheduler_new(uv_loop_t *loop, cn_core *core, void *pub, long interval_ms, cn_scheduler_after_fn after,
                               void *after_data)
{
    cn_scheduler *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->core = core;
    s->after = after;
    s->after_data = after_data;
    s->pub = pub;
    s->interval_ms = interval_ms > 0 ? interval_ms : 60000;
    uv_timer_init(loop, &s->timer);
    s->timer.data = s;
    /* At once: what came due while the daemon was down is sent now. */
    uv_timer_start(&s->timer, on_tick, 0, 0);
    return s;
}

static void on_closed(uv_handle_t *h) { free(h->data); }

void cn_scheduler_stop(cn_scheduler **sp)
{
    cn_scheduler *s = *sp;
    if (!s)
        return;
    uv_timer_stop(&s->timer);
    uv_close((uv_handle_t *)&s->timer, on_closed);
    *sp = NULL;
}
