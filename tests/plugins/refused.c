/* Plugins concertd must refuse, one per build (-DVARIANT=…): built for
 * another ABI, exporting no entry, whose init fails, or whose entry names
 * another plugin. */
#include <concertd/plugin.h>

__attribute__((unused)) static int init_ok(cd_host *h, const cd_host_api *api, void **state)
{
    (void)h;
    (void)api;
    (void)state;
    return 0;
}

#if VARIANT == 1 /* badabi */
__attribute__((visibility("default"))) const cd_plugin concertd_plugin_entry = {999, "badabi", "1", init_ok, NULL, {0}};
#elif VARIANT == 2 /* noentry */
__attribute__((visibility("default"))) int some_other_symbol = 1;
#elif VARIANT == 3 /* failinit */
static int init_fails(cd_host *h, const cd_host_api *api, void **state)
{
    (void)state;
    static const char *const args[] = {NULL};
    const cd_op_spec spec = {"failinit.ping", NULL, NULL, args, "", ""};
    api->register_op(h, &spec); /* refused: no function */
    api->log(h, CD_LOG_ERROR, "la clé obligatoire « token » manque dans [plugin.failinit]");
    return -1;
}
CD_PLUGIN("failinit", "1", init_fails, NULL);
#elif VARIANT == 4 /* misnamed */
CD_PLUGIN("another-name", "1", init_ok, NULL);
#endif
