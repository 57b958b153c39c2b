/* plugin_host.h: loads the plugins the configuration names and gives each
 * the host API of concertd/plugin.h.
 *
 * Life cycle, driven by main.c:
 *   cn_host_new        loads every plugin (a refused one is logged and skipped)
 *   cn_host_set_pub    once the PUB socket exists
 *   cn_host_deliver    after every commit: hands new events to subscribers
 *   cn_host_stop       calls each plugin's fini, stops its timers
 *   (the loop runs until its handles are closed)
 *   cn_host_destroy    dlclose()s and frees */
#ifndef CN_PLUGIN_HOST_H
#define CN_PLUGIN_HOST_H

#include <stdbool.h>
#include <uv.h>

#include "config.h"
#include "core.h"

typedef struct cn_host cn_host;

/* Loads cfg->plugins from cfg->plugin_path. Never fails because of a plugin:
 * returns NULL only when out of memory. core, loop and cfg must outlive it. */
cn_host *cn_host_new(cn_core *core, uv_loop_t *loop, const cn_config *cfg);

/* False when a plugin [plugins] load names was refused and [plugins]
 * optional does not name it: the daemon must not start (err says which). */
bool cn_host_ready(const cn_host *host, char *err, size_t errcap);

/* concertd --check-config: finds and checks every plugin's file without
 * running it, then runs its check function (no side effect). Each problem
 * is logged; returns how many there are. */
int cn_host_check(const cn_config *cfg);

void cn_host_set_pub(cn_host *host, void *pub);

/* Delivers the events committed since each subscribing plugin's cursor, in
 * transactions of their own; handlers' events are delivered in turn (a
 * bounded number of rounds). Does nothing when no plugin subscribes.
 * lazy: those transactions are committed without flushing the WAL (lazy
 * commits, core.h: what the handlers emit is held until on disk), for a
 * caller that flushes it off the loop next (the bus); otherwise each
 * commit flushes it, on the calling thread. Either way a crash loses the
 * handlers' writes and their cursor together: the events are delivered
 * again (at least once). */
void cn_host_deliver(cn_host *host, bool lazy);

void cn_host_stop(cn_host *host);

/* Each plugin's state, error counts and own figures (set_status), packed
 * as an array of maps, for node.status. */
void cn_host_pack_status(cn_host *host, msgpack_packer *pk);
void cn_host_destroy(cn_host **hostp);

#endif
