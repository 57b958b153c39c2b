/* layout.c: see web.h. One frame for every page, so that each is a
 * complete, accessible document: a language, a title, a link to skip to
 * the content, one stylesheet, no script but the site's own file. */
#include <stdio.h>
#include <string.h>

#include "shared.h"
#include "words.h"

const char *word(const web_req *rq, const char *v) { return cn_word(v, rq->en); }

void page_open(web_req *rq, const char *title)
{
    buf *b = &rq->body;
    buf_printf(b, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
               rq->en ? "en" : "fr");
    html_text(b, title);
    /* No favicon of our own: an empty one spares every page a 404. */
    buf_str(b, " — concertd</title>\n<link rel=\"icon\" href=\"data:,\">\n<link rel=\"stylesheet\" href=\"/style.css\">\n"
               "</head>\n<body>\n");
    buf_printf(b, "<a class=\"skip\" href=\"#contenu\">%s</a>\n", T(rq, "Aller au contenu", "Skip to content"));
    buf_printf(b, "<header class=\"site\"><div class=\"wrap\"><a class=\"brand\" href=\"/%s\">%s</a>",
               rq->en ? "?lang=en" : "", T(rq, "Plans d'action en concertation", "Concerted action plans"));
    if (rq->staff.email[0]) { /* who is logged in, and the way out */
        buf_str(b, "<form class=\"who\" method=\"post\" action=\"/deconnexion\"><span>");
        html_text(b, rq->staff.email);
        buf_str(b, " (");
        html_text(b, rq->staff.role);
        buf_str(b, ")</span> ");
        staff_csrf_field(rq);
        buf_printf(b, "<button type=\"submit\">%s</button></form>", T(rq, "Se déconnecter", "Log out"));
    }
    buf_str(b, "</div></header>\n");
    if (rq->live_region) {
        buf_str(b, "<main id=\"contenu\" class=\"wrap\" data-region=\"");
        html_text(b, rq->live_region);
        buf_str(b, "\">\n");
    } else {
        buf_str(b, "<main id=\"contenu\" class=\"wrap\">\n");
    }
}

void page_close(web_req *rq)
{
    buf *b = &rq->body;
    if (rq->live_region) /* where the script says what it updated */
        buf_str(b, "<p id=\"live\" class=\"live hint\" aria-live=\"polite\"></p>\n");
    buf_str(b, "</main>\n<footer class=\"site\"><div class=\"wrap\">");
    /* The other language, for this same page. */
    buf_str(b, "<a href=\"");
    html_text(b, rq->path);
    if (rq->en)
        buf_str(b, "?lang=fr\" hreflang=\"fr\" lang=\"fr\">Français</a>");
    else
        buf_str(b, "?lang=en\" hreflang=\"en\" lang=\"en\">English</a>");
    buf_printf(b, " · <span>%s</span></div></footer>\n", T(rq, "Servi par concertd", "Served by concertd"));
    if (rq->live_region)
        buf_str(b, "<script src=\"/app.js\" defer></script>\n");
    buf_str(b, "</body>\n</html>\n");
}

void page_error(web_req *rq, int status, const char *title, const char *sentence)
{
    buf_free(&rq->body);
    rq->live_region = NULL;
    rq->status = status;
    rq->content_type = "text/html; charset=utf-8";
    page_open(rq, title);
    buf *b = &rq->body;
    buf_str(b, "<h1>");
    html_text(b, title);
    buf_str(b, "</h1>\n<p>");
    html_text(b, sentence);
    buf_printf(b, "</p>\n<p><a href=\"/%s\">%s</a></p>\n", rq->en ? "?lang=en" : "",
               T(rq, "Retour à la liste des régions", "Back to the list of regions"));
    page_close(rq);
}

void region_nav(web_req *rq, const char *region, const char *current)
{
    static const char *const pages[][3] = {
        {"", "Le plan d'action", "The action plan"},
        {"/echeances", "Échéances", "Due dates"},
        {"/calendrier", "Calendrier des activités", "Calendar of activities"},
        {"/veille", "Veille", "Watch"},
        {"/adhesion", "Devenir membre", "Become a member"},
        {"/bilan", "Bilan de l'année", "Yearly report"},
    };
    buf *b = &rq->body;
    buf_printf(b, "<nav class=\"local\" aria-label=\"%s\"><ul>", T(rq, "Dans cette région", "In this region"));
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "/r/%s%s", region, pages[i][0]);
        buf_str(b, "<li><a ");
        link_href(rq, path);
        if (strcmp(current, pages[i][0]) == 0)
            buf_str(b, " aria-current=\"page\"");
        buf_str(b, ">");
        html_text(b, T(rq, pages[i][1], pages[i][2]));
        buf_str(b, "</a></li>");
    }
    buf_str(b, "</ul></nav>\n");
}

/* The answer when an op failed: its own words, and the status they call for. */
int page_op_failed(web_req *rq, const char *code, const char *err)
{
    int status = strcmp(code, "not_found") == 0 ? 404 : strcmp(code, "invalid_argument") == 0 ? 400
                 : strcmp(code, "unavailable") == 0                                     ? 503
                                                                                        : 500;
    page_error(rq, status,
               status == 404 ? T(rq, "Page introuvable", "Page not found")
                             : T(rq, "Cette page ne peut pas être montrée", "This page cannot be shown"),
               err);
    return 0;
}
