/* words.h: the words of the model's enumerations, both ways. What people
 * read ("en cours", "in progress" for in_progress) and what they may type:
 * the value itself, or its French or English word, with or without accents
 * and capitals, spaces or underscores ("en cours", "en_cours", "réalisée",
 * "realisee", "terminé", "Annulée", "comité", "acceptée"…).
 *
 * One table for the core, the plugins and concertctl: a word shown in one
 * place is accepted in every other. */
#ifndef CN_WORDS_H
#define CN_WORDS_H

#include <stdbool.h>
#include <stddef.h>

/* The value v in words, French or English; v itself when it has none. */
const char *cn_word(const char *v, bool english);

/* The one of allowed (NULL-terminated) that given (len bytes, not
 * NUL-terminated) names, as typed by a person; NULL when none does. A word
 * that could name several values names the one allowed here ("prévu" is a
 * reminder's state, "prévue" an action's). */
const char *cn_word_value(const char *given, size_t len, const char *const *allowed);

/* A UTC time as the protocol writes it ("2026-11-22T15:00:00Z", len
 * bytes) as people read it: local time "2026-11-22 10:00" (the process's
 * TZ: the daemon sets its [node] timezone). false, out untouched, when s is
 * not of that shape. */
bool cn_utc_to_local(const char *s, size_t len, char *out, size_t cap);

#endif
