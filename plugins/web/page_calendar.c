/* page_calendar.c: a region's calendar of activities — the sessions of
 * the coming year (recurrences expanded by calendar.list), and one address
 * to subscribe to from any calendar app: /r/REGION/calendrier.ics, the
 * text calendar.export gives, served with its ETag so apps that ask again
 * get 304 until something changes. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "shared.h"

/* The region's name and slug, or the page for an unknown one (returns -1). */
static int region_of(web_req *rq, const char *region, char *name, size_t ncap, char *slug, size_t scap)
{
    web_result reg;
    char code[32], err[512];
    static const char *const keys[] = {"id"};
    if (web_call(rq, "region.get", 1, keys, (const char *const[]){region}, &reg, code, sizeof code, err,
                 sizeof err) != 0) {
        web_result_free(&reg);
        page_op_failed(rq, code, err);
        return -1;
    }
    mp_text(cd_get(&reg.u.data, "name"), name, ncap);
    mp_text(cd_get(&reg.u.data, "id"), slug, scap);
    web_result_free(&reg);
    return 0;
}

/* "2027-01-19T13:30" → "2027-01-19 13 h 30" (French) or "2027-01-19 13:30". */
static void when(web_req *rq, const char *occurrence)
{
    buf *b = &rq->body;
    char date[11] = "", hh[3] = "", mm[3] = "";
    if (sscanf(occurrence, "%10[0-9-]T%2[0-9]:%2[0-9]", date, hh, mm) == 3)
        buf_printf(b, rq->en ? "<time datetime=\"%s\">%s %s:%s</time>" : "<time datetime=\"%s\">%s %s h %s</time>",
                   occurrence, date, hh, mm);
    else
        html_text(b, occurrence);
}

/* How far back the page shows sessions to mark held. */
enum { RECENT_DAYS = 60 };

/* The sessions that have begun by now (past) or not yet, as a table when
 * write is 1; returns how many there are. A session that has begun can be
 * marked held; the first listed session of an activity carries its move
 * form. */
static size_t sessions_table(web_req *rq, const char *slug, const msgpack_object *rows, const char *now, bool past,
                             int write)
{
    size_t n = 0;
    buf *b = &rq->body;
    bool staff = staff_may_change(rq, slug);
    for (uint32_t i = 0; i < rows->via.array.size; i++) {
        const msgpack_object *r = &rows->via.array.ptr[i];
        char occ[32], status[16];
        mp_text(cd_get(r, "occurrence"), occ, sizeof occ);
        mp_text(cd_get(r, "status"), status, sizeof status);
        if ((strcmp(occ, now) <= 0 || (strlen(occ) == 10 && strncmp(occ, now, 10) == 0)) != past)
            continue;
        if (n++ == 0 && write)
            buf_printf(b, "<div class=\"table-wrap\"><table class=\"calendar\"><thead><tr><th scope=\"col\">%s</th>"
                          "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
                          "<th scope=\"col\">%s</th></tr></thead><tbody>\n",
                       T(rq, "Quand", "When"), T(rq, "Activité", "Activity"), T(rq, "Type", "Kind"),
                       T(rq, "Lieu", "Place"), T(rq, "État", "Status"));
        if (!write)
            continue;
        buf_str(b, "<tr>");
        cell(rq, "Quand", "When");
        when(rq, occ);
        buf_str(b, "</td><th scope=\"row\">");
        html_mp(b, cd_get(r, "title"));
        buf_str(b, "</th>");
        cell(rq, "Type", "Kind");
        html_mp(b, cd_get(r, "kind"));
        buf_str(b, "</td>");
        cell(rq, "Lieu", "Place");
        html_mp(b, cd_get(r, "place"));
        buf_str(b, "</td>");
        cell(rq, "État", "Status");
        html_text(b, word(rq, status));
        if (staff && strcmp(status, "cancelled") != 0) {
            int64_t id = cd_int(cd_get(r, "id"), 0);
            if (past) {
                staff_held_controls(rq, slug, id, occ);
            } else {
                bool first = true;
                for (uint32_t k = 0; k < i && first; k++) {
                    const msgpack_object *o = &rows->via.array.ptr[k];
                    char other[32];
                    mp_text(cd_get(o, "occurrence"), other, sizeof other);
                    first = cd_int(cd_get(o, "id"), -1) != id || strcmp(other, now) <= 0;
                }
                if (first)
                    staff_move_controls(rq, slug, id);
            }
        }
        buf_str(b, "</td></tr>\n");
    }
    if (n && write)
        buf_str(b, "</tbody></table></div>\n");
    return n;
}

int page_calendar(web_req *rq, const char *region)
{
    char name[256], slug[64], code[32], err[512], from[11], to[11];
    if (region_of(rq, region, name, sizeof name, slug, sizeof slug) != 0)
        return 0;
    day_iso(-RECENT_DAYS, from);
    day_iso(365, to);
    web_result list;
    static const char *const keys[] = {"region", "from", "to"};
    if (web_call(rq, "calendar.list", 3, keys, (const char *const[]){slug, from, to}, &list, code, sizeof code, err,
                 sizeof err) != 0) {
        web_result_free(&list);
        if (strcmp(code, "unknown_op") == 0 || strcmp(code, "unavailable") == 0) {
            page_error(rq, 404, T(rq, "Pas de calendrier ici", "No calendar here"),
                       T(rq, "Ce nœud ne tient pas de calendrier des activités (le greffon calendar n'est pas en "
                             "service).",
                         "This node keeps no calendar of activities (the calendar plugin is not running)."));
            return 0;
        }
        return page_op_failed(rq, code, err);
    }
    buf *b = &rq->body;
    char title[320];
    snprintf(title, sizeof title, "%s — %s", name, T(rq, "calendrier des activités", "calendar of activities"));
    rq->live_region = slug;
    page_open(rq, title);
    buf_str(b, "<h1>");
    html_text(b, title);
    buf_str(b, "</h1>\n");
    region_nav(rq, slug, "/calendrier");
    /* Subscribing: one address, followed by the app after every change. */
    const char *host = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    char ics[128];
    snprintf(ics, sizeof ics, "/r/%s/calendrier.ics", slug);
    buf_printf(b, "<section aria-labelledby=\"abonnement\" class=\"subscribe\"><h2 id=\"abonnement\">%s</h2><p>",
               T(rq, "S'abonner", "Subscribe"));
    if (host) {
        buf_str(b, "<a class=\"button\" href=\"webcal://");
        html_text(b, host);
        html_text(b, ics);
        buf_printf(b, "\">%s</a> ", T(rq, "Ajouter à mon agenda", "Add to my calendar"));
    }
    buf_str(b, "<a href=\"");
    html_text(b, ics);
    buf_printf(b, "\" type=\"text/calendar\">%s</a></p>", T(rq, "Adresse du calendrier (.ics)", "Calendar address (.ics)"));
    buf_printf(b, "<p class=\"hint\">%s</p></section>\n",
               T(rq, "Dans Google Agenda : « Autres agendas » → « À partir de l'URL » ; dans Outlook : « Ajouter un "
                     "calendrier » → « S'abonner à partir du web » ; sur iPhone ou Mac : « Nouvel abonnement ». "
                     "L'agenda suit ensuite chaque changement.",
                 "In Google Calendar: \"Other calendars\" → \"From URL\"; in Outlook: \"Add calendar\" → "
                 "\"Subscribe from web\"; on iPhone or Mac: \"New calendar subscription\". Your app then follows "
                 "every change."));
    const msgpack_object *rows = list.u.data.type == MSGPACK_OBJECT_ARRAY ? &list.u.data : NULL;
    char now[20];
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M", &tm);
    /* Sessions of the last weeks come first for whoever records them: a
     * session is marked held once it has begun, never ahead. */
    if (rows && staff_may_change(rq, slug) && sessions_table(rq, slug, rows, now, true, 0) > 0) {
        buf_printf(b, "<section id=\"passees-section\" data-live aria-labelledby=\"passees\"><h2 id=\"passees\">%s</h2>\n"
                      "<p class=\"hint\">%s</p>\n",
                   T(rq, "Les séances des dernières semaines", "Sessions of the last weeks"),
                   T(rq, "Enregistrez la participation d'une séance une fois tenue.",
                     "Record a session's participation once it has taken place."));
        sessions_table(rq, slug, rows, now, true, 1);
        buf_str(b, "</section>\n");
    }
    buf_printf(b, "<section id=\"seances-section\" data-live aria-labelledby=\"seances\"><h2 id=\"seances\">%s</h2>\n",
               T(rq, "Les séances à venir", "Coming sessions"));
    if (!rows || sessions_table(rq, slug, rows, now, false, 1) == 0)
        buf_printf(b, "<p>%s</p>\n", T(rq, "Aucune activité prévue d'ici un an.", "No activity planned within a year."));
    buf_str(b, "</section>\n");
    if (staff_may_change(rq, slug))
        staff_calendar_form(rq, slug);
    page_close(rq);
    web_result_free(&list);
    return 0;
}

int calendar_ics(web_req *rq, const char *region)
{
    web_result res;
    char code[32], err[512];
    static const char *const keys[] = {"region"};
    if (web_call(rq, "calendar.export", 1, keys, (const char *const[]){region}, &res, code, sizeof code, err,
                 sizeof err) != 0) {
        web_result_free(&res);
        return page_op_failed(rq, code, err);
    }
    const msgpack_object *text = cd_get(&res.u.data, "text");
    rq->content_type = "text/calendar; charset=utf-8";
    if (text && text->type == MSGPACK_OBJECT_STR)
        buf_add(&rq->body, text->via.str.ptr, text->via.str.size);
    web_result_free(&res);
    return 0;
}
