/* report_blocks.h: the inside of a report (report_doc.h) shared by its
 * writers: the blocks as kept, the text helpers, the chart as SVG and the
 * zip written in memory. Not for use outside report_*.c. */
#ifndef CN_REPORT_BLOCKS_H
#define CN_REPORT_BLOCKS_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>

#include "report_doc.h"

enum block_kind { B_HEADING, B_PARA, B_TABLE, B_ROW, B_BARS };

typedef struct {
    enum block_kind kind;
    int level;
    size_t n;      /* cells, or bars */
    char **texts;  /* heading/para: 1; table headers, row cells: n; bars: caption then n labels */
    double *values, *targets;
    int widths[16]; /* a table's columns, relative; 0: even */
} block;

struct cn_rdoc {
    char *title;
    block *blocks;
    size_t nblocks, cap;
    size_t last_cols;
    bool failed;
};

/* Column k's share of the table's width, in [0, 1]. */
double cn_rdoc_share(const block *table, size_t k);

void cn_rdoc_put(msgpack_sbuffer *out, const char *s);
void cn_rdoc_putf(msgpack_sbuffer *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Text escaped for XML and HTML alike. */
void cn_rdoc_put_text(msgpack_sbuffer *out, const char *s);
/* The first max characters of s (UTF-8), "…" when cut, escaped. */
void cn_rdoc_put_short(msgpack_sbuffer *out, const char *s, size_t max);
/* s's first max characters (UTF-8) as a new string, "…" when cut. */
char *cn_rdoc_shorten(const char *s, size_t max);
/* The chart of bars b as SVG (standalone: with its XML declaration). */
void cn_rdoc_svg_bars(const block *b, msgpack_sbuffer *out, bool standalone);

typedef struct {
    const char *name;
    const void *data;
    size_t len;
    bool stored; /* not compressed (ODF's mimetype) */
} cn_rdoc_part;

/* A zip of the parts, in order, written to out. 0, or -1 with err. */
int cn_rdoc_zip(const cn_rdoc_part *parts, size_t n, msgpack_sbuffer *out, char *err, size_t errcap);

#endif
