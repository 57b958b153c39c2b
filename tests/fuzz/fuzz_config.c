/* fuzz_config.c: the configuration file (inih, then concertd's own
 * checks). Invariants: loaded or refused with a message in words (valid
 * UTF-8); a loaded configuration is clean to clear. */
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fuzz_support.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0]) {
        snprintf(path, sizeof path, "/tmp/concertd-fuzz-conf-%d.conf", (int)getpid());
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    cn_config cfg;
    char err[1024] = "";
    FUZZ_ASSERT(cn_config_defaults(&cfg) == 0, "défauts");
    if (cn_config_load(&cfg, path, err, sizeof err) != 0)
        FUZZ_ASSERT(err[0] && cn_utf8_valid(err, strlen(err)), "un refus en mots");
    else
        FUZZ_ASSERT(cfg.max_message_size >= 1024 && cfg.max_in_flight >= 1, "des limites sensées");
    cn_config_clear(&cfg);
    unlink(path);
    return 0;
}
