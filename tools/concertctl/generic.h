/* generic.h: a result without a layout of its own, as people read it. */
#ifndef CTL_GENERIC_H
#define CTL_GENERIC_H

#include <msgpack.h>

/* A map as "Label : value" lines (and its lists of maps as tables), a list
 * of maps as a table, anything else as JSON. */
void ctl_render_generic(const msgpack_object *r);

#endif
