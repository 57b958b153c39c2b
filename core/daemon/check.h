/* check.h: concertd --check-config, what the start will need, checked
 * without starting: the data folder, the demo file, the time zone, every
 * plugin (found, of this ABI, its own check), the federation, and the
 * regions a peer would send that this node already owns. */
#ifndef CN_CHECK_H
#define CN_CHECK_H

#include "config.h"

/* Prints what the configuration says (stdout) and logs each problem
 * (stderr). Returns 0 when the daemon can start, 1 otherwise. */
int cn_check_config(const cn_config *cfg);

#endif
