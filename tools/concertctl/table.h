/* table.h: how concertctl lays out what it shows a person: French or
 * English, the words of the protocol's values ("in_progress" → "en
 * cours"), aligned tables cut to the terminal's columns, labelled details. */
#ifndef CTL_TABLE_H
#define CTL_TABLE_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>

/* The language of what is shown (--lang en), French by default. */
void ctl_set_en(bool en);
bool ctl_en(void);

/* A column of a table (or a row of details): the map key shown, its
 * heading in French and English, its widest width (0: as wide as its
 * values), whether its values are protocol words to translate. */
typedef struct {
    const char *key, *fr, *en;
    size_t max; /* widest the column may grow */
    bool words;
} column;

/* A protocol word as people read it, in the current language. */
const char *ctl_word(const char *v);
/* o as text in buf (words translated when asked); "" for nil. */
const char *ctl_scalar(const msgpack_object *o, char *buf, size_t cap, bool words);
/* The list of maps as a table with a header row. */
void ctl_table(const msgpack_object *list, const column *cols, size_t ncols);
/* "Label : value" lines for the keys of map that have a value. */
void ctl_details(const msgpack_object *map, const column *rows, size_t n);
void ctl_heading(const char *fr, const char *en);
/* Prints o as indented JSON followed by a newline. */
void ctl_print_json(const msgpack_object *o, bool compact);

#endif
