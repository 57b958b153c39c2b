/* Plugins concertd must refuse, one per build (-DVARIANT=…): built for
 * another ABI, exporting no entry, whose init fails, whose entry names
 * another plugin, or that declares an argument without its limit. */
#include <concertd/plugin.h>

__attribute__((unused)) static int init_ok(cd_host *h, const cd_host_api *api, void **state)
{
    (void)h;
    (void)api;
    (void)state;
    return 0;
}

#if VARIANT == 1 /* badabi */
__attribute__((visibility("default"))) const cd_plugin concertd_plugin_entry = {.abi = 999, .name = "badabi", .version = "1", .init = init_ok};
#elif VARIANT == 2 /* noentry */
__attribute__((visibility("default"))) int some_other_symbol = 1;
#elif VARIANT == 3 /* failinit */
static int init_fails(cd_host *h, const cd_host_api *api, void **state)
{
    (void)state;
    static const cd_param args[] = {CD_END};
    const cd_op_spec spec = {"failinit.ping", NULL, NULL, args, "", ""};
    api->register_op(h, &spec); /* refused: no function */
    api->log(h, CD_LOG_ERROR, "la clé obligatoire « token » manque dans [plugin.failinit]");
    return -1;
}
CD_PLUGIN("failinit", "1", init_fails, NULL);
#elif VARIANT == 4 /* misnamed */
CD_PLUGIN("another-name", "1", init_ok, NULL);
#elif VARIANT == 5 /* senseless */
static int add(cd_req *req, void *data)
{
    (void)req;
    (void)data;
    return 0;
}

static int init_senseless(cd_host *h, const cd_host_api *api, void **state)
{
    (void)state;
    static const cd_param args[] = {{"title", CD_TEXT, .help_fr = "un titre sans limite"}, CD_END};
    const cd_op_spec spec = {"senseless.add", add, NULL, args, "ajoute", "adds"};
    return api->register_op(h, &spec); /* refused: a text needs its max */
}
CD_PLUGIN("senseless", "1", init_senseless, NULL);
#endif
