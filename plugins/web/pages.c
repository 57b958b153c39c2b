/* pages.c: the pages people read. Each asks the ops what concertctl would
 * ask (region.overview, region.get, plan.export, echeance.list) and writes
 * their answer as HTML, every text escaped (buf.c). */
#define _GNU_SOURCE /* strcasestr */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shared.h"

/* ---- / : the node's regions ----------------------------------------------- */

int page_home(web_req *rq)
{
    web_result res;
    char code[32], err[512];
    if (web_call(rq, "region.overview", 0, NULL, NULL, &res, code, sizeof code, err, sizeof err) != 0) {
        web_result_free(&res);
        return page_op_failed(rq, code, err);
    }
    const msgpack_object *rows = &res.u.data;
    buf *b = &rq->body;
    rq->live_region = "";
    page_open(rq, T(rq, "Les régions et leurs plans", "Regions and their plans"));
    buf_printf(b, "<h1>%s</h1>\n", T(rq, "Les régions et leurs plans d'action", "Regions and their action plans"));
    if (rows->type != MSGPACK_OBJECT_ARRAY || rows->via.array.size == 0) {
        buf_printf(b, "<p>%s</p>\n", T(rq, "Aucune région n'est encore inscrite sur ce nœud.",
                                       "No region is registered on this node yet."));
        page_close(rq);
        web_result_free(&res);
        return 0;
    }
    buf_printf(b, "<div class=\"table-wrap\"><table class=\"regions\" id=\"regions\" data-live>\n<caption>%s</caption>\n<thead><tr>"
                  "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
                  "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
                  "<th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
               T(rq, "Avancement de chaque plan en vigueur", "Progress of each active plan"), T(rq, "Région", "Region"),
               T(rq, "Plan", "Plan"), T(rq, "Réalisé", "Done"), T(rq, "Actions", "Actions"),
               T(rq, "Prochaine échéance", "Next due"), T(rq, "En retard", "Overdue"), T(rq, "Membres", "Members"));
    for (uint32_t i = 0; i < rows->via.array.size; i++) {
        const msgpack_object *r = &rows->via.array.ptr[i];
        char region[64], path[96], origin[64];
        mp_text(cd_get(r, "region"), region, sizeof region);
        mp_text(cd_get(r, "origin"), origin, sizeof origin);
        snprintf(path, sizeof path, "/r/%s", region);
        bool copy = mp_bool(cd_get(r, "mirror"));
        buf_str(b, "<tr><th scope=\"row\"><a ");
        link_href(rq, path);
        buf_str(b, ">");
        html_mp(b, cd_get(r, "name"));
        buf_str(b, "</a>");
        if (copy) {
            buf_printf(b, " <span class=\"owner\">%s ", T(rq, "copie du nœud", "copy from node"));
            html_text(b, origin);
            /* Until when the copy is known up to date: a silent peer's shows its age. */
            const msgpack_object *as_of = cd_get(r, "as_of_ms");
            if (as_of && as_of->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
                char when[32];
                time_t t = (time_t)(as_of->via.u64 / 1000);
                struct tm tm;
                localtime_r(&t, &tm);
                strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
                buf_printf(b, ", %s %s", T(rq, "à jour au", "up to date at"), when);
            }
            buf_str(b, "</span>");
        }
        if (mp_bool(cd_get(r, "demo")))
            buf_printf(b, " <span class=\"owner demo\">%s</span>", T(rq, "démo", "demo"));
        buf_str(b, "</th>");
        cell(rq, "Plan", "Plan");
        if (mp_is_str(cd_get(r, "title")))
            html_mp(b, cd_get(r, "title"));
        else
            buf_str(b, T(rq, "aucun plan en vigueur", "no active plan"));
        buf_str(b, "</td>");
        cell(rq, "Réalisé", "Done");
        if (mp_is_num(cd_get(r, "percent_done"))) {
            int pct = (int)mp_num(cd_get(r, "percent_done"));
            buf_printf(b, "<meter min=\"0\" max=\"100\" value=\"%d\">%d %%</meter> %d %%", pct, pct, pct);
        }
        buf_str(b, "</td>");
        cell(rq, "Actions", "Actions");
        buf_printf(b, "%lld / %lld / %lld <span class=\"hint\">(%s)</span>",
                   (long long)mp_num(cd_get(r, "done")), (long long)mp_num(cd_get(r, "in_progress")),
                   (long long)mp_num(cd_get(r, "planned")),
                   T(rq, "réalisées / en cours / prévues", "done / in progress / planned"));
        buf_str(b, "</td>");
        cell(rq, "Prochaine échéance", "Next due");
        if (mp_is_str(cd_get(r, "next_due"))) {
            html_mp(b, cd_get(r, "next_due"));
            if (mp_is_num(cd_get(r, "days_to_next_due")))
                buf_printf(b, " <span class=\"hint\">(%s %lld %s)</span>", T(rq, "dans", "in"),
                           (long long)mp_num(cd_get(r, "days_to_next_due")), T(rq, "jours", "days"));
        }
        buf_str(b, "</td>");
        cell(rq, "En retard", "Overdue");
        long long overdue = (long long)mp_num(cd_get(r, "overdue"));
        buf_printf(b, overdue ? "<strong class=\"late\">%lld</strong>" : "%lld", overdue);
        buf_str(b, "</td>");
        cell(rq, "Membres", "Members");
        if (mp_is_num(cd_get(r, "members")))
            html_number(b, cd_get(r, "members"));
        buf_str(b, "</td></tr>\n");
    }
    buf_str(b, "</tbody></table></div>\n");
    buf_printf(b, "<p><a href=\"/regions.csv%s\">%s</a></p>\n", rq->en ? "?lang=en" : "",
               T(rq, "Ce tableau pour un tableur (CSV)", "This table for a spreadsheet (CSV)"));
    page_close(rq);
    web_result_free(&res);
    return 0;
}

/* /regions.csv: region.overview as CSV, for the network's reports. */
int regions_csv(web_req *rq)
{
    web_result res;
    char code[32], err[512];
    static const char *const keys[] = {"format"}, *const values[] = {"csv"};
    if (web_call(rq, "region.overview", 1, keys, values, &res, code, sizeof code, err, sizeof err) != 0) {
        web_result_free(&res);
        return page_op_failed(rq, code, err);
    }
    const msgpack_object *text = cd_get(&res.u.data, "text");
    char name[64];
    mp_text(cd_get(&res.u.data, "filename"), name, sizeof name);
    static char disposition[128]; /* the loop's one request at a time */
    snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"", name);
    rq->content_type = "text/csv; charset=utf-8";
    rq->disposition = disposition;
    if (text && text->type == MSGPACK_OBJECT_STR)
        buf_add(&rq->body, text->via.str.ptr, text->via.str.size);
    web_result_free(&res);
    return 0;
}

/* ---- /r/REGION : the plan --------------------------------------------------- */

/* The filters people set in the plan's form (?state=…&responsible=…&late=1&month=1). */
typedef struct {
    char state[32], responsible[128], today[11], month_end[11];
    bool late, month;
} filters;

/* The last day of a dated window that is still open, or "" for none. */
static void last_end(const msgpack_object *act, char out[11])
{
    out[0] = '\0';
    const msgpack_object *w = cd_get(act, "windows");
    for (uint32_t i = 0; w && w->type == MSGPACK_OBJECT_ARRAY && i < w->via.array.size; i++) {
        char end[11];
        mp_text(cd_get(&w->via.array.ptr[i], "end"), end, sizeof end);
        if (end[0] && strcmp(end, out) > 0)
            snprintf(out, 11, "%s", end);
    }
}

static bool is_open(const char *status) { return strcmp(status, "done") != 0 && strcmp(status, "cancelled") != 0; }

static bool shown(const filters *f, const msgpack_object *act)
{
    char status[32], resp[256], end[11];
    mp_text(cd_get(act, "status"), status, sizeof status);
    if (f->state[0] && strcmp(status, f->state) != 0)
        return false;
    if (f->responsible[0]) {
        mp_text(cd_get(act, "responsible"), resp, sizeof resp);
        if (!strcasestr(resp, f->responsible))
            return false;
    }
    last_end(act, end);
    if (f->late && !(end[0] && strcmp(end, f->today) < 0 && is_open(status)))
        return false;
    if (f->month) { /* a dated window that ends this month, still to do */
        bool due = false;
        const msgpack_object *w = cd_get(act, "windows");
        for (uint32_t i = 0; w && w->type == MSGPACK_OBJECT_ARRAY && i < w->via.array.size; i++) {
            char e[11];
            mp_text(cd_get(&w->via.array.ptr[i], "end"), e, sizeof e);
            due = due || (e[0] && strncmp(e, f->today, 7) == 0);
        }
        if (!due || !is_open(status))
            return false;
    }
    return true;
}

/* The day after date (YYYY-MM-DD) into out. */
static void next_day(const char *date, char out[11])
{
    struct tm tm = {0};
    if (sscanf(date, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3) {
        out[0] = '\0';
        return;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    tm.tm_mday += 1;
    tm.tm_hour = 12;
    mktime(&tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

/* The échéance as dates: windows that follow each other (An 1, An 2, …)
 * shown as one span, the others one per line. */
static void windows_text(web_req *rq, const msgpack_object *act)
{
    buf *b = &rq->body;
    const msgpack_object *w = cd_get(act, "windows");
    uint32_t n = w && w->type == MSGPACK_OBJECT_ARRAY ? w->via.array.size : 0;
    for (uint32_t i = 0; i < n; i++) {
        char kind[16], start[11], end[11];
        mp_text(cd_get(&w->via.array.ptr[i], "kind"), kind, sizeof kind);
        mp_text(cd_get(&w->via.array.ptr[i], "start"), start, sizeof start);
        mp_text(cd_get(&w->via.array.ptr[i], "end"), end, sizeof end);
        buf_str(b, "<span class=\"dates\">");
        if (strcmp(kind, "dated") != 0) {
            html_text(b, word(rq, kind));
        } else {
            while (i + 1 < n) { /* the next window starts the day after this one ends */
                char after[11], kind2[16], start2[11];
                next_day(end, after);
                mp_text(cd_get(&w->via.array.ptr[i + 1], "kind"), kind2, sizeof kind2);
                mp_text(cd_get(&w->via.array.ptr[i + 1], "start"), start2, sizeof start2);
                if (strcmp(kind2, "dated") != 0 || strcmp(start2, after) != 0)
                    break;
                i++;
                mp_text(cd_get(&w->via.array.ptr[i], "end"), end, sizeof end);
            }
            buf_printf(b, strcmp(start, end) == 0 ? "%s" : "%s → %s", start, end);
        }
        buf_str(b, "</span>");
    }
}

static void action_row(web_req *rq, const msgpack_object *act, const filters *f, const char *region)
{
    buf *b = &rq->body;
    char number[32], status[32], end[11];
    mp_text(cd_get(act, "number"), number, sizeof number);
    mp_text(cd_get(act, "status"), status, sizeof status);
    last_end(act, end);
    bool late = end[0] && strcmp(end, f->today) < 0 && is_open(status);
    buf_str(b, "<tr id=\"action-");
    html_text(b, number);
    buf_str(b, "\" data-live><th scope=\"row\">");
    html_text(b, number);
    buf_str(b, "</th>");
    cell(rq, "Moyen d'action", "Action");
    html_mp(b, cd_get(act, "text"));
    const msgpack_object *notes = cd_get(act, "notes");
    if (notes && notes->type == MSGPACK_OBJECT_ARRAY && notes->via.array.size) {
        buf_printf(b, "<details><summary>%s (%u)</summary><ul class=\"notes\">",
                   T(rq, "Notes de suivi", "Follow-up notes"), notes->via.array.size);
        for (uint32_t i = 0; i < notes->via.array.size; i++) {
            const msgpack_object *n = &notes->via.array.ptr[i];
            buf_str(b, "<li><time>");
            html_mp(b, cd_get(n, "date"));
            buf_str(b, "</time> ");
            html_mp(b, cd_get(n, "text"));
            if (mp_is_str(cd_get(n, "author"))) { /* who wrote it */
                buf_str(b, " <span class=\"hint\">— ");
                html_mp(b, cd_get(n, "author"));
                buf_str(b, "</span>");
            }
            buf_str(b, "</li>");
        }
        buf_str(b, "</ul></details>");
    }
    buf_str(b, "</td>");
    cell(rq, "Cibles", "Targets");
    const msgpack_object *targets = cd_get(act, "targets");
    for (uint32_t i = 0; targets && targets->type == MSGPACK_OBJECT_ARRAY && i < targets->via.array.size; i++) {
        if (i)
            buf_str(b, "; ");
        html_mp(b, &targets->via.array.ptr[i]);
    }
    buf_str(b, "</td>");
    cell(rq, "Échéance", "Due");
    html_mp(b, cd_get(act, "schedule"));
    buf_str(b, " ");
    windows_text(rq, act);
    buf_str(b, "</td>");
    cell(rq, "Responsable", "Responsible");
    html_mp(b, cd_get(act, "responsible"));
    buf_str(b, "</td>");
    cell(rq, "Résultat attendu", "Expected result");
    html_mp(b, cd_get(act, "expected_result"));
    buf_str(b, "</td>");
    cell(rq, "État", "State");
    buf_printf(b, "<span class=\"state state-%s\">", status);
    html_text(b, word(rq, status));
    buf_str(b, "</span>");
    if (late)
        buf_printf(b, " <strong class=\"late\">%s</strong>", T(rq, "en retard", "overdue"));
    if (staff_may_change(rq, region))
        staff_action_controls(rq, region, number, status);
    buf_str(b, "</td></tr>\n");
}

static void actions_table(web_req *rq, const msgpack_object *actions, const char *objective, const filters *f,
                          const char *region)
{
    buf *b = &rq->body;
    size_t n = 0;
    for (uint32_t i = 0; actions && i < actions->via.array.size; i++) {
        const msgpack_object *a = &actions->via.array.ptr[i];
        char obj[32];
        mp_text(cd_get(a, "objective"), obj, sizeof obj);
        if (strcmp(obj, objective) != 0 || !shown(f, a))
            continue;
        if (n++ == 0)
            buf_printf(b, "<div class=\"table-wrap\"><table class=\"actions\">\n<thead><tr><th scope=\"col\">%s</th>"
                          "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
                          "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead>"
                          "\n<tbody>\n",
                       T(rq, "Nº", "No."), T(rq, "Moyen d'action", "Action"), T(rq, "Cibles", "Targets"),
                       T(rq, "Échéance", "Due"), T(rq, "Responsable", "Responsible"),
                       T(rq, "Résultat attendu", "Expected result"), T(rq, "État", "State"));
        action_row(rq, a, f, region);
    }
    if (n)
        buf_str(b, "</tbody></table></div>\n");
    else
        buf_printf(b, "<p class=\"hint\">%s</p>\n", T(rq, "Aucune action ne répond aux filtres.",
                                                      "No action matches the filters."));
}

/* The measurements of one indicator as a small line chart (inline SVG:
 * presentation attributes only, so the page's security policy holds). */
static void sparkline(buf *b, const msgpack_object *ms, const msgpack_object *target, const web_req *rq)
{
    uint32_t n = ms && ms->type == MSGPACK_OBJECT_ARRAY ? ms->via.array.size : 0;
    if (n == 0)
        return;
    double max = mp_is_num(target) ? mp_num(target) : 0;
    for (uint32_t i = 0; i < n; i++)
        if (mp_num(cd_get(&ms->via.array.ptr[i], "value")) > max)
            max = mp_num(cd_get(&ms->via.array.ptr[i], "value"));
    if (max <= 0)
        max = 1;
    const int w = 160, h = 40;
    buf_printf(b, "<svg class=\"spark\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"%s\">",
               w, h, w, h, T(rq, "Mesures dans le temps", "Measurements over time"));
    if (mp_is_num(target))
        buf_printf(b, "<line x1=\"0\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#6b7785\" stroke-dasharray=\"3 3\"/>", w,
                   h - 2 - (h - 4) * mp_num(target) / max, h - 2 - (h - 4) * mp_num(target) / max);
    buf_str(b, "<polyline fill=\"none\" stroke=\"#095797\" stroke-width=\"2\" points=\"");
    for (uint32_t i = 0; i < n; i++) {
        double x = n == 1 ? w / 2.0 : 2 + (w - 4) * (double)i / (n - 1);
        double y = h - 2 - (h - 4) * mp_num(cd_get(&ms->via.array.ptr[i], "value")) / max;
        buf_printf(b, "%.1f,%.1f ", x, y);
    }
    buf_str(b, "\"/></svg>");
}

/* The id of the plan's indicator named name (on action, or none), from
 * indicator.list's rows; 0 when not found. */
static int64_t indicator_id(const msgpack_object *list, const msgpack_object *name, const msgpack_object *action)
{
    char n[256], a[32], ln[256], la[32];
    mp_text(name, n, sizeof n);
    mp_text(action, a, sizeof a);
    for (uint32_t i = 0; list && list->type == MSGPACK_OBJECT_ARRAY && i < list->via.array.size; i++) {
        mp_text(cd_get(&list->via.array.ptr[i], "name"), ln, sizeof ln);
        mp_text(cd_get(&list->via.array.ptr[i], "action"), la, sizeof la);
        if (strcmp(n, ln) == 0 && strcmp(a, la) == 0)
            return cd_int(cd_get(&list->via.array.ptr[i], "id"), 0);
    }
    return 0;
}

static void indicators_section(web_req *rq, const msgpack_object *inds, const char *region)
{
    web_result ids = {0};
    bool staff = staff_may_change(rq, region);
    if (staff) { /* the document has no ids: the list gives them, for the forms */
        char code[32], err[256];
        static const char *const keys[] = {"region"};
        if (web_call(rq, "indicator.list", 1, keys, (const char *const[]){region}, &ids, code, sizeof code, err,
                     sizeof err) != 0)
            staff = false;
    }
    buf *b = &rq->body;
    if (!inds || inds->type != MSGPACK_OBJECT_ARRAY || inds->via.array.size == 0) {
        web_result_free(&ids); /* safe when never filled */
        return;
    }
    buf_printf(b, "<section id=\"indicateurs-section\" data-live aria-labelledby=\"indicateurs\"><h2 id=\"indicateurs\">%s</h2>\n<div class=\"table-wrap\">"
                  "<table class=\"indicators\"><thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
                  "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead><tbody>\n",
               T(rq, "Indicateurs de suivi", "Follow-up indicators"), T(rq, "Indicateur", "Indicator"),
               T(rq, "Action", "Action"), T(rq, "Cible", "Target"), T(rq, "Dernière mesure", "Latest"),
               T(rq, "Évolution", "Trend"));
    for (uint32_t i = 0; i < inds->via.array.size; i++) {
        const msgpack_object *ind = &inds->via.array.ptr[i];
        const msgpack_object *ms = cd_get(ind, "measurements");
        buf_str(b, "<tr><th scope=\"row\">");
        html_mp(b, cd_get(ind, "name"));
        buf_str(b, "</th>");
        cell(rq, "Action", "Action");
        html_mp(b, cd_get(ind, "action"));
        buf_str(b, "</td>");
        cell(rq, "Cible", "Target");
        if (mp_is_num(cd_get(ind, "target"))) {
            html_number(b, cd_get(ind, "target"));
            buf_str(b, " ");
            html_mp(b, cd_get(ind, "unit"));
        }
        buf_str(b, "</td>");
        cell(rq, "Dernière mesure", "Latest");
        uint32_t n = ms && ms->type == MSGPACK_OBJECT_ARRAY ? ms->via.array.size : 0;
        if (n) {
            const msgpack_object *last = &ms->via.array.ptr[n - 1];
            html_number(b, cd_get(last, "value"));
            buf_str(b, " <span class=\"hint\">(");
            html_mp(b, cd_get(last, "date"));
            buf_str(b, ")</span>");
        }
        int64_t id = staff ? indicator_id(&ids.u.data, cd_get(ind, "name"), cd_get(ind, "action")) : 0;
        if (id)
            staff_indicator_controls(rq, region, id);
        buf_str(b, "</td>");
        cell(rq, "Évolution", "Trend");
        sparkline(b, ms, cd_get(ind, "target"), rq);
        buf_str(b, "</td></tr>\n");
    }
    buf_str(b, "</tbody></table></div></section>\n");
    web_result_free(&ids);
}

static void filter_form(web_req *rq, const char *region, const filters *f)
{
    buf *b = &rq->body;
    static const char *const states[] = {"planned", "in_progress", "done", "ongoing", "postponed", "cancelled"};
    buf_str(b, "<form class=\"filters\" method=\"get\" action=\"/r/");
    html_text(b, region);
    buf_printf(b, "\" role=\"search\"><fieldset><legend>%s</legend>", T(rq, "Filtrer les actions", "Filter the actions"));
    buf_printf(b, "<label for=\"f-state\">%s</label><select id=\"f-state\" name=\"state\"><option value=\"\">%s</option>",
               T(rq, "État", "State"), T(rq, "tous", "all"));
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
        buf_printf(b, "<option value=\"%s\"%s>%s</option>", states[i], strcmp(f->state, states[i]) == 0 ? " selected" : "",
                   word(rq, states[i]));
    buf_printf(b, "</select><label for=\"f-resp\">%s</label><input id=\"f-resp\" name=\"responsible\" value=\"",
               T(rq, "Responsable", "Responsible"));
    html_text(b, f->responsible);
    buf_printf(b, "\"><label class=\"check\"><input type=\"checkbox\" name=\"late\" value=\"1\"%s> %s</label>"
                  "<label class=\"check\"><input type=\"checkbox\" name=\"month\" value=\"1\"%s> %s</label>",
               f->late ? " checked" : "", T(rq, "en retard", "overdue"), f->month ? " checked" : "",
               T(rq, "échéance ce mois-ci", "due this month"));
    if (rq->en)
        buf_str(b, "<input type=\"hidden\" name=\"lang\" value=\"en\">");
    buf_printf(b, "<button type=\"submit\">%s</button></fieldset></form>\n", T(rq, "Filtrer", "Filter"));
}

int page_plan(web_req *rq, const char *region)
{
    web_result reg, doc;
    char code[32], err[512];
    static const char *const keys[] = {"id"}, *const pkeys[] = {"region"};
    const char *values[] = {region};
    if (web_call(rq, "region.get", 1, keys, values, &reg, code, sizeof code, err, sizeof err) != 0) {
        web_result_free(&reg);
        return page_op_failed(rq, code, err);
    }
    const msgpack_object *r = &reg.u.data;
    char name[256], origin[64], slug[64];
    mp_text(cd_get(r, "name"), name, sizeof name);
    mp_text(cd_get(r, "origin"), origin, sizeof origin);
    mp_text(cd_get(r, "id"), slug, sizeof slug);
    buf *b = &rq->body;
    if (web_call(rq, "plan.export", 1, pkeys, (const char *const[]){slug}, &doc, code, sizeof code, err,
                 sizeof err) != 0) {
        web_result_free(&doc);
        web_result_free(&reg);
        if (strcmp(code, "not_found") != 0)
            return page_op_failed(rq, code, err);
        page_open(rq, name);
        buf_str(b, "<h1>");
        html_text(b, name);
        buf_printf(b, "</h1>\n<p>%s</p>\n", T(rq, "Cette région n'a pas encore de plan d'action en vigueur.",
                                             "This region has no active action plan yet."));
        page_close(rq);
        return 0;
    }
    const msgpack_object *d = &doc.u.data, *plan = cd_get(d, "plan");
    filters f = {0};
    day_iso(0, f.today);
    rq->live_region = slug;
    const char *q;
    if ((q = rq->query(rq, "state")))
        snprintf(f.state, sizeof f.state, "%s", q);
    if ((q = rq->query(rq, "responsible")))
        snprintf(f.responsible, sizeof f.responsible, "%s", q);
    f.late = rq->query(rq, "late") != NULL;
    f.month = rq->query(rq, "month") != NULL;

    page_open(rq, name);
    buf_str(b, "<h1>");
    html_text(b, name);
    buf_str(b, "</h1>\n<p class=\"plan-title\">");
    html_mp(b, cd_get(plan, "title"));
    if (mp_is_str(cd_get(plan, "period"))) {
        buf_str(b, " <span class=\"hint\">(");
        html_mp(b, cd_get(plan, "period"));
        buf_str(b, ")</span>");
    }
    buf_str(b, "</p>\n");
    char ours[64] = "";
    const char *owner = api->region_origin(rq->h, slug);
    if (owner) {
        snprintf(ours, sizeof ours, "%s", owner);
        buf_printf(b, "<p class=\"owner\">%s ", T(rq, "Copie en lecture seule ; ce plan appartient au nœud",
                                                   "Read-only copy; this plan belongs to node"));
        html_text(b, ours);
        buf_str(b, ".</p>\n");
    }
    region_nav(rq, slug, "");
    if (mp_is_str(cd_get(plan, "mission"))) {
        buf_printf(b, "<section aria-labelledby=\"mission\"><h2 id=\"mission\">%s</h2><p>", T(rq, "Mission", "Mission"));
        html_mp(b, cd_get(plan, "mission"));
        buf_str(b, "</p></section>\n");
    }
    filter_form(rq, slug, &f);
    const msgpack_object *ors = cd_get(d, "orientations"), *objs = cd_get(d, "objectives"),
                         *acts = cd_get(d, "actions");
    if (acts && acts->type != MSGPACK_OBJECT_ARRAY)
        acts = NULL;
    /* Objectives under their orientation; those without one after. */
    uint32_t nor = ors && ors->type == MSGPACK_OBJECT_ARRAY ? ors->via.array.size : 0;
    uint32_t nobj = objs && objs->type == MSGPACK_OBJECT_ARRAY ? objs->via.array.size : 0;
    for (uint32_t k = 0; k <= nor; k++) {
        char onum[32] = "";
        if (k < nor) {
            const msgpack_object *o = &ors->via.array.ptr[k];
            mp_text(cd_get(o, "number"), onum, sizeof onum);
            buf_printf(b, "<section class=\"orientation\"><h2>%s ", T(rq, "Orientation", "Orientation"));
            html_text(b, onum);
            buf_str(b, " — ");
            html_mp(b, cd_get(o, "statement"));
            buf_str(b, "</h2>\n");
        }
        bool any = false;
        for (uint32_t i = 0; i < nobj; i++) {
            const msgpack_object *ob = &objs->via.array.ptr[i];
            char on[32], num[32];
            mp_text(cd_get(ob, "orientation"), on, sizeof on);
            if (strcmp(on, onum) != 0)
                continue;
            if (k == nor && !any)
                buf_str(b, "<section class=\"orientation\">\n");
            any = true;
            mp_text(cd_get(ob, "number"), num, sizeof num);
            buf_printf(b, "<h3>%s ", T(rq, "Objectif", "Objective"));
            html_text(b, num);
            buf_str(b, " — ");
            html_mp(b, cd_get(ob, "text"));
            buf_str(b, "</h3>\n");
            actions_table(rq, acts, num, &f, slug);
        }
        if (k < nor || any)
            buf_str(b, "</section>\n");
    }
    indicators_section(rq, cd_get(d, "indicators"), slug);
    page_close(rq);
    web_result_free(&doc);
    web_result_free(&reg);
    return 0;
}

/* ---- /r/REGION/echeances : overdue first, then the next 90 days ----------- */

static void echeance_rows(web_req *rq, const msgpack_object *rows, bool overdue, const char *slug)
{
    buf *b = &rq->body;
    size_t n = 0;
    for (uint32_t i = 0; rows && i < rows->via.array.size; i++) {
        const msgpack_object *r = &rows->via.array.ptr[i];
        long long left = (long long)mp_num(cd_get(r, "days_left"));
        if ((left < 0) != overdue)
            continue;
        if (overdue) { /* once per action: the window that ended last (rows come soonest end first) */
            bool later = false;
            int64_t id = cd_int(cd_get(r, "action"), 0);
            for (uint32_t j = i + 1; j < rows->via.array.size && !later; j++)
                later = cd_int(cd_get(&rows->via.array.ptr[j], "action"), -1) == id &&
                        mp_num(cd_get(&rows->via.array.ptr[j], "days_left")) < 0;
            if (later)
                continue;
        }
        if (n++ == 0)
            buf_printf(b, "<div class=\"table-wrap\"><table class=\"echeances\"><thead><tr><th scope=\"col\">%s</th>"
                          "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
                          "<th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead><tbody>\n",
                       T(rq, "Fin", "Ends"), overdue ? T(rq, "Retard", "Late by") : T(rq, "Dans", "In"),
                       T(rq, "Nº", "No."), T(rq, "Moyen d'action", "Action"), T(rq, "Responsable", "Responsible"),
                       T(rq, "État", "State"));
        char number[32], path[128], status[32];
        mp_text(cd_get(r, "number"), number, sizeof number);
        mp_text(cd_get(r, "status"), status, sizeof status);
        snprintf(path, sizeof path, "/r/%s#action-%s", slug, number);
        buf_str(b, "<tr>");
        cell(rq, "Fin", "Ends");
        buf_str(b, "<time>");
        html_mp(b, cd_get(r, "end"));
        buf_str(b, "</time></td>");
        if (overdue)
            cell(rq, "Retard", "Late by");
        else
            cell(rq, "Dans", "In");
        buf_printf(b, "%lld %s</td><th scope=\"row\"><a ", overdue ? -left : left, T(rq, "j", "d"));
        link_href(rq, path);
        buf_str(b, ">");
        html_text(b, number);
        buf_str(b, "</a></th>");
        cell(rq, "Moyen d'action", "Action");
        html_mp(b, cd_get(r, "text"));
        buf_str(b, " <span class=\"hint\">(");
        html_mp(b, cd_get(r, "schedule"));
        buf_str(b, ")</span></td>");
        cell(rq, "Responsable", "Responsible");
        html_mp(b, cd_get(r, "responsible"));
        buf_str(b, "</td>");
        cell(rq, "État", "State");
        buf_printf(b, "%s</td></tr>\n", word(rq, status));
    }
    if (n)
        buf_str(b, "</tbody></table></div>\n");
    else
        buf_printf(b, "<p>%s</p>\n", overdue ? T(rq, "Rien en retard.", "Nothing overdue.")
                                             : T(rq, "Rien ne vient à échéance d'ici 90 jours.",
                                                 "Nothing comes due in the next 90 days."));
}

int page_echeances(web_req *rq, const char *region)
{
    web_result reg, list;
    char code[32], err[512], from[11] = "1970-01-01", to[11];
    day_iso(90, to);
    static const char *const keys[] = {"id"}, *const lkeys[] = {"region", "from", "to"};
    if (web_call(rq, "region.get", 1, keys, (const char *const[]){region}, &reg, code, sizeof code, err,
                 sizeof err) != 0) {
        web_result_free(&reg);
        return page_op_failed(rq, code, err);
    }
    char name[256], slug[64];
    mp_text(cd_get(&reg.u.data, "name"), name, sizeof name);
    mp_text(cd_get(&reg.u.data, "id"), slug, sizeof slug);
    if (web_call(rq, "echeance.list", 3, lkeys, (const char *const[]){slug, from, to}, &list, code, sizeof code, err,
                 sizeof err) != 0) {
        web_result_free(&list);
        web_result_free(&reg);
        return page_op_failed(rq, code, err);
    }
    const msgpack_object *rows = list.u.data.type == MSGPACK_OBJECT_ARRAY ? &list.u.data : NULL;
    buf *b = &rq->body;
    char title[320];
    snprintf(title, sizeof title, "%s — %s", name, T(rq, "échéances", "due dates"));
    rq->live_region = slug;
    page_open(rq, title);
    buf_str(b, "<h1>");
    html_text(b, title);
    buf_str(b, "</h1>\n");
    region_nav(rq, slug, "/echeances");
    buf_printf(b, "<section id=\"section-retard\" data-live aria-labelledby=\"retard\"><h2 id=\"retard\">%s</h2>\n",
               T(rq, "En retard", "Overdue"));
    echeance_rows(rq, rows, true, slug);
    buf_printf(b, "</section>\n<section id=\"section-avenir\" data-live aria-labelledby=\"avenir\"><h2 id=\"avenir\">%s</h2>\n",
               T(rq, "À venir d'ici 90 jours", "Coming in the next 90 days"));
    echeance_rows(rq, rows, false, slug);
    buf_str(b, "</section>\n");
    page_close(rq);
    web_result_free(&list);
    web_result_free(&reg);
    return 0;
}
