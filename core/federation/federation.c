/* federation.c: see federation.h.
 *
 * ZAP (ZeroMQ RFC 27): libzmq asks "inproc://zeromq.zap.01" about every
 * CURVE handshake on a socket with a ZAP domain; this node answers from
 * its loop (the REP socket is watched like the command socket), 200 with
 * the peer's name as user id when the client's public key is a declared
 * peer's, 400 otherwise. */
#include "federation.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "confirmed.h"
#include "evlog.h"
#include "follow.h"
#include "sockets.h"
#include "log.h"
#include "mp.h"
#include "zwatch.h"
#include "text.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"

typedef struct {
    char name[64];
    char public_key[41]; /* Z85 */
    /* What this node sees of it (federation.followers): its last handshakes
     * on the events and sync endpoints, its last request on sync. */
    int64_t events_ms, sync_ms, request_ms;
} peer;

struct cn_federation {
    void *zap, *pub, *sync;
    cn_zwatch *zap_watch;
    cn_follow *follow;
    cn_core *core; /* set once the events go to the peers */
    peer *peers;
    size_t npeers;
    /* What a reload of the [peer.*] sections needs (cn_federation_reload). */
    uv_loop_t *loop;
    void *zctx, *local_pub;
    char public_key[41], secret_key[41];
    char config_file[4096], endpoints[1100]; /* [federation] key_file, events, sync as started */
    cn_op ops[2]; /* federation.reload, federation.followers */
    cn_server *srv;
    cn_confirmed *confirmed; /* what each declared peer holds (the log's retention) */
};

/* "public = …" and "secret = …" of a key file written by concertctl keygen. */
static int read_key_file(const char *path, char *public_key, char *secret_key, char *err, size_t errcap)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errcap, "[federation] key_file = %s : %s%s", path, cn_strerror(errno),
                 errno == ENOENT ? " (concertctl keygen FICHIER crée la clé de ce nœud)" : "");
        return -1;
    }
    public_key[0] = secret_key[0] = '\0';
    char line[256];
    while (fgets(line, sizeof line, f)) {
        char key[16], value[41];
        if (sscanf(line, " %15[a-z] = %40s", key, value) != 2)
            continue;
        if (strcmp(key, "public") == 0)
            memcpy(public_key, value, sizeof value);
        else if (strcmp(key, "secret") == 0)
            memcpy(secret_key, value, sizeof value);
    }
    fclose(f);
    uint8_t bin[32];
    if (strlen(public_key) != 40 || strlen(secret_key) != 40 || !zmq_z85_decode(bin, public_key) ||
        !zmq_z85_decode(bin, secret_key)) {
        snprintf(err, errcap, "[federation] key_file = %s : pas une clé de nœud (public = …, secret = …, 40 caractères"
                              " Z85 chacune ; concertctl keygen en crée une)", path);
        return -1;
    }
    return 0;
}

/* A [peer.NAME] public_key: 40 characters of Z85, else why not in err. */
static int check_peer_key(const char *section, const char *value, char *err, size_t errcap)
{
    uint8_t bin[32];
    if (strlen(value) == 40 && zmq_z85_decode(bin, value))
        return 0;
    snprintf(err, errcap, "[%s] public_key = %s : une clé publique Z85 de 40 caractères (la ligne « public »"
                          " du fichier de clé du pair)", section, value);
    return -1;
}

/* [federation] silent_after: seconds, 0 for never; else why not in err. */
static int check_silent_after(const cn_config *cfg, char *err, size_t errcap)
{
    const char *v = cn_config_setting(cfg, "federation", "silent_after");
    char *end = NULL;
    long long n = v ? strtoll(v, &end, 10) : 0;
    if (v && (!*v || *end || n < 0 || n > 365LL * 86400)) {
        snprintf(err, errcap, "[federation] silent_after = %s : un nombre de secondes (86400 pour un jour ; 0 : jamais)",
                 v);
        return -1;
    }
    return 0;
}

int cn_federation_check(const cn_config *cfg)
{
    const char *key_file = cn_config_setting(cfg, "federation", "key_file");
    const char *events = cn_config_setting(cfg, "federation", "events");
    const char *sync = cn_config_setting(cfg, "federation", "sync");
    int problems = 0;
    char err[1024];
    if (key_file || events || sync) {
        if (!key_file || !events) {
            cn_error("[federation] : key_file (la clé de ce nœud) et events (l'adresse où les pairs s'abonnent, ex. "
                     "tcp://0.0.0.0:7420) vont ensemble");
            problems++;
        }
        char public_key[41], secret_key[41];
        if (key_file && read_key_file(key_file, public_key, secret_key, err, sizeof err) != 0) {
            cn_error("%s", err);
            problems++;
        }
        if (!sync) {
            cn_error("[federation] sync : l'adresse où les pairs rattrapent les événements manqués (ex. tcp://0.0.0.0:7421)");
            problems++;
        }
    }
    if (check_silent_after(cfg, err, sizeof err) != 0) {
        cn_error("%s", err);
        problems++;
    }
    bool peers = false;
    for (size_t i = 0; i < cfg->nsettings; i++) {
        const struct cn_setting *s = &cfg->settings[i];
        if (strncmp(s->section, "peer.", 5) != 0)
            continue;
        peers = true;
        if (strcmp(s->key, "public_key") == 0 && check_peer_key(s->section, s->value, err, sizeof err) != 0) {
            cn_error("%s", err);
            problems++;
        }
        bool followed = strcmp(s->key, "endpoint") == 0;
        bool sync_set = cn_config_setting(cfg, s->section, "sync") != NULL;
        bool key_set = cn_config_setting(cfg, s->section, "public_key") != NULL;
        if (followed && (!sync_set || !key_set)) {
            cn_error("[%s] : un pair suivi a endpoint, sync et public_key ; %s%s%s manque", s->section,
                     sync_set ? "" : "sync", !sync_set && !key_set ? " et " : "", key_set ? "" : "public_key");
            problems++;
        }
    }
    if (peers && !key_file && !events) {
        cn_error("[peer.…] sans [federation] : la fédération n'est pas ouverte (key_file, events et sync manquent)");
        problems++;
    }
    return problems;
}

/* The [peer.NAME] sections: a name and a public key each. */
static int read_peers(cn_federation *fed, const cn_config *cfg, char *err, size_t errcap)
{
    for (size_t i = 0; i < cfg->nsettings; i++) {
        const struct cn_setting *s = &cfg->settings[i];
        if (strncmp(s->section, "peer.", 5) != 0 || strcmp(s->key, "public_key") != 0)
            continue;
        if (check_peer_key(s->section, s->value, err, errcap) != 0)
            return -1;
        peer *grown = realloc(fed->peers, (fed->npeers + 1) * sizeof *grown);
        if (!grown) {
            snprintf(err, errcap, "mémoire insuffisante");
            return -1;
        }
        fed->peers = grown;
        peer *p = &fed->peers[fed->npeers++];
        memset(p, 0, sizeof *p); /* nothing seen of it yet (federation.followers) */
        snprintf(p->name, sizeof p->name, "%s", s->section + 5);
        snprintf(p->public_key, sizeof p->public_key, "%s", s->value);
    }
    return 0;
}

static void send_frame(void *sock, const void *data, size_t len, bool more)
{
    if (zmq_send(sock, data, len, more ? ZMQ_SNDMORE : 0) < 0)
        cn_error("fédération, réponse ZAP : %s", cn_system_error(zmq_errno(), zmq_strerror(zmq_errno())));
}

/* One ZAP request: version, request id, domain, address, identity,
 * mechanism, credentials (the client's 32-byte public key for CURVE). */
static void answer_zap(cn_federation *fed)
{
    zmq_msg_t frames[8];
    int n = 0;
    for (int more = 1; more && n < 8;) {
        zmq_msg_init(&frames[n]);
        if (zmq_msg_recv(&frames[n], fed->zap, n ? 0 : ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&frames[n]);
            break;
        }
        more = zmq_msg_more(&frames[n]);
        n++;
    }
    if (n == 0)
        return;
    const peer *who = NULL;
    char address[64] = "", client[41] = "";
    if (n >= 7 && zmq_msg_size(&frames[6]) == 32) {
        zmq_z85_encode(client, zmq_msg_data(&frames[6]), 32);
        for (size_t i = 0; i < fed->npeers && !who; i++)
            if (strcmp(fed->peers[i].public_key, client) == 0)
                who = &fed->peers[i];
        snprintf(address, sizeof address, "%.*s", (int)zmq_msg_size(&frames[3]), (const char *)zmq_msg_data(&frames[3]));
    }
    if (!who)
        cn_warn("fédération : connexion refusée de %s, clé publique inconnue %s (déclarez le pair dans [peer.NOM]"
                " public_key)", address[0] ? address : "?", client[0] ? client : "(aucune)");
    else
        cn_info("fédération : %s (%s) connecté (%.*s)", who->name, address, n >= 3 ? (int)zmq_msg_size(&frames[2]) : 0,
                n >= 3 ? (const char *)zmq_msg_data(&frames[2]) : "");
    if (who) {
        peer *seen = (peer *)who;
        bool sync = n >= 3 && zmq_msg_size(&frames[2]) == 4 && memcmp(zmq_msg_data(&frames[2]), "sync", 4) == 0;
        *(sync ? &seen->sync_ms : &seen->events_ms) = cn_now_ms();
    }
    /* version, request id as received, then the verdict. */
    send_frame(fed->zap, "1.0", 3, true);
    if (n >= 2)
        send_frame(fed->zap, zmq_msg_data(&frames[1]), zmq_msg_size(&frames[1]), true);
    else
        send_frame(fed->zap, "", 0, true);
    send_frame(fed->zap, who ? "200" : "400", 3, true);
    const char *text = who ? "OK" : "clé inconnue";
    send_frame(fed->zap, text, strlen(text), true);
    send_frame(fed->zap, who ? who->name : "", who ? strlen(who->name) : 0, true);
    send_frame(fed->zap, "", 0, false);
    for (int i = 0; i < n; i++)
        zmq_msg_close(&frames[i]);
}

static void on_zap(cn_zwatch *w, void *sock, void *arg)
{
    (void)w;
    (void)sock;
    cn_federation *fed = arg;
    for (int i = 0; i < 64; i++) { /* a bounded batch; the rest at the next turn */
        int events = 0;
        size_t len = sizeof events;
        if (zmq_getsockopt(fed->zap, ZMQ_EVENTS, &events, &len) != 0 || !(events & ZMQ_POLLIN))
            break;
        answer_zap(fed);
    }
}

/* federation.status without a federation: says how to set one up. */
static int unconfigured_status(cn_req *req)
{
    return cn_req_fail(req, "unavailable", NULL,
                       "ce nœud n'est pas fédéré : [federation] key_file, events et sync, et un [peer.NOM] par pair,"
                       " dans la configuration (proto/PROTOCOL.md, « Federation »)");
}

static const char *const no_args[] = {NULL};
static const cn_op unconfigured_ops[] = {
    {"federation.status", unconfigured_status, no_args, "les pairs suivis : où ils en sont, dernier contact, erreurs",
     "the peers followed: where they stand, last contact, errors", NULL},
};

/* What a peer may call on the sync endpoint: the log and a region's copy,
 * all read-only. */
static int reload_op(cn_req *req);
static int followers_op(cn_req *req);

static void seen(void *data, const char *user, const void *frame, size_t len)
{
    cn_federation *fed = data;
    for (size_t i = 0; i < fed->npeers; i++)
        if (strcmp(fed->peers[i].name, user) == 0) {
            fed->peers[i].request_ms = cn_now_ms();
            cn_confirmed_note_request(fed->confirmed, user, frame, len); /* what it holds */
        }
}

/* The event log's keeper (node.compact): nothing a declared peer that
 * follows origin has yet to get. */
static int64_t keeper(void *data, const char *origin, char *who, size_t whocap)
{
    cn_federation *fed = data;
    const char *names[256];
    size_t n = 0;
    for (size_t i = 0; i < fed->npeers && n < sizeof names / sizeof names[0]; i++)
        names[n++] = fed->peers[i].name;
    if (fed->npeers > n)
        return 0; /* more peers than looked at: keep everything */
    char behind[64] = "";
    int64_t bound = cn_confirmed_bound(fed->confirmed, cn_core_db(fed->core), cn_evlog_origin(cn_core_evlog(fed->core)),
                                       origin, names, n, behind, sizeof behind);
    if (behind[0])
        snprintf(who, whocap, L("le pair %s (il a jusqu'au n° %lld)", "peer %s (it has up to n° %lld)"), behind,
                 (long long)bound);
    return bound;
}

static const char *const peer_ops[] = {"events.since", "events.origins", "region.snapshot", NULL};

int cn_federation_open(cn_federation **out, uv_loop_t *loop, cn_server *srv, cn_core *core, const cn_config *cfg,
                       char *err, size_t errcap)
{
    *out = NULL;
    void *zctx = cn_server_zctx(srv), *local_pub = cn_server_pub(srv);
    const char *key_file = cn_config_setting(cfg, "federation", "key_file");
    const char *events = cn_config_setting(cfg, "federation", "events");
    if (!key_file && !events) /* no federation */
        return cn_core_register(core, unconfigured_ops, 1) == 0 ? 0 : -1;
    if (!key_file || !events) {
        snprintf(err, errcap, "[federation] : key_file (la clé de ce nœud) et events (l'adresse où les pairs"
                              " s'abonnent, ex. tcp://0.0.0.0:7420) vont ensemble");
        return -1;
    }
    char public_key[41], secret_key[41];
    if (read_key_file(key_file, public_key, secret_key, err, errcap) != 0 || check_silent_after(cfg, err, errcap) != 0)
        return -1;
    cn_federation *fed = calloc(1, sizeof *fed);
    if (!fed) {
        snprintf(err, errcap, "mémoire insuffisante");
        return -1;
    }
    if (read_peers(fed, cfg, err, errcap) != 0) {
        cn_federation_close(&fed);
        return -1;
    }
    int linger = 0;
    /* The ZAP handler first: a CURVE socket bound before it would let
     * everyone in. */
    fed->zap = zmq_socket(zctx, ZMQ_REP);
    if (!fed->zap || zmq_setsockopt(fed->zap, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_bind(fed->zap, ZAP_ENDPOINT) != 0 || !(fed->zap_watch = cn_zwatch_new(loop, fed->zap, on_zap, fed))) {
        snprintf(err, errcap, "fédération : gestionnaire ZAP : %s", cn_system_error(zmq_errno(), zmq_strerror(zmq_errno())));
        cn_federation_close(&fed);
        return -1;
    }
    const char *sync = cn_config_setting(cfg, "federation", "sync");
    if (!sync) {
        snprintf(err, errcap, "[federation] sync : l'adresse où les pairs rattrapent les événements manqués"
                              " (ex. tcp://0.0.0.0:7421)");
        cn_federation_close(&fed);
        return -1;
    }
    if (!(fed->pub = cn_fed_curve_server(zctx, ZMQ_PUB, events, secret_key, "events", err, errcap)) ||
        !(fed->sync = cn_fed_curve_server(zctx, ZMQ_ROUTER, sync, secret_key, "sync", err, errcap))) {
        cn_federation_close(&fed);
        return -1;
    }
    cn_info("fédération : événements pour %zu pair(s) sur %s, rattrapage sur %s, clé publique %s", fed->npeers, events,
            sync, public_key);
    if (cn_follow_start(&fed->follow, loop, zctx, core, local_pub, fed->pub, cfg, public_key, secret_key, err, errcap) != 0) {
        cn_federation_close(&fed);
        return -1;
    }
    if (cn_server_serve_limited(srv, fed->sync, peer_ops,
                                "un pair ne peut que relire les événements (events.since) et copier une région "
                                "(region.snapshot)",
                                "a peer may only replay events (events.since) and copy a region (region.snapshot)") != 0) {
        snprintf(err, errcap, "fédération : surveillance du socket de rattrapage impossible");
        cn_federation_close(&fed);
        return -1;
    }
    cn_server_on_limited_request(srv, seen, fed);
    fed->srv = srv;
    /* Every local event also goes to the peers. */
    fed->core = core;
    if (!(fed->confirmed = cn_confirmed_new()) || cn_core_add_keeper(core, keeper, fed) != 0) {
        snprintf(err, errcap, "mémoire insuffisante");
        cn_federation_close(&fed);
        return -1;
    }
    cn_evlog_set_mirror(cn_core_evlog(core), fed->pub);
    fed->loop = loop;
    fed->zctx = zctx;
    fed->local_pub = local_pub;
    snprintf(fed->public_key, sizeof fed->public_key, "%s", public_key);
    snprintf(fed->secret_key, sizeof fed->secret_key, "%s", secret_key);
    snprintf(fed->config_file, sizeof fed->config_file, "%s", cfg->file ? cfg->file : "");
    snprintf(fed->endpoints, sizeof fed->endpoints, "%s|%s|%s", key_file, events, sync);
    fed->ops[0] = (cn_op){"federation.reload", reload_op, no_args,
                          "relit les sections [peer.*] de la configuration (comme SIGHUP), sans redémarrer",
                          "reads the configuration's [peer.*] sections again (as SIGHUP), without a restart", fed};
    fed->ops[1] = (cn_op){"federation.followers", followers_op, no_args,
                          "les pairs déclarés vus de ce nœud : liaisons à ses événements et à son rattrapage, dernière "
                          "demande",
                          "the declared peers as this node sees them: links to its events and sync, last request", fed};
    if (cn_core_register(core, fed->ops, 2) != 0) {
        snprintf(err, errcap, "federation.reload : enregistrement impossible");
        cn_federation_close(&fed);
        return -1;
    }
    *out = fed;
    return 0;
}

int cn_federation_reload(cn_federation *fed, char *said, size_t saidcap, char *err, size_t errcap)
{
    if (!fed->config_file[0]) {
        snprintf(err, errcap, "démarré sans --config : pas de fichier à relire");
        return -1;
    }
    cn_config nc;
    if (cn_config_defaults(&nc) != 0) {
        snprintf(err, errcap, "mémoire insuffisante");
        return -1;
    }
    int rc = cn_config_load(&nc, fed->config_file, err, errcap);
    /* Checked whole before anything changes: a mistake leaves the federation as it was. */
    cn_federation check = {0};
    if (rc == 0)
        rc = read_peers(&check, &nc, err, errcap);
    for (size_t i = 0; rc == 0 && i < nc.nsettings; i++) {
        const struct cn_setting *s = &nc.settings[i];
        if (strncmp(s->section, "peer.", 5) == 0 && strcmp(s->key, "endpoint") == 0 &&
            (!cn_config_setting(&nc, s->section, "sync") || !cn_config_setting(&nc, s->section, "public_key"))) {
            snprintf(err, errcap, "[%s] : un pair suivi a endpoint, sync et public_key", s->section);
            rc = -1;
        }
    }
    if (rc == 0)
        rc = check_silent_after(&nc, err, errcap);
    if (rc != 0) {
        free(check.peers);
        cn_config_clear(&nc);
        return -1;
    }
    char endpoints[sizeof fed->endpoints];
    const char *k = cn_config_setting(&nc, "federation", "key_file"), *e = cn_config_setting(&nc, "federation", "events"),
               *y = cn_config_setting(&nc, "federation", "sync");
    snprintf(endpoints, sizeof endpoints, "%s|%s|%s", k ? k : "", e ? e : "", y ? y : "");
    for (size_t i = 0; i < check.npeers; i++) /* what was seen of a peer still declared is kept */
        for (size_t j = 0; j < fed->npeers; j++)
            if (strcmp(check.peers[i].name, fed->peers[j].name) == 0) {
                check.peers[i].events_ms = fed->peers[j].events_ms;
                check.peers[i].sync_ms = fed->peers[j].sync_ms;
                check.peers[i].request_ms = fed->peers[j].request_ms;
            }
    free(fed->peers);
    fed->peers = check.peers;
    fed->npeers = check.npeers;
    cn_follow_stop(&fed->follow);
    rc = cn_follow_start(&fed->follow, fed->loop, fed->zctx, fed->core, fed->local_pub, fed->pub, &nc, fed->public_key,
                         fed->secret_key, err, errcap);
    if (rc == 0)
        snprintf(said, saidcap, "[peer.*] relues dans %s : %zu clé(s) de pairs admises, %zu pair(s) suivi(s)%s",
                 fed->config_file, fed->npeers, cn_follow_count(fed->follow),
                 strcmp(endpoints, fed->endpoints) != 0
                     ? " ; [federation] key_file, events ou sync ont changé : cela prend effet au prochain redémarrage"
                     : "");
    cn_config_clear(&nc);
    return rc;
}

/* A follower asks events.origins every 30 s: not asking for 90 s, it is not following now. */
#define FOLLOWING_MS 90000

static void pack_ms_or_nil(msgpack_packer *pk, const char *key, int64_t ms)
{
    cn_pk_str(pk, key);
    if (ms)
        msgpack_pack_int64(pk, ms);
    else
        msgpack_pack_nil(pk);
}

static int followers_op(cn_req *req)
{
    const cn_federation *fed = req->op->data;
    msgpack_packer *pk = cn_req_pk(req);
    int64_t now = cn_now_ms();
    msgpack_pack_array(pk, fed->npeers);
    for (size_t i = 0; i < fed->npeers; i++) {
        const peer *p = &fed->peers[i];
        msgpack_pack_map(pk, 6);
        cn_pk_kstr(pk, "peer", p->name);
        cn_pk_kbool(pk, "following", p->request_ms && now - p->request_ms < FOLLOWING_MS);
        pack_ms_or_nil(pk, "events_connected_ms", p->events_ms);
        pack_ms_or_nil(pk, "sync_connected_ms", p->sync_ms);
        pack_ms_or_nil(pk, "last_request_ms", p->request_ms);
        cn_pk_str(pk, "seconds_since_request");
        if (p->request_ms)
            msgpack_pack_int64(pk, (now - p->request_ms) / 1000);
        else
            msgpack_pack_nil(pk);
    }
    return 0;
}

static int reload_op(cn_req *req)
{
    cn_federation *fed = (cn_federation *)req->op->data;
    char said[1024], err[1024];
    if (cn_federation_reload(fed, said, sizeof said, err, sizeof err) != 0)
        return cn_req_fail(req, "invalid_argument", NULL, L("configuration non relue : %s", "configuration not read again: %s"), err);
    cn_info("fédération : %s", said);
    msgpack_packer *pk = cn_req_pk(req);
    msgpack_pack_map(pk, 1);
    cn_pk_kstr(pk, "said", said);
    return 0;
}



void cn_federation_close(cn_federation **fedp)
{
    if (!fedp || !*fedp)
        return;
    cn_federation *fed = *fedp;
    if (fed->core)
        cn_evlog_set_mirror(cn_core_evlog(fed->core), NULL);
    for (int i = 0; i < 2; i++)
        if (fed->ops[i].name)
            cn_core_unregister(fed->core, &fed->ops[i]);
    if (fed->srv)
        cn_server_on_limited_request(fed->srv, NULL, NULL);
    cn_follow_stop(&fed->follow);
    if (fed->pub)
        zmq_close(fed->pub);
    if (fed->sync)
        zmq_close(fed->sync);
    cn_zwatch_destroy(&fed->zap_watch);
    if (fed->zap)
        zmq_close(fed->zap);
    free(fed->peers);
    cn_confirmed_free(fed->confirmed);
    free(fed);
    *fedp = NULL;
}

void cn_federation_pack_status(const cn_federation *fed, msgpack_packer *pk)
{
    cn_follow_pack_status(fed ? fed->follow : NULL, pk);
}
