/* import_csv.c: see import_text.h. */
#include "import_text.h"

cn_import *cn_import_read_csv(const char *text, size_t len, const cn_import_opts *opts)
{
    return cn_import_read(text, len, opts);
}
