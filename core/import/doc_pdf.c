/* doc_pdf.c: a plan's PDF (with a text layer, as Word and LibreOffice
 * export it) read through poppler into the plan text doc_out.h describes.
 * The words and their boxes rebuild each page: lines from the words' height,
 * columns from the gaps between words (a gap wider than a space ends a
 * cell's text) and from where the cells of a table begin, rows from the
 * plan's own numbers (a line where a cell begins with "1.2" begins a row)
 * or a wider gap above; a row cut by a page break goes on over it; page
 * headers and footers (what recurs at the same height on several pages,
 * page numbers) are dropped; a table's header row, repeated at the top of
 * a page, is written again as it is, which the importer knows to skip. */
#include <ctype.h>
#include <math.h>
#include <poppler.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "doc_out.h"
#include "doc_pdf.h"
#include "fold.h"
#include "import_cells.h"
#include "strset.h"

#define MAX_PAGES 500
#define MAX_ANCHORS 24

typedef struct {
    char *text;
    double x1, y1, x2, y2;
} word;

typedef struct {
    word *w;
    size_t n, cap;
} words;

typedef struct {
    double y1, y2, x1; /* the line's box: its words' */
    size_t first, n;   /* its words in the page's array, left to right */
} line;

static void words_free(words *ws)
{
    for (size_t i = 0; i < ws->n; i++)
        free(ws->w[i].text);
    free(ws->w);
    ws->w = NULL;
    ws->n = ws->cap = 0;
}

static bool push_word(words *ws, const char *text, size_t len, PopplerRectangle box)
{
    if (ws->n == ws->cap) {
        size_t cap = ws->cap ? ws->cap * 2 : 512;
        word *p = realloc(ws->w, cap * sizeof *p);
        if (!p)
            return false;
        ws->w = p;
        ws->cap = cap;
    }
    word *w = &ws->w[ws->n];
    w->text = strndup(text, len);
    if (!w->text)
        return false;
    w->x1 = box.x1, w->y1 = box.y1, w->x2 = box.x2, w->y2 = box.y2;
    ws->n++;
    return true;
}

/* The page's words: its text cut at spaces, each with the union of its characters' boxes. */
static bool page_words(PopplerPage *page, words *ws)
{
    char *text = poppler_page_get_text(page);
    PopplerRectangle *rects = NULL;
    guint nrects = 0;
    if (!text || !poppler_page_get_text_layout(page, &rects, &nrects)) {
        g_free(text);
        g_free(rects);
        return true; /* a page without text */
    }
    bool ok = true;
    const char *start = NULL;
    PopplerRectangle box = {0};
    guint ci = 0;
    for (const char *p = text; ok; ci++) {
        const char *next = *p ? g_utf8_next_char(p) : p;
        bool space = !*p || *p == ' ' || *p == '\n' || *p == '\t' || *p == '\r';
        /* A gap wider than a third of a letter's height between two letters is a space
         * the text does not write (a list's number and its text, set apart by a tab). */
        bool apart = !space && start && ci < nrects &&
                     rects[ci].x1 - box.x2 > 0.3 * (rects[ci].y2 - rects[ci].y1) && rects[ci].x1 > box.x2;
        /* A letter back to the left of the word, or on another line: the text jumped (another cell). */
        if (!space && start && ci < nrects && !apart) {
            double h = rects[ci].y2 - rects[ci].y1;
            apart = rects[ci].x2 <= box.x1 + 0.5 ||
                    fabs((rects[ci].y1 + rects[ci].y2) / 2 - (box.y1 + box.y2) / 2) > 0.6 * fmax(h, 1);
        }
        if (apart) {
            ok = push_word(ws, start, (size_t)(p - start), box);
            start = NULL;
        }
        if (space || ci >= nrects) {
            if (start)
                ok = push_word(ws, start, (size_t)(p - start), box);
            start = NULL;
            if (!*p || ci >= nrects)
                break;
        } else {
            PopplerRectangle r = rects[ci];
            if (!start) {
                start = p;
                box = r;
            } else {
                box.x1 = fmin(box.x1, r.x1), box.y1 = fmin(box.y1, r.y1);
                box.x2 = fmax(box.x2, r.x2), box.y2 = fmax(box.y2, r.y2);
            }
        }
        p = next;
    }
    g_free(text);
    g_free(rects);
    return ok;
}

/* Top to bottom by the words' middles (a strict order: lines are cut after). */
static int by_position(const void *a, const void *b)
{
    const word *x = a, *y = b;
    double mx = (x->y1 + x->y2) / 2, my = (y->y1 + y->y2) / 2;
    return mx < my ? -1 : mx > my ? 1 : x->x1 < y->x1 ? -1 : x->x1 > y->x1;
}

/* The page's lines: words whose bottoms are within a third of a line's height. */
static size_t page_lines(words *ws, line *lines, size_t cap)
{
    if (ws->n == 0)
        return 0; /* a page without words (qsort takes no NULL) */
    qsort(ws->w, ws->n, sizeof *ws->w, by_position);
    size_t n = 0;
    for (size_t i = 0; i < ws->n && n < cap;) {
        line *l = &lines[n++];
        l->first = i;
        l->y1 = ws->w[i].y1, l->y2 = ws->w[i].y2, l->x1 = ws->w[i].x1;
        double h = ws->w[i].y2 - ws->w[i].y1, mid = (ws->w[i].y1 + ws->w[i].y2) / 2;
        size_t j = i + 1;
        while (j < ws->n && (ws->w[j].y1 + ws->w[j].y2) / 2 - mid <= fmax(2.0, h / 2))
            j++;
        /* Left to right within the line (the sort kept near-equal heights in x order mostly). */
        for (size_t a = i + 1; a < j; a++)
            for (size_t b = a; b > i && ws->w[b].x1 < ws->w[b - 1].x1; b--) {
                word t = ws->w[b];
                ws->w[b] = ws->w[b - 1];
                ws->w[b - 1] = t;
            }
        for (size_t k = i; k < j; k++) {
            l->y1 = fmin(l->y1, ws->w[k].y1);
            l->y2 = fmax(l->y2, ws->w[k].y2);
        }
        l->x1 = ws->w[i].x1;
        l->n = j - i;
        i = j;
    }
    return n;
}

/* ---- the document ------------------------------------------------------------ */

typedef struct {
    cn_docout *out;
    /* the row being written: one text per anchor */
    char *cells[MAX_ANCHORS];
    double anchors[MAX_ANCHORS];
    int nanchors;
    bool in_row;
    char row_place[48];
    /* the table's rows, written when it ends (a merged cell flowing down is mended first) */
    char *(*rows)[MAX_ANCHORS];
    char (*places)[48];
    size_t nrows, caprows;
    struct cn_strset *vocab; /* the document's words, folded: a word cut at a cell's edge is one of them */
    char *header; /* the current table's header row, joined, to know it again */
    char **header_words; /* the words of its whole header row (all its lines), to drop it where a page repeats it */
    size_t nheader_words;
    bool header_open;    /* the header row is the row being written */
    bool page_top;       /* no line of this page read yet but a repeated header's */
    /* the paragraph being written */
    char *para;
    double para_y2, para_x1, pitch;
    double right;      /* the page's text right edge */
    double last_x2;    /* the paragraph's last line's right end */
    char para_place[48];
} reader;

static char *join(char *a, const char *b)
{
    if (!b || !*b)
        return a;
    size_t na = a ? strlen(a) : 0;
    char *p = realloc(a, na + strlen(b) + 2);
    if (!p)
        return a;
    /* "2021-" at a line's end, "2024)" on the next: one word, as written. */
    bool hyphen = na >= 2 && p[na - 1] == '-' && isalnum((unsigned char)p[na - 2]) && isalnum((unsigned char)b[0]);
    if (na && !hyphen)
        p[na++] = ' ';
    strcpy(p + na, b);
    return p;
}

/* A word as the vocabulary keeps it: folded, without the punctuation around it. */
static void vocab_key(const char *w, size_t n, char *out, size_t cap)
{
    while (n && !isalnum((unsigned char)*w) && (unsigned char)*w < 0x80)
        w++, n--;
    while (n && !isalnum((unsigned char)w[n - 1]) && (unsigned char)w[n - 1] < 0x80)
        n--;
    char raw[128];
    snprintf(raw, sizeof raw, "%.*s", (int)(n < sizeof raw ? n : sizeof raw - 1), w);
    cn_fold(raw, out, cap);
}

static bool in_vocab(const reader *r, const char *w, size_t n)
{
    char key[256];
    vocab_key(w, n, key, sizeof key);
    return r->vocab && key[0] && cn_strset_get(r->vocab, key, NULL);
}

/* A cell's next line b after its text a. A narrow column cuts what does
 * not fit: a word ("développeme" / "nt", when the document writes
 * "développement" elsewhere), or letters stacked one per line ("A" / "n" /
 * "1" is "An 1"): joined as written. */
static char *join_cell(const reader *r, char *a, const char *b)
{
    size_t na = a ? strlen(a) : 0;
    if (!na || !b || !*b)
        return join(a, b);
    const char *last = a + na;
    while (last > a && last[-1] != ' ')
        last--;
    size_t nlast = (size_t)(a + na - last), nfirst = strcspn(b, " ");
    bool stacked = nlast == 1 && isalpha((unsigned char)*last) && nfirst == 1 && isalpha((unsigned char)*b);
    bool cut = false;
    if (!stacked && nlast >= 2 && isalpha((unsigned char)a[na - 1]) && isalpha((unsigned char)b[0]) &&
        !isupper((unsigned char)b[0]) == !isupper((unsigned char)a[na - 1])) {
        char whole[256];
        snprintf(whole, sizeof whole, "%.*s%.*s", (int)nlast, last, (int)nfirst, b);
        cut = in_vocab(r, whole, strlen(whole));
    }
    if (!stacked && !cut)
        return join(a, b);
    char *p = realloc(a, na + strlen(b) + 1);
    if (!p)
        return a;
    strcpy(p + na, b);
    return p;
}

static void flush_para(reader *r)
{
    if (r->para) {
        bool bullet = false;
        const char *t = r->para;
        /* A bullet's glyph, alone before the text: the item is a list item. */
        if ((unsigned char)t[0] >= 0x80 || t[0] == '-' || t[0] == '*') {
            const char *sp = strchr(t, ' ');
            if (sp && sp - t <= 4 && !isalnum((unsigned char)t[0])) {
                bullet = true;
                t = sp + 1;
            }
        }
        cn_docout_para(r->out, t, bullet, r->para_place);
        free(r->para);
        r->para = NULL;
    }
}

/* A paragraph right on top of a table, at its left edge, is the table's
 * first row spanning its columns ("Orientation 1 : …"): written as a row. */
static void flush_para_before_table(reader *r, double gap)
{
    if (r->para && gap <= 0.6 * r->pitch && r->nanchors >= 2 && fabs(r->para_x1 - r->anchors[0]) < 4) {
        cn_docout_row_begin(r->out);
        for (int k = 0; k < r->nanchors; k++) {
            cn_docout_cell_begin(r->out);
            cn_docout_cell_item(r->out, k == 0 ? r->para : "", false);
            cn_docout_cell_end(r->out);
        }
        cn_docout_row_end(r->out, r->para_place);
        free(r->para);
        r->para = NULL;
    }
    flush_para(r);
}

/* The row being written, kept with the table's others. */
/* The words of a line of the header row, as the page has them ("A", "n", "1" of a stacked "An 1"). */
static void keep_header_words(reader *r, const words *ws, const line *l)
{
    for (size_t i = l->first; i < l->first + l->n; i++) {
        char **p = realloc(r->header_words, (r->nheader_words + 1) * sizeof *p);
        if (!p)
            return;
        r->header_words = p;
        if ((p[r->nheader_words] = strdup(ws->w[i].text)) != NULL)
            r->nheader_words++;
    }
}

/* The table written, the next one's header is its own. */
static void new_table(reader *r)
{
    free(r->header);
    r->header = NULL;
    for (size_t k = 0; k < r->nheader_words; k++)
        free(r->header_words[k]);
    free(r->header_words);
    r->header_words = NULL;
    r->nheader_words = 0;
}

/* Whether every word of the line is a word of the table's header: a line of the header repeated atop a page. */
static bool header_line(const reader *r, const words *ws, const line *l)
{
    if (!r->nheader_words)
        return false;
    for (size_t i = l->first; i < l->first + l->n; i++) {
        bool found = false;
        for (size_t k = 0; k < r->nheader_words && !found; k++)
            found = strcmp(ws->w[i].text, r->header_words[k]) == 0;
        if (!found) {
            return false;
        }
    }
    return true;
}

static void flush_row(reader *r)
{
    if (!r->in_row)
        return;
    r->header_open = false;
    r->in_row = false;
    if (r->nrows == r->caprows) {
        size_t cap = r->caprows ? r->caprows * 2 : 64;
        char *(*rows)[MAX_ANCHORS] = realloc(r->rows, cap * sizeof *rows);
        char (*places)[48] = rows ? realloc(r->places, cap * sizeof *places) : NULL;
        if (rows)
            r->rows = rows;
        if (!rows || !places) {
            for (int k = 0; k < MAX_ANCHORS; k++)
                free(r->cells[k]), r->cells[k] = NULL;
            return;
        }
        r->places = places;
        r->caprows = cap;
    }
    memcpy(r->rows[r->nrows], r->cells, sizeof r->cells);
    memset(r->cells, 0, sizeof r->cells);
    snprintf(r->places[r->nrows++], 48, "%s", r->row_place);
}

/* A cell of a merged column goes on down: the row's cell begins in lower
 * case, or with "(", and without a number. */
static bool continues(const char *s)
{
    char num[64];
    return s && *s && (cn_starts_lower(s) || *s == '(') && !cn_num_prefix(s, num);
}

/* The table's rows, written. A cell merged down over several rows (an
 * objective over its actions) reads, row by row, as one text cut in
 * pieces: each piece goes back to where it began, and the whole is on each
 * row it covers, as a Word document's merged cell is read. */
static void flush_table(reader *r)
{
    flush_row(r);
    for (int k = 0; k < r->nanchors; k++) {
        size_t start = 0;
        for (size_t i = 0; i < r->nrows; i++) {
            char *cell = r->rows[i][k];
            if (i > 0 && continues(cell) && r->rows[start][k]) {
                char *whole = join(r->rows[start][k], cell);
                free(cell);
                r->rows[start][k] = whole;
                for (size_t j = start + 1; j <= i; j++) {
                    if (j < i)
                        free(r->rows[j][k]);
                    r->rows[j][k] = strdup(whole);
                }
            } else if (cell && *cell) {
                start = i;
            }
        }
    }
    for (size_t i = 0; i < r->nrows; i++) {
        cn_docout_row_begin(r->out);
        for (int k = 0; k < r->nanchors; k++) {
            cn_docout_cell_begin(r->out);
            cn_docout_cell_item(r->out, r->rows[i][k] ? r->rows[i][k] : "", false);
            cn_docout_cell_end(r->out);
        }
        cn_docout_row_end(r->out, r->places[i]);
        for (int k = 0; k < MAX_ANCHORS; k++)
            free(r->rows[i][k]);
    }
    r->nrows = 0;
}

/* The column a segment beginning at x belongs to: the last anchor at or left of it. */
static int column_of(const reader *r, double x)
{
    int k = 0;
    for (int i = 0; i < r->nanchors; i++)
        if (r->anchors[i] <= x + 3)
            k = i;
    return k;
}

/* The segments of a line: its words grouped where the gap is no wider than spaces are. */
typedef struct {
    double x1;
    char *text;
} segment;

/* Whether a word is a list's bullet glyph alone ("•", "", "-"). */
static bool bullet_glyph(const char *t)
{
    if (!t[0])
        return false;
    const char *next = g_utf8_next_char(t);
    return !*next && !isalnum((unsigned char)t[0]) && ((unsigned char)t[0] >= 0x80 || strchr("-*o", t[0]));
}

static int segments_of(const words *ws, const line *l, segment *out, int cap)
{
    int n = 0;
    double h = l->y2 - l->y1;
    for (size_t i = l->first; i < l->first + l->n; i++) {
        const word *w = &ws->w[i];
        /* A bullet, or a list's number ("1.1."), and its item's text are one segment. */
        bool after_bullet = n > 0 && i == l->first + 1 && bullet_glyph(ws->w[i - 1].text);
        const char *first = ws->w[l->first].text;
        char num[64];
        size_t label = n == 1 && i == l->first + 1 ? cn_num_prefix(first, num) : 0;
        if (label && label >= strlen(first) && first[strlen(first) - 1] == '.' && w->x1 - ws->w[i - 1].x2 <= 40)
            after_bullet = true;
        if (n > 0 && (after_bullet || w->x1 - ws->w[i - 1].x2 <= fmax(4.5, 0.45 * h)))
            out[n - 1].text = join(out[n - 1].text, w->text);
        else if (n < cap) {
            out[n].x1 = w->x1;
            out[n].text = strdup(w->text);
            n++;
        }
    }
    return n;
}

static void anchors_of_page(reader *r, const words *ws, const line *lines, size_t nlines, bool goes_on)
{
    /* Where segments begin on lines of several segments: a table's columns. */
    double xs[4096];
    int nx = 0;
    for (size_t i = 0; i < nlines; i++) {
        segment seg[MAX_ANCHORS];
        int ns = segments_of(ws, &lines[i], seg, MAX_ANCHORS);
        for (int k = 0; k < ns; k++) {
            if (ns > 1 && nx < 4096)
                xs[nx++] = seg[k].x1;
            free(seg[k].text);
        }
    }
    /* Clusters of 4 points, kept when seen at least twice. */
    double found[MAX_ANCHORS];
    int counts[MAX_ANCHORS] = {0}, nf = 0;
    for (int i = 0; i < nx; i++) {
        int k = 0;
        while (k < nf && fabs(found[k] - xs[i]) > 4)
            k++;
        if (k == nf && nf < MAX_ANCHORS)
            found[nf++] = xs[i];
        if (k < nf)
            counts[k]++;
    }
    int n = 0;
    double kept[MAX_ANCHORS];
    for (int k = 0; k < nf; k++)
        if (counts[k] >= 2)
            kept[n++] = found[k];
    if (n < 2)
        return; /* no table on this page: keep the last one's, a table may go on */
    for (int a = 0; a < n; a++)
        for (int b = a + 1; b < n; b++)
            if (kept[b] < kept[a]) {
                double t = kept[a];
                kept[a] = kept[b];
                kept[b] = t;
            }
    /* A page going on with a table (page(): its header repeated, or a row first) whose columns are
     * all that table's: the same table (a page of it may leave some columns empty). */
    int known = 0;
    for (int a = 0; a < n; a++)
        for (int b = 0; b < r->nanchors; b++)
            if (fabs(kept[a] - r->anchors[b]) <= 4) {
                known++;
                break;
            }
    if (goes_on && r->nanchors >= 2 && known == n)
        return;
    if (n != r->nanchors)
        flush_table(r);
    r->nanchors = n;
    memcpy(r->anchors, kept, sizeof kept[0] * (size_t)n);
}

/* Whether the number text begins with is the one cell began with, or one it is under ("10.1" in the
 * cell of action "10.1.3"): a number that begins no row but goes on the cell's text ("…de l'objectif"
 * / "10.1 avec…", "1.1 Objectif" / "1.1 : renforcer…"). */
static bool same_or_above(const char *cell, const char *text)
{
    char a[64], b[64];
    if (!cn_num_prefix(cell, a) || !cn_num_prefix(text, b))
        return false;
    size_t na = strlen(a), nb = strlen(b);
    while (na && a[na - 1] == '.')
        a[--na] = '\0';
    while (nb && b[nb - 1] == '.')
        b[--nb] = '\0';
    return nb && (strcmp(a, b) == 0 || (na > nb && strncmp(a, b, nb) == 0 && a[nb] == '.'));
}

/* Whether the text begins "Orientation 2", "ORIENTATION 3 :", "Axe 1". */
static bool orientation_words(const char *s)
{
    static const char *const leads[] = {"orientation ", "axe ", NULL};
    for (int i = 0; leads[i]; i++) {
        size_t n = strlen(leads[i]);
        if (strncasecmp(s, leads[i], n) == 0 && isdigit((unsigned char)s[n]))
            return true;
    }
    return false;
}

/* Whether the text begins with a plan number ("1.2", "2.", "3.1.4"). */
static bool numbered(const char *s)
{
    char num[64];
    return cn_num_prefix(s, num) > 0;
}

static void page(reader *r, PopplerPage *pg, int index, double height, char **recurring, int nrecurring)
{
    words ws = {0};
    line *lines = NULL;
    page_words(pg, &ws); /* out of memory: the page reads short */
    lines = calloc(ws.n + 1, sizeof *lines);
    size_t nlines = lines ? page_lines(&ws, lines, ws.n + 1) : 0;
    /* Whether the page begins with the table's header again, or with a line of several cells
     * (below its top margin): then it goes on with the table before, if its columns are that table's. */
    bool table_goes_on = false;
    for (size_t i = 0; index > 0 && i < nlines; i++)
        if (!(lines[i].y2 < height * 0.1)) {
            segment seg[MAX_ANCHORS];
            int ns = segments_of(&ws, &lines[i], seg, MAX_ANCHORS);
            /* (one cell's text going on, in a column of the table other than its first) */
            int c = ns == 1 && r->nanchors >= 2 ? column_of(r, seg[0].x1) : 0;
            bool cell_goes_on = c > 0 && fabs(seg[0].x1 - r->anchors[c]) <= 4 && (r->in_row || r->nrows);
            for (int k = 0; k < ns; k++)
                free(seg[k].text);
            table_goes_on = header_line(r, &ws, &lines[i]) || ns >= 2 || cell_goes_on;
            break;
        }
    anchors_of_page(r, &ws, lines, nlines, table_goes_on);
    r->right = 0;
    for (size_t i = 0; i < nlines; i++)
        r->right = fmax(r->right, ws.w[lines[i].first + lines[i].n - 1].x2);
    double prev_y2 = -1;
    r->page_top = index > 0;
    bool after_header = false; /* a repeated header was dropped: the lines under it go on the table */
    for (size_t i = 0; i < nlines; i++) {
        const line *l = &lines[i];
        /* A table's header repeated atop the page, over a row going on from the page before: dropped. */
        if (r->page_top && header_line(r, &ws, l)) {
            after_header = true;
            continue;
        }
        if (!(l->y2 < height * 0.1))
            r->page_top = false;
        segment seg[MAX_ANCHORS];
        int ns = segments_of(&ws, l, seg, MAX_ANCHORS);
        char *whole = NULL;
        for (int k = 0; k < ns; k++)
            whole = join(whole, seg[k].text);
        /* Page headers and footers: what recurs near the top or bottom on several pages, page numbers. */
        bool margin = l->y2 < height * 0.1 || l->y1 > height * 0.9;
        bool drop = margin && whole && strspn(whole, "0123456789 /-") == strlen(whole);
        for (int k = 0; margin && !drop && k < nrecurring; k++)
            drop = whole && strcmp(whole, recurring[k]) == 0;
        double gap = prev_y2 >= 0 ? l->y1 - prev_y2 : 0;
        if (!drop) {
            /* A line of a table: several cells, or one in a column other than the first. */
            /* (a row's text going on in its first column alone, closely below, is still the row's) */
            bool tabular = r->nanchors >= 2 &&
                           (ns >= 2 || (ns == 1 && r->in_row && (column_of(r, seg[0].x1) > 0 || gap <= 0.6 * r->pitch)) ||
                            (ns == 1 && after_header && column_of(r, seg[0].x1) > 0));
            if (tabular) {
                flush_para_before_table(r, gap);
                bool starts = !r->in_row || gap > 1.2 * r->pitch;
                for (int k = 0; k < ns && !starts; k++)
                    starts = numbered(seg[k].text) && r->cells[column_of(r, seg[k].x1)] != NULL &&
                             !same_or_above(r->cells[column_of(r, seg[k].x1)], seg[k].text);
                /* A line with text in every column, under a row that has text in every column too and no plan
                 * number: a new row (a table without numbers whose cells do not wrap, a list of acronyms). */
                if (!starts && ns == r->nanchors) {
                    bool every = true;
                    for (int k = 0; k < ns && every; k++)
                        every = column_of(r, seg[k].x1) == k && r->cells[k] != NULL && !numbered(r->cells[k]);
                    starts = every;
                }
                /* "Orientation 2 : …" across the table: a row of its own, as the document has it. */
                starts = starts || (ns == 1 && column_of(r, seg[0].x1) == 0 && orientation_words(seg[0].text));
                bool header_again = r->header && whole && strcmp(whole, r->header) == 0;
                if (starts || header_again) {
                    flush_row(r);
                    r->in_row = true;
                    snprintf(r->row_place, sizeof r->row_place, "page %d", index + 1);
                    if (!r->header && whole) {
                        r->header = strdup(whole); /* a table's first row: its header */
                        r->header_open = true;
                    }
                }
                for (int k = 0; k < ns; k++) {
                    int c = column_of(r, seg[k].x1);
                    r->cells[c] = join_cell(r, r->cells[c], seg[k].text);
                }
                if (r->header_open)
                    keep_header_words(r, &ws, l);
                if (header_again)
                    flush_row(r);
            } else {
                if (r->nrows || r->in_row)
                    new_table(r); /* text between two tables: the next one has its own header */
                flush_table(r);
                /* A paragraph goes on when the next line follows closely at the same left edge. */
                /* (the line before it wrapped: this line's first word would not have fit after it) */
                double first_word = ws.w[l->first].x2 - ws.w[l->first].x1;
                /* (boxes of close lines may overlap a little: a gap slightly below 0 is no gap) */
                bool goes_on = r->para && gap >= -0.3 * r->pitch && gap <= 0.6 * r->pitch && fabs(l->x1 - r->para_x1) < 20 &&
                               r->last_x2 + first_word >= r->right - 30 && !numbered(whole ? whole : "") &&
                               !(whole && bullet_glyph(ws.w[l->first].text));
                if (!goes_on) {
                    flush_para(r);
                    r->para_x1 = l->x1;
                    snprintf(r->para_place, sizeof r->para_place, "page %d", index + 1);
                }
                r->para = join(r->para, whole);
                r->last_x2 = ws.w[l->first + l->n - 1].x2;
            }
            if (r->pitch <= 0 && gap > 0)
                r->pitch = l->y2 - l->y1;
            prev_y2 = l->y2;
        }
        for (int k = 0; k < ns; k++)
            free(seg[k].text);
        free(whole);
    }
    free(lines);
    words_free(&ws);
}

/* The lines of the pages' margins that recur on at least two pages (headers, footers). */
static int recurring_lines(PopplerDocument *doc, int pages, char **out, int cap)
{
    int n = 0;
    char *seen[64];
    int counts[64], nseen = 0;
    for (int i = 0; i < pages && i < 20; i++) {
        PopplerPage *pg = poppler_document_get_page(doc, i);
        double w, h;
        poppler_page_get_size(pg, &w, &h);
        words ws = {0};
        page_words(pg, &ws);
        line *lines = calloc(ws.n + 1, sizeof *lines);
        size_t nl = lines ? page_lines(&ws, lines, ws.n + 1) : 0;
        for (size_t k = 0; k < nl; k++) {
            if (!(lines[k].y2 < h * 0.1 || lines[k].y1 > h * 0.9))
                continue;
            char *t = NULL;
            for (size_t j = lines[k].first; j < lines[k].first + lines[k].n; j++)
                t = join(t, ws.w[j].text);
            int s = 0;
            while (s < nseen && t && strcmp(seen[s], t) != 0)
                s++;
            if (t && s == nseen && nseen < 64) {
                seen[nseen] = t;
                counts[nseen++] = 1;
            } else {
                if (t && s < nseen)
                    counts[s]++;
                free(t);
            }
        }
        free(lines);
        words_free(&ws);
        g_object_unref(pg);
    }
    for (int s = 0; s < nseen; s++) {
        if (counts[s] >= 2 && n < cap)
            out[n++] = seen[s];
        else
            free(seen[s]);
    }
    return n;
}

/* Every word of the document, folded, into set (the keys, owned, in *owned). Returns their count. */
static size_t read_vocab(PopplerDocument *doc, int pages, cn_strset *set, char ***owned)
{
    size_t n = 0, cap = 0;
    for (int i = 0; i < pages; i++) {
        PopplerPage *pg = poppler_document_get_page(doc, i);
        words ws = {0};
        page_words(pg, &ws);
        for (size_t k = 0; k < ws.n; k++) {
            char key[256];
            vocab_key(ws.w[k].text, strlen(ws.w[k].text), key, sizeof key);
            if (!key[0] || cn_strset_get(set, key, NULL))
                continue;
            if (n == cap) {
                size_t c = cap ? cap * 2 : 1024;
                char **p = realloc(*owned, c * sizeof *p);
                if (!p)
                    break;
                *owned = p, cap = c;
            }
            if (((*owned)[n] = strdup(key)) && cn_strset_put(set, (*owned)[n], NULL) == 0)
                n++;
            else
                free((*owned)[n]);
        }
        words_free(&ws);
        g_object_unref(pg);
    }
    return n;
}

int cn_pdf_read(const void *data, size_t len, cn_docout *out, char *err, size_t errcap)
{
    GError *gerr = NULL;
    GBytes *bytes = g_bytes_new_static(data, len);
    PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, &gerr);
    if (!doc) {
        bool locked = gerr && gerr->domain == POPPLER_ERROR && gerr->code == POPPLER_ERROR_ENCRYPTED;
        snprintf(err, errcap, locked ? "PDF protégé par un mot de passe : enregistrez-en une copie sans mot de passe"
                                     : "PDF illisible%s%s : le fichier est-il complet ?",
                 locked ? "" : " : ", locked ? "" : (gerr ? gerr->message : "?"));
        if (gerr)
            g_error_free(gerr);
        g_bytes_unref(bytes);
        return -1;
    }
    int pages = poppler_document_get_n_pages(doc);
    int rc = 0;
    if (pages > MAX_PAGES) {
        snprintf(err, errcap, "PDF de %d pages, plus que les %d qu'un plan d'action a jamais : est-ce le bon fichier ?",
                 pages, MAX_PAGES);
        rc = -1;
    }
    char *recurring[16];
    int nrec = rc == 0 ? recurring_lines(doc, pages, recurring, 16) : 0;
    reader r = {.out = out, .pitch = 0, .vocab = cn_strset_new()};
    char **vocab_words = NULL;
    size_t nvocab = rc == 0 && r.vocab ? read_vocab(doc, pages, r.vocab, &vocab_words) : 0;
    for (int i = 0; rc == 0 && i < pages; i++) {
        PopplerPage *pg = poppler_document_get_page(doc, i);
        double w, h;
        poppler_page_get_size(pg, &w, &h);
        page(&r, pg, i, h, recurring, nrec);
        g_object_unref(pg);
    }
    flush_table(&r);
    flush_para(&r);
    cn_strset_free(&r.vocab);
    for (size_t k = 0; k < nvocab; k++)
        free(vocab_words[k]);
    free(vocab_words);
    free(r.header);
    for (size_t k = 0; k < r.nheader_words; k++)
        free(r.header_words[k]);
    free(r.header_words);
    free(r.rows);
    free(r.places);
    for (int k = 0; k < nrec; k++)
        free(recurring[k]);
    if (rc == 0 && cn_docout_lines(out) == 0) {
        snprintf(err, errcap, "ce PDF n'a pas de texte (un document numérisé ?) : importez plutôt le document Word ou "
                              "LibreOffice du plan");
        rc = -1;
    }
    g_object_unref(doc);
    g_bytes_unref(bytes);
    return rc;
}
