/* The veille's reading of feeds, against values worked out by hand (epoch
 * seconds from Python's calendar.timegm): the dates feeds write, and pages
 * that are not feeds. (Folding and word boundaries: tests/unit/lib.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#include <cmocka.h>

#include "feed_parse.h"

static void dates_in_the_shapes_feeds_write(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t seconds;
    } cases[] = {
        {"Thu, 19 Nov 2026 10:00:00 -0500", 1795100400},
        {"Thu, 19 Nov 2026 15:00:00 GMT", 1795100400},
        {"19 Nov 2026 10:00 EST", 1795100400},
        {"  Thu, 19 Nov 26 10:00:00 -0500 ", 1795100400},
        {"2026-11-19T10:00:00-05:00", 1795100400},
        {"2026-11-19T15:00:00Z", 1795100400},
        {"2026-11-19T15:00:00.250Z", 1795100400},
        {"2026-11-19 15:00:00", 1795100400},
        {"2026-11-19T10:00:00-0500", 1795100400},
        {"2026-11-19", 1795046400},
        {"jeu., 19 nov. 2026 10:00:00 -0500", 1795100400},
        {"jeudi 19 novembre 2026 10:00:00 -0500", 1795100400},
        {"15 janvier 2027 09:30:00 +0000", 1800005400},
        {"sam, 01 août 2026 12:00:00 GMT", 1785585600},
        {"1 aout 2026 12:00:00 GMT", 1785585600},
        /* colons in offsets, full English names, GMT±H, French "1er" and "à 10 h 00" */
        {"Mon, 03 Mar 2025 10:00:00 +01:00", 1740992400},
        {"Monday, 03 March 2025 10:00:00 GMT", 1740996000},
        {"Mon, 03 Mar 2025 10:00:00 GMT+1", 1740992400},
        {"Mon, 03 Mar 2025 10:00:00 GMT-01:01", 1740999660},
        {"1er mars 2025 à 10 h 00", 1740823200},
        /* zones by name: Newfoundland, Alaska, Québec's French names, after an ISO date too */
        {"Mon, 03 Mar 2025 10:00:00 NST", 1741008600},
        {"3 mars 2025 10 h 00 HNE", 1741014000},
        {"Mon, 03 Mar 2025 10:00:00 AKST", 1741028400},
        {"2026-11-19T10:00:00 EST", 1795100400},
        {"2026-11-19T10:00:5", 1795082405}, /* one digit of seconds, at the end (the feed fuzzer: read past it) */
        {"19 Nov 2026 10:00 HAE", 1795096800},
        {"", 0},
        {"bientôt", 0},
        {"2026-13-45", 0},
        {"19 Nov 2026410500", 0}, /* a year curl reads whole: past 9999 (the feed fuzzer: overflow in ms) */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t got = vp_date(cases[i].text);
        if (got != cases[i].seconds * 1000)
            fail_msg("« %s »: %lld, expected %lld", cases[i].text, (long long)got, (long long)cases[i].seconds * 1000);
    }
}

static void a_page_is_not_a_feed(void **state)
{
    (void)state;
    vp_feed f;
    char err[256];
    const char *html = "<!DOCTYPE html><html><body>Nouvelles</body></html>";
    assert_int_equal(vp_parse(html, strlen(html), "https://x.example/", NULL, &f, err, sizeof err), -1);
    assert_non_null(strstr(err, "<html>"));
    assert_int_equal(vp_parse("", 0, "https://x.example/", NULL, &f, err, sizeof err), -1);
    const char *rss = "<rss version='2.0'><channel><title>T&eacute;l&eacute;</title>"
                      "<item><title>A &amp; B</title><link>a.html</link></item>"
                      "<item><description>sans titre ni lien</description></item></channel></rss>";
    assert_int_equal(vp_parse(rss, strlen(rss), "https://x.example/flux/", NULL, &f, err, sizeof err), 0);
    assert_string_equal(f.title, "Télé");
    assert_int_equal(f.n, 2); /* an item with only a description is an item (RSS 2.0 allows it) */
    assert_string_equal(f.items[0].title, "A & B");
    assert_string_equal(f.items[0].link, "https://x.example/flux/a.html");
    assert_string_equal(f.items[1].title, "sans titre ni lien");
    assert_null(f.items[1].link);
    vp_feed_free(&f);
}

/* An item's title made from its description: at most 120 bytes and "…",
 * never past the description's own bytes (a fuzzer's finding: a description
 * of 121 or 122 bytes had "…" written 1 or 2 bytes past its end). */
static void a_title_from_a_long_description_fits(void **state)
{
    (void)state;
    struct {
        size_t len;     /* bytes of description: "a" repeated, or "é" when accented */
        bool accented;
        size_t kept;    /* bytes of it kept before "…", worked out by hand */
    } cases[] = {
        {120, false, 120}, /* fits: kept whole, no "…" */
        {121, false, 118}, /* 3 bytes of "…" within the 121 */
        {122, false, 119},
        {123, false, 120},
        {400, false, 120},
        {122, true, 118},  /* 61 "é": 119 falls inside one, back to 118 */
        {240, true, 120},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char desc[512], rss[1024], want[512];
        for (size_t k = 0; k < cases[i].len; k++)
            desc[k] = cases[i].accented ? (k % 2 ? '\xa9' : '\xc3') : 'a';
        desc[cases[i].len] = '\0';
        snprintf(rss, sizeof rss, "<rss version='2.0'><channel><title>T</title><item><description>%s</description>"
                                  "</item></channel></rss>", desc);
        snprintf(want, sizeof want, "%.*s%s", (int)cases[i].kept, desc, cases[i].kept < cases[i].len ? "…" : "");
        vp_feed f;
        char err[256];
        assert_int_equal(vp_parse(rss, strlen(rss), "https://x.example/", NULL, &f, err, sizeof err), 0);
        assert_int_equal(f.n, 1);
        assert_string_equal(f.items[0].title, want);
        vp_feed_free(&f);
    }
    /* Words: cut after the last whole word within the limit. */
    const char *words = "<rss version='2.0'><channel><title>T</title><item><description>"
                        "Appel de projets du Fonds de solidarité régional pour la lutte contre la pauvreté et "
                        "l'exclusion sociale en Lanaudière, volet 2027</description></item></channel></rss>";
    vp_feed f;
    char err[256];
    assert_int_equal(vp_parse(words, strlen(words), "https://x.example/", NULL, &f, err, sizeof err), 0);
    assert_string_equal(f.items[0].title, "Appel de projets du Fonds de solidarité régional pour la lutte contre la "
                                          "pauvreté et l'exclusion sociale en…");
    vp_feed_free(&f);
}

/* What feeds in the wild get wrong, read as a feed reader would, and said. */
static void repaired_feeds_lose_nothing(void **state)
{
    (void)state;
    vp_feed f;
    char err[256];
    /* Bare ampersands: words and query strings kept whole. */
    const char *amp = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Emploi & Solidarité</title>"
                      "<item><title>R&D en Lanaudière</title><link>https://ex.org/a?id=123&lang=fr</link></item>"
                      "</channel></rss>";
    assert_int_equal(vp_parse(amp, strlen(amp), "https://ex.org/", NULL, &f, err, sizeof err), 0);
    assert_string_equal(f.title, "Emploi & Solidarité");
    assert_string_equal(f.items[0].title, "R&D en Lanaudière");
    assert_string_equal(f.items[0].link, "https://ex.org/a?id=123&lang=fr");
    assert_non_null(f.warning);
    assert_non_null(strstr(f.warning, "&"));
    vp_feed_free(&f);
    /* Windows-1252 (declared ISO-8859-1) with a byte 1252 leaves undefined (0x81):
     * every item kept, the byte replaced, and said. */
    const char *latin = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><title>F</title>"
                        "<item><title>Caf\xe9 \x81 d\xe9" "bat</title><guid>1</guid></item>"
                        "<item><title>\x93" "Deux\x94</title><guid>2</guid></item>"
                        "<item><title>Trois\x8d" "</title><guid>3</guid></item></channel></rss>";
    assert_int_equal(vp_parse(latin, strlen(latin), "https://ex.org/", NULL, &f, err, sizeof err), 0);
    assert_int_equal(f.n, 3);
    assert_string_equal(f.items[0].title, "Café \xef\xbf\xbd débat");
    assert_string_equal(f.items[1].title, "\xe2\x80\x9c" "Deux\xe2\x80\x9d");
    assert_non_null(f.warning);
    vp_feed_free(&f);
    /* UTF-8 with a BOM and one stray byte: not lost whole. */
    const char *stray = "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>"
                        "<title>Fil</title><item><title>Été \xff ici</title><guid>1</guid></item>"
                        "<item><title>Deux</title><guid>2</guid></item></channel></rss>";
    assert_int_equal(vp_parse(stray, strlen(stray), "https://ex.org/", NULL, &f, err, sizeof err), 0);
    assert_int_equal(f.n, 2);
    assert_string_equal(f.items[0].title, "Été \xef\xbf\xbd ici");
    assert_non_null(f.warning);
    vp_feed_free(&f);
    /* UTF-16 without a byte order mark. */
    const char *ascii = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss version=\"2.0\"><channel><title>Seize</title>"
                        "<item><title>Un</title><guid>1</guid></item></channel></rss>";
    size_t n16 = strlen(ascii) * 2;
    char *u16 = calloc(1, n16);
    for (size_t i = 0; ascii[i]; i++)
        u16[2 * i] = ascii[i];
    assert_int_equal(vp_parse(u16, n16, "https://ex.org/", NULL, &f, err, sizeof err), 0);
    assert_string_equal(f.title, "Seize");
    assert_int_equal(f.n, 1);
    vp_feed_free(&f);
    free(u16);
    /* Atom text constructs are text: "<…>" kept, "&amp;amp;" decoded once. */
    const char *atom = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title type=\"text\">A &amp;amp; B</title>"
                       "<entry><id>1</id><title type=\"text\">Atelier &lt;Mobilisation&gt; 2025</title></entry>"
                       "<entry><id>2</id><title type=\"html\">&lt;em&gt;Forum&lt;/em&gt; &amp;amp; atelier</title></entry>"
                       "</feed>";
    assert_int_equal(vp_parse(atom, strlen(atom), "https://ex.org/", NULL, &f, err, sizeof err), 0);
    assert_string_equal(f.title, "A &amp; B");
    assert_string_equal(f.items[0].title, "Atelier <Mobilisation> 2025");
    assert_string_equal(f.items[1].title, "Forum & atelier");
    assert_null(f.warning);
    vp_feed_free(&f);
}

/* Documents built to hurt: no entity is expanded past reason, no file or
 * network is read, and a nesting bomb is refused or read without harm. */
static void hostile_xml_is_harmless(void **state)
{
    (void)state;
    vp_feed f;
    char err[256];
    /* A UTF-8 byte order mark, then a UTF-16 one (a fuzzer's finding: the
     * encoding was taken as none, and compared as a NULL string). */
    const char *marks = "\xEF\xBB\xBF\xFF\xFE<rss version='2.0'><channel><title>Fil</title>"
                        "<item><title>Un</title><guid>1</guid></item></channel></rss>";
    if (vp_parse(marks, strlen(marks), "https://ex.org/", NULL, &f, err, sizeof err) == 0) {
        assert_string_equal(f.title, "Fil");
        vp_feed_free(&f);
    } else {
        assert_true(err[0]);
    }
    char laughs[2048] = "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY l0 \"ha\">";
    for (int i = 1; i <= 10; i++) {
        size_t n = strlen(laughs);
        snprintf(laughs + n, sizeof laughs - n, "<!ENTITY l%d \"&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;\">", i,
                 i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
    }
    strcat(laughs, "]><rss version=\"2.0\"><channel><title>&l10;</title><item><title>x</title></item></channel></rss>");
    int rc = vp_parse(laughs, strlen(laughs), "https://ex.org/", NULL, &f, err, sizeof err);
    if (rc == 0) {
        assert_true(!f.title || strlen(f.title) < 100000); /* 10^10 "ha" never built */
        vp_feed_free(&f);
    } else {
        assert_true(err[0]);
    }
    const char *xxe = "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                      "<rss version=\"2.0\"><channel><title>T</title><item><title>a&x;b</title><guid>1</guid></item>"
                      "</channel></rss>";
    rc = vp_parse(xxe, strlen(xxe), "https://ex.org/", NULL, &f, err, sizeof err);
    if (rc == 0) {
        for (size_t i = 0; i < f.n; i++)
            assert_null(f.items[i].title ? strstr(f.items[i].title, "root:") : NULL);
        vp_feed_free(&f);
    }
    size_t depth = 100000;
    char *deep = malloc(depth * 3 + 64);
    strcpy(deep, "<rss version=\"2.0\"><channel>");
    char *end = deep + strlen(deep);
    for (size_t i = 0; i < depth; i++, end += 3)
        memcpy(end, "<a>", 4);
    rc = vp_parse(deep, strlen(deep), "https://ex.org/", NULL, &f, err, sizeof err);
    if (rc == 0)
        vp_feed_free(&f);
    else
        assert_true(err[0]);
    free(deep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dates_in_the_shapes_feeds_write),
        cmocka_unit_test(a_page_is_not_a_feed),
        cmocka_unit_test(a_title_from_a_long_description_fits),
        cmocka_unit_test(repaired_feeds_lose_nothing),
        cmocka_unit_test(hostile_xml_is_harmless),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
