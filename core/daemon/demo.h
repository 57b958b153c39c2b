/* demo.h: the demo data loaded into an empty database, so that a new
 * installation shows a real plan at once. */
#ifndef CN_DEMO_H
#define CN_DEMO_H

#include "core.h"

/* When the database has no region, reads the JSON bundle at path
 * ({"region": <region.create args>, "document": <plan document>}) and
 * creates them through the ordinary ops. Returns 0 (also when nothing was
 * to be done) or -1 with the reason logged. */
int cn_demo_load(cn_core *core, const char *path, void *pub);

#endif
