/* The veille's reading of feeds, against values worked out by hand (epoch
 * seconds from Python's calendar.timegm): the dates feeds write, and pages
 * that are not feeds. (Folding and word boundaries: tests/unit/lib.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
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
        {"", 0},
        {"bientôt", 0},
        {"2026-13-45", 0},
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
    assert_int_equal(f.n, 1); /* an item with nothing to know it by is dropped */
    assert_string_equal(f.items[0].title, "A & B");
    assert_string_equal(f.items[0].link, "https://x.example/flux/a.html");
    vp_feed_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dates_in_the_shapes_feeds_write),
        cmocka_unit_test(a_page_is_not_a_feed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
