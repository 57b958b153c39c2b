/* plan_report.c: plan.report, the bilan a table presents at its AGA, in
 * French: the plan and the period, what came due and whether it was done
 * on time, per orientation and objective the actions with their state and
 * the notes of the period, each indicator against its target (a chart),
 * the calendar's sessions held and their participation, the members.
 * Written once (report_doc.h) as an .odt or .docx file or as HTML. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model.h"
#include "mp.h"
#include "report_doc.h"
#include "text.h"
#include "words.h"
#include "stmt_cache.h"

/* A string field of map o, "" when absent or nil. */
static const char *field(cn_req *req, const msgpack_object *o, const char *key)
{
    const msgpack_object *v = cn_mp_get(o, key);
    return v && v->type == MSGPACK_OBJECT_STR ? cn_req_strdup(req, v) : "";
}

static double number(const msgpack_object *o)
{
    return !o                                         ? 0
           : o->type == MSGPACK_OBJECT_FLOAT64       ? o->via.f64
           : o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (double)o->via.u64
           : o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER ? (double)o->via.i64
                                                        : 0;
}

/* "2026-03-31" as "31 mars 2026". */
static void long_date(const char *iso, char *out, size_t cap)
{
    static const char *const months[] = {"janvier", "février", "mars",      "avril",   "mai",      "juin",
                                         "juillet", "août",    "septembre", "octobre", "novembre", "décembre"};
    int y, m, d;
    if (sscanf(iso, "%4d-%2d-%2d", &y, &m, &d) == 3 && m >= 1 && m <= 12)
        snprintf(out, cap, "%d%s %s %d", d, d == 1 ? "er" : "", months[m - 1], y);
    else
        snprintf(out, cap, "%s", iso);
}

static bool in_period(const char *date, const char *from, const char *to)
{
    return date[0] && strcmp(date, from) >= 0 && strcmp(date, to) <= 0;
}

/* The date an action was set done (its last "done" note), "" when never. */
static const char *done_on(cn_req *req, const msgpack_object *action)
{
    const msgpack_object *notes = cn_mp_get(action, "notes");
    const char *when = "";
    for (uint32_t i = 0; notes && notes->type == MSGPACK_OBJECT_ARRAY && i < notes->via.array.size; i++)
        if (cn_mp_str_eq(cn_mp_get(&notes->via.array.ptr[i], "status_to"), "done"))
            when = field(req, &notes->via.array.ptr[i], "date");
    return when;
}

static bool has_op(cn_req *req, const char *name)
{
    for (size_t i = 0; i < cn_core_op_count(req->core); i++)
        if (strcmp(cn_core_op_at(req->core, i)->name, name) == 0)
            return true;
    return false;
}

/* Runs op with {key: value} (and region, from, to when given) into out, unpacked into *up. */
static int call(cn_req *req, const char *op, const char *region, int64_t plan, int64_t id, const char *from,
                const char *to, msgpack_sbuffer *out, msgpack_unpacked *up)
{
    msgpack_sbuffer args;
    msgpack_sbuffer_init(&args);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &args, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, (region ? 1 : 0) + (plan ? 1 : 0) + (id ? 1 : 0) + (from ? 2 : 0));
    if (region)
        cn_pk_kstr(&pk, "region", region);
    if (plan)
        cn_pk_kint(&pk, "plan", plan);
    if (id)
        cn_pk_kint(&pk, "id", id);
    if (from) {
        cn_pk_kstr(&pk, "from", from);
        cn_pk_kstr(&pk, "to", to);
    }
    msgpack_unpacked a;
    msgpack_unpacked_init(&a);
    int rc = msgpack_unpack_next(&a, args.data, args.size, NULL) == MSGPACK_UNPACK_SUCCESS
                 ? cn_req_run(req, op, &a.data, out)
                 : -1;
    msgpack_unpacked_destroy(&a);
    msgpack_sbuffer_destroy(&args);
    if (rc == 0 && msgpack_unpack_next(up, out->data, out->size, NULL) != MSGPACK_UNPACK_SUCCESS)
        rc = cn_req_fail(req, "internal", NULL, "%s", op);
    return rc;
}

/* ---- the parts of the bilan ------------------------------------------------- */

typedef struct {
    cn_req *req;
    cn_rdoc *doc;
    const msgpack_object *plan; /* plan.export's document */
    const char *from, *to, *today, *today_long;
} bilan;

static void summary(bilan *b)
{
    const msgpack_object *acts = cn_mp_get(b->plan, "actions");
    static const char *const statuses[] = {"done", "in_progress", "ongoing", "planned", "postponed", "cancelled"};
    int count[6] = {0}, total = 0, due = 0, on_time = 0, late_done = 0, undated_done = 0, late_open = 0, coming = 0;
    for (uint32_t i = 0; acts && i < acts->via.array.size; i++) {
        const msgpack_object *a = &acts->via.array.ptr[i];
        total++;
        for (int k = 0; k < 6; k++)
            count[k] += cn_mp_str_eq(cn_mp_get(a, "status"), statuses[k]);
        /* Its last dated window ending within the period: due then. */
        const msgpack_object *wins = cn_mp_get(a, "windows");
        const char *end = "";
        for (uint32_t w = 0; wins && wins->type == MSGPACK_OBJECT_ARRAY && w < wins->via.array.size; w++) {
            const char *e = field(b->req, &wins->via.array.ptr[w], "end");
            if (in_period(e, b->from, b->to) && strcmp(e, end) > 0)
                end = e;
        }
        if (!end[0] || cn_mp_str_eq(cn_mp_get(a, "status"), "cancelled"))
            continue;
        due++;
        const char *done = cn_mp_str_eq(cn_mp_get(a, "status"), "done") ? done_on(b->req, a) : "";
        if (done[0] && strcmp(done, end) <= 0)
            on_time++;
        else if (done[0])
            late_done++;
        else if (cn_mp_str_eq(cn_mp_get(a, "status"), "done"))
            undated_done++; /* set done without a dated note (an import): when, the plan does not say */
        else if (strcmp(end, b->today) < 0)
            late_open++;
        else
            coming++;
    }
    char line[400];
    cn_rdoc_heading(b->doc, 2, "En bref");
    snprintf(line, sizeof line, "%d action(s) au plan : %d réalisée(s), %d en cours, %d en continu, %d prévue(s), "
                                "%d reportée(s), %d annulée(s).",
             total, count[0], count[1], count[2], count[3], count[4], count[5]);
    cn_rdoc_para(b->doc, line);
    snprintf(line, sizeof line, "%d échéance(s) tombaient dans la période : %d réalisée(s) à temps, %d réalisée(s) en "
                                "retard, %d réalisée(s) à une date non notée, %d encore ouverte(s) après leur "
                                "échéance, %d à venir.",
             due, on_time, late_done, undated_done, late_open, coming);
    cn_rdoc_para(b->doc, line);
}

static void actions(bilan *b)
{
    const msgpack_object *oris = cn_mp_get(b->plan, "orientations"), *objs = cn_mp_get(b->plan, "objectives"),
                         *acts = cn_mp_get(b->plan, "actions");
    static const char *const headers[] = {"N°", "Action", "État", "Échéance", "Responsable", "Suivi de la période"};
    cn_rdoc_heading(b->doc, 2, "Les actions");
    for (uint32_t o = 0; oris && o < oris->via.array.size; o++) {
        const msgpack_object *ori = &oris->via.array.ptr[o];
        char title[600];
        snprintf(title, sizeof title, "Orientation %s — %s", field(b->req, ori, "number"), field(b->req, ori, "statement"));
        cn_rdoc_heading(b->doc, 3, title);
        for (uint32_t j = 0; objs && j < objs->via.array.size; j++) {
            const msgpack_object *obj = &objs->via.array.ptr[j];
            if (strcmp(field(b->req, obj, "orientation"), field(b->req, ori, "number")) != 0)
                continue;
            snprintf(title, sizeof title, "Objectif %s : %s", field(b->req, obj, "number"), field(b->req, obj, "text"));
            cn_rdoc_para(b->doc, title);
            cn_rdoc_table(b->doc, 6, headers);
            static const int widths[] = {5, 30, 11, 13, 17, 24};
            cn_rdoc_widths(b->doc, widths);
            for (uint32_t k = 0; acts && k < acts->via.array.size; k++) {
                const msgpack_object *a = &acts->via.array.ptr[k];
                if (strcmp(field(b->req, a, "objective"), field(b->req, obj, "number")) != 0)
                    continue;
                /* The notes written within the period, dated. */
                msgpack_sbuffer notes;
                msgpack_sbuffer_init(&notes);
                const msgpack_object *ns = cn_mp_get(a, "notes");
                for (uint32_t n = 0; ns && ns->type == MSGPACK_OBJECT_ARRAY && n < ns->via.array.size; n++) {
                    const char *date = field(b->req, &ns->via.array.ptr[n], "date"),
                               *text = field(b->req, &ns->via.array.ptr[n], "text");
                    if (!in_period(date, b->from, b->to) || !text[0])
                        continue;
                    if (notes.size)
                        msgpack_sbuffer_write(&notes, "\n", 1);
                    msgpack_sbuffer_write(&notes, date, strlen(date));
                    msgpack_sbuffer_write(&notes, " : ", 3);
                    msgpack_sbuffer_write(&notes, text, strlen(text));
                }
                msgpack_sbuffer_write(&notes, "", 1);
                const char *row[] = {field(b->req, a, "number"), field(b->req, a, "text"),
                                     cn_word(field(b->req, a, "status"), false), field(b->req, a, "schedule"),
                                     field(b->req, a, "responsible"), notes.data};
                cn_rdoc_row(b->doc, row);
                msgpack_sbuffer_destroy(&notes);
            }
        }
    }
}

static void indicators(bilan *b)
{
    const msgpack_object *inds = cn_mp_get(b->plan, "indicators");
    if (!inds || inds->via.array.size == 0)
        return;
    static const char *const headers[] = {"Indicateur", "Action", "Cible", "Dernière mesure", "Date", "Atteinte"};
    cn_rdoc_heading(b->doc, 2, "Les indicateurs");
    cn_rdoc_table(b->doc, 6, headers);
    static const int widths[] = {30, 9, 14, 16, 15, 13};
    cn_rdoc_widths(b->doc, widths);
    size_t n = inds->via.array.size, charted = 0;
    const char **labels = calloc(n, sizeof *labels);
    double *values = calloc(n, sizeof *values), *targets = calloc(n, sizeof *targets);
    for (uint32_t i = 0; i < n; i++) {
        const msgpack_object *ind = &inds->via.array.ptr[i], *ms = cn_mp_get(ind, "measurements");
        const msgpack_object *last = NULL;
        for (uint32_t m = 0; ms && ms->type == MSGPACK_OBJECT_ARRAY && m < ms->via.array.size; m++)
            if (strcmp(field(b->req, &ms->via.array.ptr[m], "date"), b->to) <= 0)
                last = &ms->via.array.ptr[m]; /* measurements are oldest first */
        double target = number(cn_mp_get(ind, "target")), value = last ? number(cn_mp_get(last, "value")) : 0;
        const char *unit = field(b->req, ind, "unit");
        char t[64] = "", v[64] = "", share[32] = "";
        if (target > 0)
            snprintf(t, sizeof t, "%g%s%s", target, unit[0] ? " " : "", unit);
        if (last)
            snprintf(v, sizeof v, "%g%s%s", value, unit[0] ? " " : "", unit);
        if (last && target > 0)
            snprintf(share, sizeof share, "%.0f %%", 100 * value / target);
        const char *row[] = {field(b->req, ind, "name"), field(b->req, ind, "action"), t, v,
                             last ? field(b->req, last, "date") : "", share};
        cn_rdoc_row(b->doc, row);
        if (last && target > 0 && labels && values && targets) {
            labels[charted] = field(b->req, ind, "name");
            values[charted] = value;
            targets[charted++] = target;
        }
    }
    if (charted)
        cn_rdoc_bars(b->doc, "Les indicateurs par rapport à leur cible (dernière mesure de la période)", labels, values,
                     targets, charted);
    free(labels);
    free(values);
    free(targets);
}

/* The calendar's sessions of the period, held or not, and who came. */
static int sessions(bilan *b, const char *region)
{
    if (!has_op(b->req, "calendar.list") || !has_op(b->req, "calendar.show"))
        return 0;
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    msgpack_unpacked list;
    msgpack_unpacked_init(&list);
    int rc = call(b->req, "calendar.list", region, 0, 0, b->from, b->to, &out, &list);
    if (rc == 0 && list.data.type == MSGPACK_OBJECT_ARRAY && list.data.via.array.size) {
        static const char *const headers[] = {"Date", "Activité", "Genre", "Tenue", "Participants"};
        cn_rdoc_heading(b->doc, 2, "Les activités");
        cn_rdoc_table(b->doc, 5, headers);
        static const int widths[] = {20, 34, 14, 12, 14};
        cn_rdoc_widths(b->doc, widths);
        int held = 0, people = 0;
        for (uint32_t i = 0; rc == 0 && i < list.data.via.array.size; i++) {
            const msgpack_object *s = &list.data.via.array.ptr[i];
            const char *occurrence = field(b->req, s, "occurrence");
            msgpack_sbuffer shown;
            msgpack_sbuffer_init(&shown);
            msgpack_unpacked act;
            msgpack_unpacked_init(&act);
            const msgpack_object *id = cn_mp_get(s, "id");
            rc = call(b->req, "calendar.show", NULL, 0, id ? (int64_t)id->via.u64 : 0, NULL, NULL, &shown, &act);
            const msgpack_object *h = rc == 0 ? cn_mp_get(&act.data, "held") : NULL, *found = NULL;
            for (uint32_t k = 0; h && h->type == MSGPACK_OBJECT_ARRAY && k < h->via.array.size; k++)
                if (strcmp(field(b->req, &h->via.array.ptr[k], "occurrence"), occurrence) == 0)
                    found = &h->via.array.ptr[k];
            char who[32] = "";
            if (found && cn_mp_get(found, "participants") &&
                cn_mp_get(found, "participants")->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
                people += (int)cn_mp_get(found, "participants")->via.u64;
                snprintf(who, sizeof who, "%d", (int)cn_mp_get(found, "participants")->via.u64);
            }
            held += found != NULL;
            char when[64];
            long_date(occurrence, when, sizeof when);
            if (strlen(occurrence) > 10)
                snprintf(when + strlen(when), sizeof when - strlen(when), " à %.5s", occurrence + 11);
            const char *row[] = {when, field(b->req, s, "title"), cn_word(field(b->req, s, "kind"), false),
                                 found ? "oui" : strcmp(occurrence, b->today) > 0 ? "à venir" : "non notée", who};
            cn_rdoc_row(b->doc, row);
            msgpack_unpacked_destroy(&act);
            msgpack_sbuffer_destroy(&shown);
        }
        char line[200];
        snprintf(line, sizeof line, "%d séance(s) tenue(s) dans la période, %d participation(s) en tout.", held, people);
        cn_rdoc_para(b->doc, line);
    }
    msgpack_unpacked_destroy(&list);
    msgpack_sbuffer_destroy(&out);
    return rc;
}

/* The members, by category (the adhesion plugin's count, when it is loaded). */
static int members(bilan *b, const char *region)
{
    if (!has_op(b->req, "adhesion.members"))
        return 0;
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    msgpack_unpacked got;
    msgpack_unpacked_init(&got);
    int rc = call(b->req, "adhesion.members", region, 0, 0, NULL, NULL, &out, &got);
    const msgpack_object *total = rc == 0 ? cn_mp_get(&got.data, "members") : NULL,
                         *rows = rc == 0 ? cn_mp_get(&got.data, "by_category") : NULL;
    if (total && total->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        char line[200];
        cn_rdoc_heading(b->doc, 2, "Les membres");
        snprintf(line, sizeof line, "%d membre(s) au %s.", (int)total->via.u64, b->today_long);
        cn_rdoc_para(b->doc, line);
        static const char *const headers[] = {"Catégorie", "Territoire", "Membres"};
        bool table = false;
        for (uint32_t i = 0; rows && rows->type == MSGPACK_OBJECT_ARRAY && i < rows->via.array.size; i++) {
            const msgpack_object *r = &rows->via.array.ptr[i], *n = cn_mp_get(r, "members");
            if (!n || n->type != MSGPACK_OBJECT_POSITIVE_INTEGER || n->via.u64 == 0)
                continue;
            if (!table) {
                cn_rdoc_table(b->doc, 3, headers);
                static const int widths[] = {45, 35, 20};
                cn_rdoc_widths(b->doc, widths);
                table = true;
            }
            char count[24];
            snprintf(count, sizeof count, "%d", (int)n->via.u64);
            const char *row[] = {field(b->req, r, "name"), field(b->req, r, "territory"), count};
            cn_rdoc_row(b->doc, row);
        }
    }
    msgpack_unpacked_destroy(&got);
    msgpack_sbuffer_destroy(&out);
    return rc;
}

/* ---- the op ------------------------------------------------------------------- */

static int plan_report(cn_req *req)
{
    static const char *const formats[] = {"odt", "docx", "html", NULL};
    int64_t plan;
    const char *region, *format = "odt", *from = NULL, *to = NULL;
    if (cn_plan_arg(req, &plan, &region) || cn_arg_enum(req, "format", CN_OPTIONAL, formats, &format) < 0 ||
        cn_arg_date(req, "from", CN_OPTIONAL, &from) < 0 || cn_arg_date(req, "to", CN_OPTIONAL, &to) < 0)
        return -1;
    format = format ? format : "odt";
    char today[11], year_ago[11];
    cn_date_today(today);
    if (!to)
        to = today;
    if (!from) { /* the twelve months up to `to` */
        int y, m, d;
        sscanf(to, "%4d-%2d-%2d", &y, &m, &d);
        struct tm tm = {.tm_year = y - 1 - 1900, .tm_mon = m - 1, .tm_mday = d + 1, .tm_hour = 12};
        timegm(&tm);
        strftime(year_ago, sizeof year_ago, "%Y-%m-%d", &tm);
        from = year_ago;
    }
    if (strcmp(from, to) > 0)
        return cn_req_fail(req, "invalid_argument", "from", L("from vient après to", "from comes after to"));

    msgpack_sbuffer exported;
    msgpack_sbuffer_init(&exported);
    msgpack_unpacked doc;
    msgpack_unpacked_init(&doc);
    int rc = call(req, "plan.export", region, plan, 0, NULL, NULL, &exported, &doc);
    const msgpack_object *p = rc == 0 ? cn_mp_get(&doc.data, "plan") : NULL;
    cn_rdoc *rd = NULL;
    if (rc == 0) {
        char title[700], period[400], a[64], z[64], made[64];
        snprintf(title, sizeof title, "Bilan — %s", field(req, p, "title"));
        rd = cn_rdoc_new(title);
        if (!rd)
            rc = cn_req_fail(req, "internal", NULL, L("mémoire insuffisante", "out of memory"));
        else {
            long_date(from, a, sizeof a);
            long_date(to, z, sizeof z);
            long_date(today, made, sizeof made);
            cn_rdoc_heading(rd, 1, title);
            sqlite3_stmt *st;
            const char *name = region;
            if (cn_req_prepare(req, "SELECT name FROM regions WHERE id = ?", &st) == 0) {
                sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
                if (sqlite3_step(st) == SQLITE_ROW)
                    name = cn_req_column(req, st, 0);
                cn_stmt_done(st);
            }
            snprintf(period, sizeof period, "%s. Période du bilan : du %s au %s. Produit le %s.", name, a, z, made);
            cn_rdoc_para(rd, period);
            const char *years = field(req, p, "period");
            if (years[0]) {
                snprintf(period, sizeof period, "Plan d'action %s.", years);
                cn_rdoc_para(rd, period);
            }
            bilan b = {req, rd, &doc.data, from, to, today, made};
            summary(&b);
            actions(&b);
            indicators(&b);
            rc = sessions(&b, region);
            if (rc == 0)
                rc = members(&b, region);
        }
    }
    if (rc == 0) {
        msgpack_sbuffer file;
        msgpack_sbuffer_init(&file);
        char err[300];
        int written = strcmp(format, "html") == 0   ? cn_rdoc_html(rd, &file)
                      : strcmp(format, "docx") == 0 ? cn_rdoc_docx(rd, &file, err, sizeof err)
                                                    : cn_rdoc_odt(rd, &file, err, sizeof err);
        if (written != 0) {
            rc = cn_req_fail(req, "internal", NULL, "%s", strcmp(format, "html") == 0 ? "html" : err);
        } else {
            char name[160];
            snprintf(name, sizeof name, "bilan-%s-%s.%s", region, to, format);
            msgpack_packer *pk = cn_req_pk(req);
            msgpack_pack_map(pk, 5);
            cn_pk_kstr(pk, "format", format);
            cn_pk_kstr(pk, "filename", name);
            cn_pk_kstr(pk, "from", from);
            cn_pk_kstr(pk, "to", to);
            cn_pk_str(pk, "content");
            if (strcmp(format, "html") == 0) {
                cn_pk_strn(pk, file.data, file.size);
            } else {
                msgpack_pack_bin(pk, file.size);
                msgpack_pack_bin_body(pk, file.data, file.size);
            }
        }
        msgpack_sbuffer_destroy(&file);
    }
    cn_rdoc_free(&rd);
    msgpack_unpacked_destroy(&doc);
    msgpack_sbuffer_destroy(&exported);
    return rc;
}

static const char *const report_args[] = {"region", "plan", "from", "to", "format", NULL};

const cn_op cn_report_ops[] = {
    {"plan.report", plan_report, report_args, "le bilan du plan pour l'AGA (.odt, .docx ou HTML)",
     "the plan's yearly report (.odt, .docx or HTML)", NULL},
};
const size_t cn_report_ops_count = sizeof cn_report_ops / sizeof cn_report_ops[0];
