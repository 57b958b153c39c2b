/* render.h: how concertctl shows replies and events to people (aligned
 * tables and labelled details, French by default, English with --lang en)
 * or to scripts (--json). */
#ifndef CTL_RENDER_H
#define CTL_RENDER_H

#include <msgpack.h>
#include <stdbool.h>

/* Prints the result of op for a person, or as JSON. */
void ctl_render(const char *op, const msgpack_object *result, bool json);

/* node.status for a person (render_status.c). */
void ctl_render_status(const msgpack_object *result);

/* Prints one event (the payload map of the PUB socket, or of events.since). */
void ctl_render_event(const msgpack_object *ev, bool json);


#endif
