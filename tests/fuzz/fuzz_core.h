/* fuzz_core.h: the harnesses that run requests on a real core. */
#ifndef CN_FUZZ_CORE_H
#define CN_FUZZ_CORE_H

#include <msgpack.h>
#include <uv.h>

#include "core.h"
#include "fuzz_support.h"

/* A core over a fresh database in a temporary folder (removed at exit),
 * with the model's ops and a small plan in region "lanaudiere": the
 * same for every input of a run. Logs only errors. */
cn_core *fuzz_core(void);

/* The same with the plugin host, configured by ini (a configuration file's
 * text: [plugins] path and load, [plugin.NAME] …): its plugins loaded on a
 * loop the harness runs (fuzz_loop) if it needs to. One or the other per run. */
cn_core *fuzz_core_plugins(const char *ini);
struct cn_host *fuzz_host(void);
uv_loop_t *fuzz_loop(void);

/* A TCP port of 127.0.0.1 free now (for the web plugin's listen). */
int fuzz_free_port(void);

/* The last seq of the event log. */
int64_t fuzz_last_seq(cn_core *core);

/* Checks a reply frame: one msgpack map, valid UTF-8 everywhere, v = 1,
 * ok a boolean, an error with a code and a message. Returns ok. */
bool fuzz_check_reply(const msgpack_sbuffer *frame);

/* Packs a request's envelope {v: 1, id, op, args: } up to the args'
 * value, which the caller packs next. */
void fuzz_envelope(msgpack_packer *pk, const char *op);

/* Runs op with args (a JSON text, for readability) and checks the reply;
 * aborts when it is not ok. */
void fuzz_call_ok(cn_core *core, const char *op, const char *json_args);

#endif
