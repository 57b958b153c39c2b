/* text.h: the small pieces of text handling the model needs: UTF-8
 * validation, ISO dates (accent- and case-folded keys are lib/fold.h), the
 * natural sort key of plan numbering ("1.10" after "1.9"), and picking the
 * French or English version of a message meant for a person. */
#ifndef CN_TEXT_H
#define CN_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when s[0..n) is well-formed UTF-8 with no NUL and no overlong form. */
bool cn_utf8_valid(const char *s, size_t n);

/* cn_utf8_valid_prefix, cn_utf8_scrub */
#include "utf8.h"

/* s[0..n) into out (cap > 0) as a C string, cut to fit on a character
 * boundary (what snprintf("%.*s") does, without cutting a character in
 * two, nor its cost on the hot path). Returns out. */
char *cn_text_copy(char *out, size_t cap, const char *s, size_t n);

/* True when s is a real calendar date written YYYY-MM-DD (2023-02-30 is not). */
bool cn_date_valid(const char *s);

/* Today's date in the process's time zone (concertd sets it from
 * [node] timezone), as YYYY-MM-DD into out[11]. */
void cn_date_today(char out[11]);

/* Milliseconds since the Unix epoch (wall clock). */
int64_t cn_now_ms(void);

/* Plan numbering such as "1", "1.2", "1.2.1" or "A.3": dot-separated
 * groups of letters and digits. A trailing dot ("1.1.") is accepted and
 * dropped. Writes the normalised number into out (cap >= 64) and a sort
 * key into key (cap >= 160) so that "1.10" sorts after "1.9". Returns
 * false when s is not such a number. */
bool cn_number_parse(const char *s, char *out, size_t cap, char *key, size_t keycap);

/* The language of messages for the request being handled. */
typedef enum { CN_LANG_FR = 0, CN_LANG_EN = 1 } cn_lang;
void cn_lang_set(cn_lang lang);
cn_lang cn_lang_get(void);
/* Picks the French or English text: L("Région inconnue", "Unknown region"). */
#define L(fr, en) (cn_lang_get() == CN_LANG_EN ? (en) : (fr))
/* errnum in words in the node's language: the C library's own words are
 * English on a server without French locales. */
const char *cn_strerror(int errnum);
/* A library's error (ZeroMQ's zmq_errno(), libuv's -code) in the node's
 * language when it is a system error cn_strerror knows; else the library's
 * own text: cn_system_error(e, zmq_strerror(e)). */
const char *cn_system_error(int errnum, const char *library_text);

#endif
