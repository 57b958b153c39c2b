/* follow_link.c: see follow_link.h. */
#include "follow_link.h"

#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "follow_peer.h"
#include "log.h"
#include "text.h"

#define RETRY_FIRST_MS 5000
#define RETRY_MAX_MS (5 * 60 * 1000)

#define LINK_EVENTS                                                                                                    \
    (ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CONNECT_RETRIED |                              \
     ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

/* A new reason for the link to be down: logged when it differs from the
 * last one said (a peer refusing our key refuses it at every retry). */
static void down(follower *f, follow_link *l, const char *why)
{
    bool was_up = l->up;
    l->up = false;
    if (was_up || !l->since_ms)
        l->since_ms = now_ms();
    if (strcmp(l->why, why) == 0)
        return;
    snprintf(l->why, sizeof l->why, "%s", why);
    snprintf(f->last_error, sizeof f->last_error, "%s", why);
    const follow_link *other = l == &f->events_link ? &f->sync_link : &f->events_link;
    if (strcmp(other->why, why) == 0)
        return; /* both links lost or refused at once: said once */
    cn_warn("fédération : %s %s (%s) : %s", was_up ? "liaison perdue avec" : "pas de liaison avec", f->name, l->what,
            why);
}

static void handle(follower *f, follow_link *l, uint16_t event, uint32_t value)
{
    cn_follow *fl = f->owner;
    char why[768];
    switch (event) {
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
        l->handshakes++;
        if (!l->up && (l->ever_up || l->why[0]))
            cn_info("fédération : %s de nouveau joignable (%s)%s", f->name, l->what,
                    l == &f->events_link ? ", rattrapage" : "");
        l->up = l->ever_up = true;
        l->retry_at_ms = l->retry_after_ms = 0;
        l->since_ms = now_ms();
        if (l->why[0] && strcmp(f->last_error, l->why) == 0)
            f->last_error[0] = '\0';
        l->why[0] = '\0';
        if (l == &f->events_link && !f->cut) {
            /* Whatever the peer published while the link was down (a cut, a
             * restart on either side) is asked for at once. What was asked
             * over the lost link will not be answered: asked again. */
            f->sync_sent_ms = 0;
            for (size_t i = 0; i < f->ncopies; i++)
                f->copies[i].asked_id = 0;
            follow_request_sync(f, f->name);
            follow_request_origins(f);
            follow_request_snapshots(f);
        }
        break;
    case ZMQ_EVENT_DISCONNECTED:
        if (l->up)
            down(f, l, "la liaison est coupée (le pair s'est arrêté, ou le réseau ne passe plus : 15 s sans "
                       "battement) ; reconnexion en cours");
        break;
    case ZMQ_EVENT_CONNECT_RETRIED:
        if (!l->up && !l->why[0])
            down(f, l, "pas de réponse à cette adresse (le pair est-il démarré ? l'adresse, le port, le pare-feu ?) ; "
                       "nouvel essai en cours");
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        /* After a refusal ZeroMQ gives up on the link: tried again later here. */
        if (!l->retry_at_ms) {
            l->retry_after_ms = l->retry_after_ms ? l->retry_after_ms * 2 : RETRY_FIRST_MS;
            if (l->retry_after_ms > RETRY_MAX_MS)
                l->retry_after_ms = RETRY_MAX_MS;
            l->retry_at_ms = now_ms() + l->retry_after_ms;
        }
        if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
            snprintf(why, sizeof why,
                     "la poignée de main CURVE avec %s a échoué (erreur de protocole 0x%x) : la clé publique déclarée "
                     "ici ([peer.%s] public_key) est-elle bien la sienne (concertctl keygen --show sur %s) ?",
                     f->name, value, f->name, f->name);
            down(f, l, why);
            break;
        }
        snprintf(why, sizeof why,
                 "%s a refusé notre clé publique (code %u) : donnez-lui la clé publique de ce nœud-ci (%s), %s, à "
                 "déclarer dans sa section [peer.%s] public_key (concertctl keygen --show FICHIER_DE_CLÉ la réaffiche)",
                 f->name, value, fl->node_id, fl->public_key, fl->node_id);
        down(f, l, why);
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
        snprintf(why, sizeof why, "la poignée de main avec %s a échoué : %s", f->name,
                 cn_system_error((int)value, zmq_strerror((int)value)));
        down(f, l, why);
        break;
    default:
        break;
    }
}

static void drain(follower *f, follow_link *l, void *sock)
{
    for (int k = 0; k < 256; k++) {
        zmq_msg_t head, address;
        zmq_msg_init(&head);
        if (zmq_msg_recv(&head, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&head);
            return;
        }
        zmq_msg_init(&address);
        if (zmq_msg_more(&head))
            zmq_msg_recv(&address, sock, 0);
        uint16_t event = 0;
        uint32_t value = 0;
        if (zmq_msg_size(&head) >= 6) {
            memcpy(&event, zmq_msg_data(&head), 2);
            memcpy(&value, (char *)zmq_msg_data(&head) + 2, 4);
        }
        handle(f, l, event, value);
        zmq_msg_close(&head);
        zmq_msg_close(&address);
    }
}

static void on_events_monitor(cn_zwatch *w, void *sock, void *arg)
{
    (void)w;
    follower *f = arg;
    drain(f, &f->events_link, sock);
}

static void on_sync_monitor(cn_zwatch *w, void *sock, void *arg)
{
    (void)w;
    follower *f = arg;
    drain(f, &f->sync_link, sock);
}

int follow_link_connect(follower *f, follow_link *l, void *zctx, void *sock, const char *endpoint, const char *what)
{
    cn_follow *fl = f->owner;
    l->what = what;
    static unsigned generation; /* a reload follows again: new monitors, new names */
    char name[160];
    snprintf(name, sizeof name, "inproc://concertd-follow-%u-%s-%s", ++generation, f->name,
             l == &f->events_link ? "events" : "sync");
    if (zmq_socket_monitor(sock, name, LINK_EVENTS) != 0)
        return -1;
    l->monitor = zmq_socket(zctx, ZMQ_PAIR);
    if (!l->monitor || zmq_connect(l->monitor, name) != 0)
        return -1;
    l->sock = sock;
    l->endpoint = endpoint;
    l->since_ms = now_ms(); /* down since the start, until its first handshake */
    l->watch = cn_zwatch_new(fl->loop, l->monitor, l == &f->events_link ? on_events_monitor : on_sync_monitor, f);
    if (!l->watch)
        return -1;
    return zmq_connect(sock, endpoint);
}

void follow_link_tick(follower *f, follow_link *l)
{
    if (!l->retry_at_ms || now_ms() < l->retry_at_ms || f->cut)
        return;
    l->retry_at_ms = 0;
    cn_debug("fédération : %s (%s) : nouvel essai de liaison", f->name, l->what);
    zmq_disconnect(l->sock, l->endpoint);
    if (zmq_connect(l->sock, l->endpoint) != 0)
        cn_warn("fédération : %s (%s) : reconnexion impossible : %s", f->name, l->what,
                cn_system_error(zmq_errno(), zmq_strerror(zmq_errno())));
}

void follow_link_close(follow_link *l, void *sock)
{
    cn_zwatch_destroy(&l->watch);
    if (sock && l->monitor)
        zmq_socket_monitor(sock, NULL, 0);
    if (l->monitor)
        zmq_close(l->monitor);
    l->monitor = NULL;
}
