/* sentence.h: an event as a sentence people read (concertctl tail, the
 * notify plugin's messages for events without a template of their own). */
#ifndef CN_SENTENCE_H
#define CN_SENTENCE_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>

/* ev (an event map: region, type, data, actor) as one line, in French or
 * English, into buf. */
void cn_event_sentence(const msgpack_object *ev, bool english, char *buf, size_t cap);

#endif
