/* Unit tests of doc_pdf.c on the Lanaudière plan as LibreOffice exports its
 * Word document to PDF (tests/fixtures/documents/001.pdf): a table of
 * eleven columns over many pages, its header repeated atop each page, rows
 * cut by page breaks. What the reader must write whatever the rest of the
 * grid: a row cut by a page break goes on without the repeated header in
 * it; a page that leaves some columns empty is the same table; text of
 * another cell never glued to a word. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "doc_out.h"
#include "office.h"

static char *text; /* 001.pdf as plan text */

static int setup(void **state)
{
    (void)state;
    FILE *f = fopen(FIXTURES "/documents/001.pdf", "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)n);
    size_t got = data ? fread(data, 1, (size_t)n, f) : 0;
    fclose(f);
    cn_office_init();
    cn_docout *out = cn_docout_new();
    const char *kind;
    char err[300];
    int rc = got == (size_t)n && out ? cn_office_read(data, got, NULL, out, &kind, err, sizeof err) : -1;
    size_t len;
    text = rc == 0 ? strdup(cn_docout_text(out, &len)) : NULL;
    cn_docout_free(&out);
    free(data);
    return text ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(text);
    return 0;
}

/* The line of text that begins with start (after a tab, or at a line's start), NUL-ended in out. */
static const char *line_of(const char *start, char *out, size_t cap)
{
    const char *p = strstr(text, start);
    if (!p)
        return "";
    const char *nl = strchr(p, '\n');
    snprintf(out, cap, "%.*s", (int)(nl ? nl - p : (long)strlen(p)), p);
    return out;
}

static void a_row_cut_by_a_page_break_goes_on_without_the_header(void **state)
{
    (void)state;
    char line[2000];
    /* 1.2.2's text begins at the foot of page 3 and ends atop page 4, under the repeated header. */
    assert_non_null(strstr(line_of("1.2.2 et d'autres activités", line, sizeof line),
                           "Note : en adhérant à cette charte, les organisations qui la signent deviennent membres "
                           "officiels de la TPDSL)"));
    assert_null(strstr(line, "MOYENS D'ACTION"));
    assert_null(strstr(line, "OBJECTIFS"));
}

static void a_page_with_empty_columns_is_the_same_table(void **state)
{
    (void)state;
    char line[2000];
    /* The end of 2.3's targets stands alone atop its page, under the repeated header: still 2.3's targets. */
    assert_non_null(strstr(line_of("2.3 Réaliser et diffuser des capsules", line, sizeof line),
                           "\tÉlus municipaux et DG Partenaires régionaux : Tables de concertation (TROCL, TCGFL, "
                           "TCRAPHL, TROCFL, etc.) CAR, G14, Table des préfets, Comité de citoyens"));
    assert_null(strstr(text, "\nCAR, G14,\n"));
}

static void text_of_another_cell_is_not_glued_to_a_word(void **state)
{
    (void)state;
    char line[2000];
    assert_null(strstr(text, "XCLDS"));
    assert_non_null(strstr(line_of("3.4 Soutenir le projet de jumelage", line, sizeof line),
                           "renforcer la gouvernance des organisations en complémentarité"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_row_cut_by_a_page_break_goes_on_without_the_header),
        cmocka_unit_test(a_page_with_empty_columns_is_the_same_table),
        cmocka_unit_test(text_of_another_cell_is_not_glued_to_a_word),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
