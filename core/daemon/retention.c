/* retention.c: see retention.h. */
#include "retention.h"

#include <stdlib.h>

#include "log.h"
#include "own_command.h"

#define FIRST_MS (60 * 1000)
#define EVERY_MS (6 * 3600 * 1000)
#define CHUNKS_PER_TURN 4 /* of node.compact's 10 000 events: the loop answers requests in between */

struct cn_retention {
    uv_timer_t timer;
    cn_core *core;
};

/* One chunk; 1 when more can go, 0 when done, -1 when it failed (logged). */
static int compact_once(cn_retention *r)
{
    static const char frame[] = "\x83\xa1v\x01\xa2id\x00\xa2op\xac" "node.compact";
    return cn_own_command(r->core, frame, sizeof frame - 1, NULL, "rétention du journal des événements",
                          "nouvel essai dans six heures", NULL, NULL);
}

static void on_tick(uv_timer_t *t)
{
    cn_retention *r = t->data;
    int more = 0;
    for (int i = 0; i < CHUNKS_PER_TURN && (more = compact_once(r)) == 1; i++)
        ;
    uv_timer_start(&r->timer, on_tick, more == 1 ? 0 : EVERY_MS, 0);
}

cn_retention *cn_retention_start(uv_loop_t *loop, cn_core *core, bool *failed)
{
    *failed = false;
    if (cn_core_config(core)->keep_events_days <= 0)
        return NULL;
    cn_retention *r = calloc(1, sizeof *r);
    if (!r) {
        *failed = true;
        return NULL;
    }
    r->core = core;
    uv_timer_init(loop, &r->timer);
    r->timer.data = r;
    uv_timer_start(&r->timer, on_tick, FIRST_MS, 0);
    cn_info("journal des événements : ceux de plus de %d jours seront retirés (sauf ce qu'un pair ou un greffon n'a "
            "pas encore lu)",
            cn_core_config(core)->keep_events_days);
    return r;
}

static void on_closed(uv_handle_t *h) { free(h->data); }

void cn_retention_stop(cn_retention **rp)
{
    cn_retention *r = *rp;
    if (!r)
        return;
    uv_timer_stop(&r->timer);
    uv_close((uv_handle_t *)&r->timer, on_closed);
    *rp = NULL;
}
