/* sentence.h: an event as a sentence people read (concertctl tail). */
#ifndef CTL_SENTENCE_H
#define CTL_SENTENCE_H

#include <msgpack.h>
#include <stddef.h>

/* ev (an event map: region, type, data, actor) as one line in the current
 * language into buf. */
void ctl_event_sentence(const msgpack_object *ev, char *buf, size_t cap);

#endif
