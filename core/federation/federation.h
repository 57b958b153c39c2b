/* federation.h: the node's endpoint for peer nodes, secured with ZeroMQ's
 * CURVE: this node's key pair (made by `concertctl keygen FILE`, named by
 * [federation] key_file), a PUB socket where peers receive this node's
 * events ([federation] events), a ROUTER where they catch up with
 * events.since ([federation] sync), and a ZAP handler that lets in only the
 * public keys of the peers the configuration declares ([peer.NAME]
 * public_key), refusing and logging any other. It also follows the peers
 * that have an endpoint (follow.h).
 *
 * Owner: the daemon; the ZeroMQ context is the server's (bus/). */
#ifndef CN_FEDERATION_H
#define CN_FEDERATION_H

#include <stddef.h>
#include <uv.h>

#include "config.h"
#include "core.h"
#include "server.h"

typedef struct cn_federation cn_federation;

/* Opens the federation endpoint when the configuration has a [federation]
 * section: *out is then the federation, else NULL (not an error). Its
 * sockets share srv's ZeroMQ context, srv serves its sync endpoint (peers
 * may call only events.since, events.origins and region.snapshot there),
 * and every event srv's core publishes also goes to the peers. Returns 0,
 * or -1 with a message a person can act on in err. */
int cn_federation_open(cn_federation **out, uv_loop_t *loop, cn_server *srv, cn_core *core, const cn_config *cfg,
                       char *err, size_t errcap);

/* concertd --check-config: what cn_federation_open and the following of
 * peers will need (this node's key file readable and valid, events and sync
 * set, each [peer.NAME] public_key a Z85 key, each followed peer with its
 * endpoint, sync and public_key), nothing opened. Each problem is logged;
 * returns how many there are (0 without a federation). */
int cn_federation_check(const cn_config *cfg);

/* Closes the sockets and the ZAP handler, after cn_server_stop (the
 * server no longer watches the sync socket) and before cn_server_destroy
 * (the context ends with the server); nulls *fedp; safe on NULL. */
void cn_federation_close(cn_federation **fedp);

/* Reads the configuration file again and applies its [peer.*] sections:
 * the keys let in, the peers followed (following starts again from what the
 * database holds), [federation] silent_after. Checked whole first: on a
 * mistake nothing changes and err says it. [federation] key_file, events
 * and sync need a restart (said says so). SIGHUP and federation.reload. */
int cn_federation_reload(cn_federation *fed, char *said, size_t saidcap, char *err, size_t errcap);

/* The followed peers as federation.status gives them (an empty array
 * without [federation]), for node.status. */
void cn_federation_pack_status(const cn_federation *fed, msgpack_packer *pk);

#endif
