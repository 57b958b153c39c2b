/* message.h: what a person reads. An event becomes a subject and a text
 * body from a template (built-in, or NAME.LANG.txt in the templates
 * folder: a first line "Objet : …" or "Subject: …", a blank line, the
 * body), with {{placeholders}} filled from the event: the action's
 * numbering, text, responsible, plan, region, and its échéance in words
 * ("dans 7 jours, le 3 octobre 2026"). Then an e-mail is made of it, with
 * the accents intact (RFC 2047 subject, UTF-8 body in base64). */
#ifndef NOTIFY_MESSAGE_H
#define NOTIFY_MESSAGE_H

#include <msgpack.h>
#include <stddef.h>

/* Reads the table's templates (every NAME.LANG.txt of dir) into memory, so
 * that rendering reads no file; dir "" keeps only the built-in ones.
 * Returns how many were read, or -1 when dir cannot be read (errno).
 * Free with message_free_templates. */
int message_load_templates(const char *dir);
void message_free_templates(void);

/* Renders event (the payload map) for lang ("fr" or "en"), naming its
 * region region_name (its slug when NULL). *subject and *body are new
 * strings (caller frees). Returns 0 or -1 (out of memory). */
int message_render(const msgpack_object *event, const char *lang, const char *region_name, char **subject, char **body);

/* "3 octobre 2026" / "October 3, 2026" for YYYY-MM-DD; "" when not a date. */
void message_date_words(const char *date, const char *lang, char *out, size_t cap);

/* "dans 7 jours, le 3 octobre 2026", "demain, le …", "aujourd'hui",
 * "depuis 2 jours (le …)" and their English. */
void message_when_words(long days_left, const char *date, const char *lang, char *out, size_t cap);

/* A whole RFC 5322 message: From, To, Subject (RFC 2047 when not ASCII),
 * Date, Message-ID, MIME headers, the body in base64. New string. */
char *message_email(const char *from, const char *to, const char *subject, const char *body, const char *message_id,
                    long long now_ms);

#endif
