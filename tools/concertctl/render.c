/* render.c: see render.h. */
#include "render.h"

#include "generic.h"
#include "sentence.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "jsonmp.h"
#include "echeance.h"
#include "mp.h"
#include "mpnum.h"
#include "table.h"

#define T(fr, en) (ctl_en() ? (en) : (fr))


#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const column region_rows[] = {
    {"id", "Région", "Region", 0, false},      {"name", "Nom", "Name", 0, false},
    {"organisation", "Organisation", "Organisation", 0, false}, {"kind", "Type", "Kind", 0, true},
    {"origin", "Origine", "Origin", 0, false}, {"demo", "Démo", "Demo", 0, false}};
static const column plan_rows[] = {
    {"id", "Plan", "Plan", 0, false},           {"region", "Région", "Region", 0, false},
    {"title", "Titre", "Title", 0, false},      {"period", "Période", "Period", 0, false},
    {"start_date", "Début", "Start", 0, false}, {"end_date", "Fin", "End", 0, false},
    {"adopted_on", "Adopté le", "Adopted on", 0, false}, {"status", "État", "Status", 0, true},
    {"mission", "Mission", "Mission", 0, false}, {"orientations", "Orientations", "Orientations", 0, false},
    {"objectives", "Objectifs", "Objectives", 0, false}, {"actions", "Actions", "Actions", 0, false},
    {"indicators", "Indicateurs", "Indicators", 0, false}};
static const column action_rows[] = {
    {"number", "Action", "Action", 0, false},   {"region", "Région", "Region", 0, false},
    {"objective", "Objectif", "Objective", 0, false}, {"text", "Texte", "Text", 0, false},
    {"status", "État", "Status", 0, true},      {"priority", "Priorité", "Priority", 0, false},
    {"targets", "Cibles", "Targets", 0, false}, {"schedule", "Échéance", "Schedule", 0, false},
    {"expected_result", "Résultat attendu", "Expected result", 0, false},
    {"responsible", "Responsable", "Responsible", 0, false}, {"id", "Id", "Id", 0, false}};
static const column indicator_rows[] = {
    {"id", "Indicateur", "Indicator", 0, false}, {"region", "Région", "Region", 0, false},
    {"action", "Action", "Action", 0, false},    {"name", "Nom", "Name", 0, false},
    {"unit", "Unité", "Unit", 0, false},         {"target", "Cible", "Target", 0, false},
    {"target_date", "Pour le", "By", 0, false},  {"baseline", "Point de départ", "Baseline", 0, false},
    {"latest", "Dernière mesure", "Latest", 0, false}, {"latest_date", "Mesurée le", "Measured on", 0, false}};

static void render_action(const msgpack_object *a)
{
    ctl_details(a, action_rows, COUNT(action_rows));
    const msgpack_object *windows = cn_mp_get(a, "windows");
    if (windows && windows->via.array.size) {
        ctl_heading("Fenêtres d'échéance", "Schedule windows");
        static const column cols[] = {{"kind", "Type", "Kind", 12, true},
                                      {"start", "Début", "Start", 10, false},
                                      {"end", "Fin", "End", 10, false}};
        ctl_table(windows, cols, COUNT(cols));
    }
    const msgpack_object *notes = cn_mp_get(a, "notes");
    if (notes && notes->via.array.size) {
        ctl_heading("Suivi", "Progress notes");
        static const column cols[] = {{"date", "Date", "Date", 10, false},
                                      {"status_to", "État", "Status", 12, true},
                                      {"text", "Note", "Note", 70, false}};
        ctl_table(notes, cols, COUNT(cols));
    }
    const msgpack_object *ind = cn_mp_get(a, "indicators");
    if (ind && ind->via.array.size) {
        ctl_heading("Indicateurs", "Indicators");
        static const column cols[] = {{"id", "Id", "Id", 6, false},
                                      {"name", "Indicateur", "Indicator", 50, false},
                                      {"target", "Cible", "Target", 10, false},
                                      {"latest", "Dernière", "Latest", 10, false}};
        ctl_table(ind, cols, COUNT(cols));
    }
}

/* Prints "  label : value" when the value is set. */
static void field(int indent, const char *label, const msgpack_object *o, bool words)
{
    char buf[8192];
    const char *v = ctl_scalar(o, buf, sizeof buf, words);
    if (*v)
        printf("%*s%s : %s\n", indent, "", label, v);
}

/* The tree an import would create (--dry-run): plan, orientations,
 * objectives, actions with their fields and indicators. */
/* "An 1, An 3 → 2018-10-02 … 2019-10-01 ; 2020-10-02 … 2021-10-01": the
 * échéance as written and as dates, from the action's windows or, before
 * an import, as the core will read them. */
static void schedule_line(int indent, const msgpack_object *act, const char *plan_start)
{
    char text[2048], out[4096];
    const char *sched = ctl_scalar(cn_mp_get(act, "schedule"), text, sizeof text, false);
    if (!*sched)
        return;
    cn_window w[16];
    size_t n = 0;
    const msgpack_object *ws = cn_mp_get(act, "windows");
    if (ws && ws->type == MSGPACK_OBJECT_ARRAY && ws->via.array.size) {
        for (uint32_t i = 0; i < ws->via.array.size && n < 16; i++, n++) {
            char k[32];
            const char *kind = ctl_scalar(cn_mp_get(&ws->via.array.ptr[i], "kind"), k, sizeof k, false);
            w[n].kind = strcmp(kind, "dated") == 0 ? CN_WIN_DATED : strcmp(kind, "ongoing") == 0 ? CN_WIN_ONGOING
                        : strcmp(kind, "on_demand") == 0 ? CN_WIN_ON_DEMAND : CN_WIN_UNKNOWN;
            ctl_scalar(cn_mp_get(&ws->via.array.ptr[i], "start"), w[n].start, sizeof w[n].start, false);
            ctl_scalar(cn_mp_get(&ws->via.array.ptr[i], "end"), w[n].end, sizeof w[n].end, false);
        }
    } else {
        n = cn_echeance_parse(sched, plan_start && *plan_start ? plan_start : NULL, w, 16);
    }
    size_t len = (size_t)snprintf(out, sizeof out, "%s →", sched);
    for (size_t i = 0; i < n && len < sizeof out; i++) {
        const char *sep = i ? " ;" : "";
        if (w[i].kind == CN_WIN_DATED)
            len += (size_t)snprintf(out + len, sizeof out - len, "%s %s … %s", sep, w[i].start, w[i].end);
        else
            len += (size_t)snprintf(out + len, sizeof out - len, "%s %s", sep, ctl_word(cn_win_kind_name(w[i].kind)));
    }
    printf("%*s%s : %s\n", indent, "", T("Échéance", "Schedule"), out);
}

static void render_tree(const msgpack_object *doc, bool with_plan)
{
    char buf[8192], start[16];
    const msgpack_object *plan = cn_mp_get(doc, "plan");
    ctl_scalar(cn_mp_get(plan, "start_date"), start, sizeof start, false);
    if (with_plan) {
    printf("%s\n", ctl_scalar(cn_mp_get(plan, "title"), buf, sizeof buf, false));
    field(2, T("Période", "Period"), cn_mp_get(plan, "period"), false);
    field(2, T("Début", "Start"), cn_mp_get(plan, "start_date"), false);
    field(2, T("Fin", "End"), cn_mp_get(plan, "end_date"), false);
    field(2, T("Adopté le", "Adopted on"), cn_mp_get(plan, "adopted_on"), false);
    field(2, "Mission", cn_mp_get(plan, "mission"), false);
    const msgpack_object *mandates = cn_mp_get(plan, "mandates");
    for (uint32_t i = 0; mandates && i < mandates->via.array.size; i++) {
        char label[64];
        snprintf(label, sizeof label, T("Mandat %s", "Mandate %s"),
                 ctl_scalar(cn_mp_get(&mandates->via.array.ptr[i], "number"), buf, sizeof buf, false));
        field(2, label, cn_mp_get(&mandates->via.array.ptr[i], "text"), false);
    }
    }
    const msgpack_object *ors = cn_mp_get(doc, "orientations"), *objs = cn_mp_get(doc, "objectives"),
                         *acts = cn_mp_get(doc, "actions"), *inds = cn_mp_get(doc, "indicators");
    /* Objectives without an orientation are listed under a last, empty one. */
    for (uint32_t o = 0; ors && o <= ors->via.array.size; o++) {
        const msgpack_object *ori = o < ors->via.array.size ? &ors->via.array.ptr[o] : NULL;
        const msgpack_object *onum = ori ? cn_mp_get(ori, "number") : NULL;
        bool header = false;
        for (uint32_t b = 0; objs && b < objs->via.array.size; b++) {
            const msgpack_object *obj = &objs->via.array.ptr[b], *parent = cn_mp_get(obj, "orientation");
            bool mine = onum ? (parent && msgpack_object_equal(*parent, *onum))
                             : (!parent || parent->type == MSGPACK_OBJECT_NIL);
            if (!mine)
                continue;
            if (!header && ori) {
                printf("\nOrientation %s", ctl_scalar(onum, buf, sizeof buf, false));
                printf(" — %s\n", ctl_scalar(cn_mp_get(ori, "statement"), buf, sizeof buf, false));
            }
            header = true;
            printf("  %s %s", T("Objectif", "Objective"), ctl_scalar(cn_mp_get(obj, "number"), buf, sizeof buf, false));
            printf(" — %s\n", ctl_scalar(cn_mp_get(obj, "text"), buf, sizeof buf, false));
            field(4, T("Mandats", "Mandates"), cn_mp_get(obj, "mandates"), false);
            const msgpack_object *bnum = cn_mp_get(obj, "number");
            for (uint32_t a = 0; acts && a < acts->via.array.size; a++) {
                const msgpack_object *act = &acts->via.array.ptr[a], *of = cn_mp_get(act, "objective");
                if (!of || !bnum || !msgpack_object_equal(*of, *bnum))
                    continue;
                printf("    Action %s", ctl_scalar(cn_mp_get(act, "number"), buf, sizeof buf, false));
                printf(" — %s\n", ctl_scalar(cn_mp_get(act, "text"), buf, sizeof buf, false));
                field(6, T("Cibles", "Targets"), cn_mp_get(act, "targets"), false);
                schedule_line(6, act, start);
                field(6, T("Résultat attendu", "Expected result"), cn_mp_get(act, "expected_result"), false);
                field(6, T("Responsable", "Responsible"), cn_mp_get(act, "responsible"), false);
                const msgpack_object *st = cn_mp_get(act, "status");
                if (st && !cn_mp_str_eq(st, "planned"))
                    field(6, T("État", "Status"), st, true);
                const msgpack_object *anum = cn_mp_get(act, "number");
                for (uint32_t k = 0; inds && k < inds->via.array.size; k++) {
                    const msgpack_object *ind = &inds->via.array.ptr[k], *on = cn_mp_get(ind, "action");
                    if (!on || !anum || !msgpack_object_equal(*on, *anum))
                        continue;
                    char line[8192], t[64], u[256];
                    const char *target = ctl_scalar(cn_mp_get(ind, "target"), t, sizeof t, false);
                    const char *unit = ctl_scalar(cn_mp_get(ind, "unit"), u, sizeof u, false);
                    snprintf(line, sizeof line, "%s%s%s%s%s%s", ctl_scalar(cn_mp_get(ind, "name"), buf, sizeof buf, false),
                             *target ? T(" (cible ", " (target ") : "", target, *unit ? " " : "", unit,
                             *target ? ")" : "");
                    /* Where it stands: the latest measurement (the list is by date). */
                    const msgpack_object *ms = cn_mp_get(ind, "measurements");
                    if (ms && ms->type == MSGPACK_OBJECT_ARRAY && ms->via.array.size) {
                        const msgpack_object *last = &ms->via.array.ptr[ms->via.array.size - 1];
                        char v[64], d[32];
                        size_t used = strlen(line);
                        snprintf(line + used, sizeof line - used, T(" : %s au %s", " : %s on %s"),
                                 ctl_scalar(cn_mp_get(last, "value"), v, sizeof v, false),
                                 ctl_scalar(cn_mp_get(last, "date"), d, sizeof d, false));
                    }
                    printf("      %s : %s\n", T("Indicateur", "Indicator"), line);
                }
            }
        }
    }
}

static void render_report(const msgpack_object *report)
{
    if (!report || report->type != MSGPACK_OBJECT_ARRAY || !report->via.array.size)
        return;
    ctl_heading("À relire (ce que l'import n'a pas placé tel quel)", "To review (what the import did not place as written)");
    char buf[8192], k[64], l[32];
    for (uint32_t i = 0; i < report->via.array.size; i++) {
        const msgpack_object *n = &report->via.array.ptr[i];
        const char *kind = ctl_scalar(cn_mp_get(n, "kind"), k, sizeof k, false);
        static const char *const kinds[][3] = {{"unplaced", "non placé", "unplaced"},
                                               {"context", "contexte", "context"},
                                               {"superseded", "remplacé", "superseded"},
                                               {"assumed", "supposé", "assumed"}};
        for (size_t j = 0; j < sizeof kinds / sizeof kinds[0]; j++)
            if (strcmp(kind, kinds[j][0]) == 0)
                kind = kinds[j][ctl_en() ? 2 : 1];
        const char *line = ctl_scalar(cn_mp_get(n, "line"), l, sizeof l, false);
        char where[160];
        /* In a document, where it is ("tableau 2, rangée 5"); in a text, its line. */
        if (cn_mp_get(n, "where") && cn_mp_get(n, "where")->type == MSGPACK_OBJECT_STR)
            printf("%s [%s] %s\n", ctl_scalar(cn_mp_get(n, "where"), where, sizeof where, false), kind,
                   ctl_scalar(cn_mp_get(n, "message"), buf, sizeof buf, false));
        else
            printf("%s%-5s [%s] %s\n", T("ligne ", "line "), strcmp(line, "0") ? line : "-", kind,
                   ctl_scalar(cn_mp_get(n, "message"), buf, sizeof buf, false));
        const char *text = ctl_scalar(cn_mp_get(n, "text"), buf, sizeof buf, false);
        if (*text) { /* its first 200 bytes, cut between two characters */
            size_t cut = strlen(text) > 200 ? 200 : strlen(text);
            while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
                cut--;
            printf("        « %.*s%s »\n", (int)cut, text, text[cut] ? "…" : "");
        }
    }
}

static const char *field_words(const char *field);

/* "1.2 responsable : « Équipe » → « CA »", one line per field an update import changes. */
static void render_changes(const msgpack_object *changes, bool dry)
{
    if (!changes || changes->type != MSGPACK_OBJECT_ARRAY || changes->via.array.size == 0)
        return;
    printf(dry ? T("\nCe qui changerait :\n", "\nWhat would change:\n") : T("\nCe qui a changé :\n", "\nWhat changed:\n"));
    for (uint32_t i = 0; i < changes->via.array.size; i++) {
        const msgpack_object *c = &changes->via.array.ptr[i];
        char num_buf[64], field_buf[64], from[1024], to[1024];
        /* (ctl_scalar may answer a text of its own, leaving its buffer as it was: its answer is what is printed) */
        const char *num = ctl_scalar(cn_mp_get(c, "number"), num_buf, sizeof num_buf, false);
        const char *field = ctl_scalar(cn_mp_get(c, "field"), field_buf, sizeof field_buf, false);
        bool words = strcmp(field, "status") == 0;
        printf("  %s%s%s : « %s » → « %s »\n", num, num[0] ? " " : "", field_words(field),
               ctl_scalar(cn_mp_get(c, "from"), from, sizeof from, words),
               ctl_scalar(cn_mp_get(c, "to"), to, sizeof to, words));
    }
}

static void render_import(const msgpack_object *r)
{
    const msgpack_object *dry = cn_mp_get(r, "dry_run");
    bool merged = cn_mp_get(r, "merged") && cn_mp_get(r, "merged")->via.boolean;
    char buf[256];
    if (dry && dry->via.boolean) {
        const msgpack_object *doc = cn_mp_get(r, "document");
        render_tree(doc, true);
        const msgpack_object *g = cn_mp_get(r, "glossary");
        if (g && g->type == MSGPACK_OBJECT_MAP && g->via.map.size)
            printf(T("\nLexique de la région : %u sigles\n", "\nRegion glossary: %u acronyms\n"), g->via.map.size);
        render_report(cn_mp_get(r, "report"));
        render_changes(cn_mp_get(r, "changes"), true);
        printf("\n");
        if (merged)
            printf(T("Simulation : le plan %s de la région a ce titre, il serait mis à jour. Rien n'a été enregistré.\n",
                     "Dry run: the region's plan %s has this title, it would be updated. Nothing was saved.\n"),
                   ctl_scalar(cn_mp_get(r, "plan"), buf, sizeof buf, false));
        else
            printf("%s", T("Simulation : un nouveau plan serait créé. Rien n'a été enregistré.\n",
                           "Dry run: a new plan would be created. Nothing was saved.\n"));
        return;
    }
    static const column rows[] = {{"plan", "Plan", "Plan", 0, false},
                                  {"region", "Région", "Region", 0, false},
                                  {"orientations", "Orientations", "Orientations", 0, false},
                                  {"objectives", "Objectifs", "Objectives", 0, false},
                                  {"actions", "Actions", "Actions", 0, false},
                                  {"indicators", "Indicateurs", "Indicators", 0, false},
                                  {"glossary", "Sigles du lexique", "Glossary terms", 0, false}};
    ctl_details(r, rows, COUNT(rows));
    render_changes(cn_mp_get(r, "changes"), false);
    const msgpack_object *created = cn_mp_get(r, "created"), *updated = cn_mp_get(r, "updated");
    uint64_t c = 0, u = 0;
    for (uint32_t i = 0; created && i < created->via.map.size; i++)
        c += created->via.map.ptr[i].val.via.u64;
    for (uint32_t i = 0; updated && i < updated->via.map.size; i++)
        u += updated->via.map.ptr[i].val.via.u64;
    printf("\n");
    if (!merged)
        printf("%s", T("Nouveau plan créé.\n", "New plan created.\n"));
    else if (c == 0 && u == 0)
        printf("%s", T("Le plan de même titre était déjà à jour : rien n'a changé.\n",
                       "The plan of the same title was already up to date: nothing changed.\n"));
    else
        printf(T("Plan de même titre mis à jour : %llu élément(s) ajouté(s), %llu modifié(s).\n",
                 "Plan of the same title updated: %llu item(s) added, %llu changed.\n"),
               (unsigned long long)c, (unsigned long long)u);
    const msgpack_object *missing = cn_mp_get(r, "not_in_document");
    if (missing && missing->type == MSGPACK_OBJECT_ARRAY && missing->via.array.size) {
        char list[4096];
        printf(T("Actions du plan absentes du fichier (gardées) : %s\n", "Plan actions missing from the file (kept): %s\n"),
               ctl_scalar(missing, list, sizeof list, false));
    }
    render_report(cn_mp_get(r, "report"));
}

/* A field of the model as people call it. */
static const char *field_words(const char *field)
{
    static const char *const names[][3] = {
        {"text", "texte", "text"},           {"responsible", "responsable", "responsible"},
        {"schedule", "échéance", "schedule"}, {"expected_result", "résultat attendu", "expected result"},
        {"priority", "priorité", "priority"}, {"targets", "cibles", "targets"},
        {"objective", "objectif", "objective"}, {"status", "état", "status"},
        {"statement", "énoncé", "statement"}, {"mandates", "mandats", "mandates"},
        {"orientation", "orientation", "orientation"}, {"title", "titre", "title"},
        {"period", "période", "period"},     {"name", "nom", "name"},
        {"organisation", "organisation", "organisation"}, {"kind", "type", "kind"},
        {"mission", "mission", "mission"},   {"start_date", "début", "start"},
        {"end_date", "fin", "end"},          {"adopted_on", "adopté le", "adopted on"},
    };
    for (size_t i = 0; i < COUNT(names); i++)
        if (strcmp(field, names[i][0]) == 0)
            return names[i][ctl_en() ? 2 : 1];
    return field;
}

/* Each change: when, its number (for undo), the sentence, the fields from → to. */
static void render_history(const msgpack_object *rows)
{
    if (!rows || rows->type != MSGPACK_OBJECT_ARRAY || rows->via.array.size == 0) {
        printf("%s\n", T("(aucun changement)", "(no change)"));
        return;
    }
    for (uint32_t i = 0; i < rows->via.array.size; i++) {
        const msgpack_object *row = &rows->via.array.ptr[i], *ts = cn_mp_get(row, "ts");
        char when[32] = "", line[4096], num[32];
        if (ts && ts->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
            time_t t = (time_t)(ts->via.u64 / 1000);
            struct tm tm;
            localtime_r(&t, &tm);
            strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
        }
        cn_event_sentence(row, ctl_en(), line, sizeof line);
        printf("%s  %s %-5s %s\n", when, T("n°", "no."), ctl_scalar(cn_mp_get(row, "seq"), num, sizeof num, false), line);
        const msgpack_object *changes = cn_mp_get(row, "changes");
        for (uint32_t k = 0; changes && changes->type == MSGPACK_OBJECT_ARRAY && k < changes->via.array.size; k++) {
            const msgpack_object *c = &changes->via.array.ptr[k];
            char field[64], from[1024], to[1024];
            ctl_scalar(cn_mp_get(c, "field"), field, sizeof field, false);
            bool words = strcmp(field, "status") == 0 || strcmp(field, "kind") == 0;
            printf("%26s%s : « %s » → « %s »\n", "", field_words(field),
                   ctl_scalar(cn_mp_get(c, "from"), from, sizeof from, words),
                   ctl_scalar(cn_mp_get(c, "to"), to, sizeof to, words));
        }
    }
}

void ctl_render(const char *op, const msgpack_object *r, bool json)
{
    if (json) {
        ctl_print_json(r, false);
        return;
    }
    if (strcmp(op, "region.overview") == 0 && r->type == MSGPACK_OBJECT_MAP && cn_mp_get(r, "text")) {
        const msgpack_object *text = cn_mp_get(r, "text");
        fwrite(text->via.str.ptr, 1, text->via.str.size, stdout);
    } else if (strcmp(op, "region.overview") == 0) {
        static const column cols[] = {{"region", "Région", "Region", 16, false},
                                      {"origin", "Origine", "Origin", 12, false},
                                      {"as_of_ms", "À jour au", "Up to date at", 16, false},
                                      {"actions", "Actions", "Actions", 7, false},
                                      {"done", "Réalisées", "Done", 9, false},
                                      {"in_progress", "En cours", "Ongoing", 8, false},
                                      {"percent_done", "%", "%", 3, false},
                                      {"next_due", "Proch. échéance", "Next due", 15, false},
                                      {"days_to_next_due", "Jours", "Days", 5, false},
                                      {"overdue", "En retard", "Overdue", 9, false},
                                      {"members", "Membres", "Members", 7, false},
                                      {"title", "Plan", "Plan", 40, false}};
        ctl_table(r, cols, COUNT(cols));
    } else if (strcmp(op, "action.search") == 0) {
        static const column cols[] = {{"region", "Région", "Region", 16, false},
                                      {"origin", "Origine", "Origin", 12, false},
                                      {"number", "Action", "Action", 8, false},
                                      {"status", "État", "Status", 11, true},
                                      {"schedule", "Échéance", "Schedule", 18, false},
                                      {"text", "Texte", "Text", 60, false}};
        ctl_table(r, cols, COUNT(cols));
    } else if (strcmp(op, "region.list") == 0) {
        static const column cols[] = {{"id", "Région", "Region", 20, false},
                                      {"name", "Nom", "Name", 40, false},
                                      {"kind", "Type", "Kind", 10, true},
                                      {"organisation", "Organisation", "Organisation", 20, false},
                                      {"active_plans", "Plans actifs", "Active plans", 12, false},
                                      {"origin", "Origine", "Origin", 12, false},
                                      {"demo", "Démo", "Demo", 5, false}};
        ctl_table(r, cols, COUNT(cols));
        /* An archived region is listed with --archived only: said so. */
        for (uint32_t i = 0; r->type == MSGPACK_OBJECT_ARRAY && i < r->via.array.size; i++) {
            const msgpack_object *a = cn_mp_get(&r->via.array.ptr[i], "archived");
            char id[64];
            if (a && a->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
                printf(T("(%s est archivée : concertctl region restore %s la rouvre)\n",
                         "(%s is archived: concertctl region restore %s reopens it)\n"),
                       ctl_scalar(cn_mp_get(&r->via.array.ptr[i], "id"), id, sizeof id, false), id);
        }
    } else if (strcmp(op, "region.delete") == 0) {
        char id[64], name[256], done[16];
        ctl_scalar(cn_mp_get(r, "id"), id, sizeof id, false);
        ctl_scalar(cn_mp_get(r, "name"), name, sizeof name, false);
        ctl_scalar(cn_mp_get(r, "done"), done, sizeof done, false);
        if (strcmp(done, "purged") == 0)
            printf(T("Région %s (%s) effacée pour de bon.\n", "Region %s (%s) erased for good.\n"), name, id);
        else
            printf(T("Région %s (%s) archivée : en lecture seule, hors des listes et des rappels ; "
                     "concertctl region restore %s la rouvre.\n",
                     "Region %s (%s) archived: read-only, out of lists and reminders; "
                     "concertctl region restore %s reopens it.\n"),
                   name, id, id);
    } else if (strncmp(op, "region.", 7) == 0) {
        ctl_details(r, region_rows, COUNT(region_rows));
        const msgpack_object *rem = cn_mp_get(r, "reminders");
        if (rem && rem->type == MSGPACK_OBJECT_MAP) {
            char days[256], every[32];
            const msgpack_object *ov = cn_mp_get(rem, "overdue"), *ev = cn_mp_get(rem, "undated_every_days");
            ctl_scalar(cn_mp_get(rem, "days"), days, sizeof days, false);
            ctl_scalar(ev, every, sizeof every, false);
            bool late = ov && ov->type == MSGPACK_OBJECT_BOOLEAN && ov->via.boolean;
            bool follow = ev && ev->type == MSGPACK_OBJECT_POSITIVE_INTEGER && ev->via.u64 > 0;
            printf(T("Rappels      : %s jours avant chaque échéance%s%s%s%s\n",
                     "Reminders    : %s days before each échéance%s%s%s%s\n"),
                   *days ? days : "0", late ? T(", et le lendemain si elle est passée", ", and the day after if it passed") : "",
                   follow ? T("; en continu: tous les ", "; ongoing: every ") : "", follow ? every : "",
                   follow ? T(" jours", " days") : "");
        }
        const msgpack_object *t = cn_mp_get(r, "territories");
        if (t && t->via.array.size) {
            ctl_heading("Territoires", "Territories");
            static const column cols[] = {{"name", "Nom", "Name", 40, false}, {"kind", "Type", "Kind", 20, false}};
            ctl_table(t, cols, COUNT(cols));
        }
        const msgpack_object *g = cn_mp_get(r, "glossary");
        if (g && g->via.array.size) {
            ctl_heading("Sigles", "Acronyms");
            static const column cols[] = {{"term", "Sigle", "Acronym", 12, false},
                                          {"definition", "Définition", "Definition", 80, false}};
            ctl_table(g, cols, COUNT(cols));
        }
        const msgpack_object *p = cn_mp_get(r, "plans");
        if (p && p->via.array.size) {
            ctl_heading("Plans", "Plans");
            static const column cols[] = {{"id", "Plan", "Plan", 6, false},
                                          {"title", "Titre", "Title", 50, false},
                                          {"status", "État", "Status", 10, true}};
            ctl_table(p, cols, COUNT(cols));
        }
    } else if (strcmp(op, "plan.list") == 0) {
        static const column cols[] = {{"id", "Plan", "Plan", 6, false},         {"region", "Région", "Region", 16, false},
                                      {"origin", "Origine", "Origin", 12, false},
                                      {"title", "Titre", "Title", 40, false},   {"period", "Période", "Period", 12, false},
                                      {"status", "État", "Status", 8, true},    {"actions", "Actions", "Actions", 7, false}};
        ctl_table(r, cols, COUNT(cols));
    } else if (strcmp(op, "plan.get") == 0 || strcmp(op, "plan.create") == 0 || strcmp(op, "plan.update") == 0 ||
               strcmp(op, "plan.archive") == 0) {
        ctl_details(r, plan_rows, COUNT(plan_rows));
        const msgpack_object *m = cn_mp_get(r, "mandates");
        if (m && m->via.array.size) {
            ctl_heading("Mandats", "Mandates");
            static const column cols[] = {{"number", "No", "No", 4, false}, {"text", "Mandat", "Mandate", 100, false}};
            ctl_table(m, cols, COUNT(cols));
        }
    } else if (strcmp(op, "plan.import") == 0) {
        render_import(r);
    } else if (strcmp(op, "plan.tree") == 0) {
        render_tree(r, false);
    } else if (strcmp(op, "plan.export") == 0 && cn_mp_get(r, "text")) {
        const msgpack_object *text = cn_mp_get(r, "text");
        fwrite(text->via.str.ptr, 1, text->via.str.size, stdout);
    } else if (strcmp(op, "orientation.list") == 0) {
        static const column cols[] = {{"number", "No", "No", 4, false},
                                      {"statement", "Orientation", "Orientation", 90, false},
                                      {"objectives", "Objectifs", "Objectives", 9, false}};
        ctl_table(r, cols, COUNT(cols));
    } else if (strncmp(op, "orientation.", 12) == 0) {
        static const column rows[] = {{"number", "Orientation", "Orientation", 0, false},
                                      {"region", "Région", "Region", 0, false},
                                      {"statement", "Énoncé", "Statement", 0, false},
                                      {"objectives", "Objectifs", "Objectives", 0, false},
                                      {"id", "Id", "Id", 0, false}};
        ctl_details(r, rows, COUNT(rows));
    } else if (strcmp(op, "objective.list") == 0) {
        static const column cols[] = {{"number", "No", "No", 6, false},
                                      {"orientation", "Orientation", "Orientation", 11, false},
                                      {"text", "Objectif", "Objective", 80, false},
                                      {"actions", "Actions", "Actions", 7, false}};
        ctl_table(r, cols, COUNT(cols));
    } else if (strncmp(op, "objective.", 10) == 0) {
        static const column rows[] = {{"number", "Objectif", "Objective", 0, false},
                                      {"region", "Région", "Region", 0, false},
                                      {"orientation", "Orientation", "Orientation", 0, false},
                                      {"text", "Texte", "Text", 0, false},
                                      {"mandates", "Mandats", "Mandates", 0, false},
                                      {"actions", "Actions", "Actions", 0, false},
                                      {"id", "Id", "Id", 0, false}};
        ctl_details(r, rows, COUNT(rows));
    } else if (strcmp(op, "action.list") == 0) {
        static const column cols[] = {{"number", "Action", "Action", 8, false},
                                      {"status", "État", "Status", 11, true},
                                      {"schedule", "Échéance", "Schedule", 18, false},
                                      {"responsible", "Responsable", "Responsible", 20, false},
                                      {"text", "Texte", "Text", 60, false}};
        ctl_table(r, cols, COUNT(cols));
    } else if (strncmp(op, "action.", 7) == 0) {
        render_action(r);
    } else if (strcmp(op, "indicator.list") == 0) {
        static const column cols[] = {{"id", "Id", "Id", 5, false},          {"action", "Action", "Action", 8, false},
                                      {"name", "Indicateur", "Indicator", 50, false},
                                      {"target", "Cible", "Target", 8, false}, {"latest", "Dernière", "Latest", 8, false},
                                      {"latest_date", "Le", "On", 10, false}};
        ctl_table(r, cols, COUNT(cols));
    } else if (strncmp(op, "indicator.", 10) == 0) {
        ctl_details(r, indicator_rows, COUNT(indicator_rows));
        const msgpack_object *m = cn_mp_get(r, "measurements");
        if (m) {
            ctl_heading("Mesures", "Measurements");
            static const column cols[] = {{"date", "Date", "Date", 10, false},
                                          {"value", "Valeur", "Value", 12, false},
                                          {"note", "Note", "Note", 60, false}};
            ctl_table(m, cols, COUNT(cols));
        }
    } else if (strcmp(op, "echeance.list") == 0) {
        const msgpack_object *first = r && r->type == MSGPACK_OBJECT_ARRAY && r->via.array.size ? &r->via.array.ptr[0] : NULL;
        if (first && cn_mp_str_eq(cn_mp_get(first, "kind"), "unknown")) {
            static const column cols[] = {{"region", "Région", "Region", 14, false},
                                          {"number", "Action", "Action", 8, false},
                                          {"schedule", "Échéance telle qu'écrite", "Schedule as written", 34, false},
                                          {"text", "Texte", "Text", 50, false}};
            ctl_table(r, cols, COUNT(cols));
        } else {
            static const column cols[] = {{"end", "Échéance", "Due", 10, false},
                                          {"days_left", "Jours", "Days", 5, false},
                                          {"region", "Région", "Region", 14, false},
                                          {"origin", "Origine", "Origin", 12, false},
                                          {"number", "Action", "Action", 8, false},
                                          {"status", "État", "Status", 11, true},
                                          {"responsible", "Responsable", "Responsible", 20, false},
                                          {"text", "Texte", "Text", 50, false}};
            ctl_table(r, cols, COUNT(cols));
        }
    } else if (strcmp(op, "echeance.reminders") == 0) {
        static const column cols[] = {{"due_on", "Le", "On", 10, false},
                                      {"type", "Rappel", "Reminder", 9, true},
                                      {"horizon_days", "Jours av.", "Days bef.", 9, false},
                                      {"region", "Région", "Region", 14, false},
                                      {"number", "Action", "Action", 8, false},
                                      {"end", "Échéance", "Due", 10, false},
                                      {"state", "État", "State", 8, true},
                                      {"text", "Texte", "Text", 50, false}};
        ctl_table(r, cols, COUNT(cols));
    } else if (strcmp(op, "calendar.list") == 0) {
        static const column cols[] = {{"occurrence", "Quand", "When", 16, false},
                                      {"kind", "Type", "Kind", 10, true},
                                      {"region", "Région", "Region", 12, false},
                                      {"origin", "Copie de", "Copy of", 10, false},
                                      {"status", "État", "Status", 9, true},
                                      {"title", "Activité", "Activity", 50, false},
                                      {"place", "Lieu", "Place", 30, false},
                                      {"repeat", "Répétition", "Repeats", 40, false},
                                      {"id", "Id", "Id", 5, false}};
        ctl_table(r, cols, COUNT(cols));
    } else if (strcmp(op, "federation.status") == 0) {
        static const column cols[] = {{"peer", "Pair", "Peer", 14, false},
                                      {"regions", "Régions", "Regions", 20, false},
                                      {"last_seq", "Dernier n°", "Last seq", 10, false},
                                      {"lag_events", "Retard (év.)", "Lag (events)", 12, false},
                                      {"lag_seconds", "Retard (s)", "Lag (s)", 10, false},
                                      {"received", "Reçus", "Received", 8, false},
                                      {"copies_behind", "Copies en attente", "Copies behind", 17, false},
                                      {"refused", "Refusés", "Refused", 8, false},
                                      {"seconds_since_contact", "Contact (s)", "Contact (s)", 11, false},
                                      {"catching_up", "Rattrapage", "Catching up", 10, false},
                                      {"catch_up_requests", "Pages demandées", "Pages asked", 15, false},
                                      {"endpoint", "Adresse", "Endpoint", 30, false}};
        ctl_table(r, cols, COUNT(cols));
        /* The copies each peer brings: how up to date, and how they were kept
         * (snapshots, or the owner's changes applied one by one). */
        for (uint32_t i = 0; r->type == MSGPACK_OBJECT_ARRAY && i < r->via.array.size; i++) {
            const msgpack_object *peer = cn_mp_get(&r->via.array.ptr[i], "peer"),
                                 *copies = cn_mp_get(&r->via.array.ptr[i], "copies");
            for (uint32_t j = 0; peer && peer->type == MSGPACK_OBJECT_STR && copies &&
                                 copies->type == MSGPACK_OBJECT_ARRAY && j < copies->via.array.size; j++) {
                const msgpack_object *c = &copies->via.array.ptr[j];
                char region[64];
                cn_mp_str_copy(cn_mp_get(c, "region"), region, sizeof region);
                bool up = cn_mp_number(cn_mp_get(c, "up_to_date")) != 0;
                long long n = (long long)cn_mp_number(cn_mp_get(c, "as_of_seq")),
                          sn = (long long)cn_mp_number(cn_mp_get(c, "snapshots")),
                          ap = (long long)cn_mp_number(cn_mp_get(c, "events_applied"));
                printf(T("%sCopie de %s par %.*s : %s (événement n° %lld) ; %lld instantané(s), %lld changement(s) "
                         "appliqué(s) depuis le démarrage\n",
                         "%sCopy of %s through %.*s: %s (event no. %lld); %lld snapshot(s), %lld change(s) applied "
                         "since the start\n"),
                       i == 0 && j == 0 ? "\n" : "", region, (int)peer->via.str.size, peer->via.str.ptr,
                       up ? T("à jour", "up to date") : T("en attente", "behind"), n, sn, ap);
            }
        }
        /* Each peer's last error whole, under the table: it says what to do. */
        for (uint32_t i = 0; r->type == MSGPACK_OBJECT_ARRAY && i < r->via.array.size; i++) {
            const msgpack_object *peer = cn_mp_get(&r->via.array.ptr[i], "peer"),
                                 *error = cn_mp_get(&r->via.array.ptr[i], "last_error");
            if (peer && peer->type == MSGPACK_OBJECT_STR && error && error->type == MSGPACK_OBJECT_STR)
                printf("\n%s %.*s : %.*s\n", T("Dernière erreur avec", "Last error with"), (int)peer->via.str.size,
                       peer->via.str.ptr, (int)error->via.str.size, error->via.str.ptr);
        }
    } else if (strcmp(op, "federation.followers") == 0) {
        ctl_heading("Pairs déclarés, vus d'ici (qui suit ce nœud)", "Declared peers, as seen from here (who follows this node)");
        for (uint32_t i = 0; r->type == MSGPACK_OBJECT_ARRAY && i < r->via.array.size; i++) {
            const msgpack_object *p = &r->via.array.ptr[i], *following = cn_mp_get(p, "following");
            char name[64], asked[64], links[2][64];
            static const char *const keys[2] = {"events_connected_ms", "sync_connected_ms"};
            static const char *const link_fr[2] = {"aux événements", "au rattrapage"}, *const link_en[2] = {"events", "sync"};
            for (int k = 0; k < 2; k++) {
                const msgpack_object *ms = cn_mp_get(p, keys[k]);
                if (ms && ms->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
                    time_t t = (time_t)(ms->via.u64 / 1000);
                    struct tm tm;
                    char when[32];
                    localtime_r(&t, &tm);
                    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
                    snprintf(links[k], sizeof links[k], T("relié %s le %s", "%s link made %s"), T(link_fr[k], link_en[k]),
                             when);
                } else {
                    snprintf(links[k], sizeof links[k], T("jamais relié %s", "%s link never made"),
                             T(link_fr[k], link_en[k]));
                }
            }
            const msgpack_object *ago = cn_mp_get(p, "seconds_since_request");
            if (ago && ago->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
                snprintf(asked, sizeof asked, T("dernière demande il y a %llu s", "last request %llu s ago"),
                         (unsigned long long)ago->via.u64);
            else
                snprintf(asked, sizeof asked, "%s", T("aucune demande encore", "no request yet"));
            printf(T("%-14s %s ; %s ; %s, %s\n", "%-14s %s; %s; %s, %s\n"), ctl_scalar(cn_mp_get(p, "peer"), name, sizeof name, false),
                   following && following->type == MSGPACK_OBJECT_BOOLEAN && following->via.boolean
                       ? T("suit ce nœud", "follows this node")
                       : T("NE SUIT PAS ce nœud en ce moment", "NOT following this node now"),
                   asked, links[0], links[1]);
        }
    } else if (strcmp(op, "adhesion.list") == 0) {
        static const column cols[] = {{"id", "Id", "Id", 4, false},
                                      {"state", "État", "State", 12, true},
                                      {"organisation", "Organisation", "Organisation", 40, false},
                                      {"category", "Catégorie", "Category", 14, false},
                                      {"territory", "Territoire", "Territory", 14, false},
                                      {"duplicate_of", "Doublon de", "Duplicate of", 10, false},
                                      {"submitted", "Reçue le", "Received", 10, false},
                                      {"contact_email", "Courriel", "E-mail", 30, false}};
        ctl_table(r, cols, COUNT(cols));
    } else if (strcmp(op, "adhesion.members") == 0) {
        static const column rows[] = {{"region", "Région", "Region", 0, false},
                                      {"members", "Membres", "Members", 0, false}};
        ctl_details(r, rows, COUNT(rows));
        static const column cols[] = {{"name", "Catégorie", "Category", 44, false},
                                      {"territory", "Territoire", "Territory", 20, false},
                                      {"members", "Membres", "Members", 7, false}};
        ctl_table(cn_mp_get(r, "by_category"), cols, COUNT(cols));
    } else if (strcmp(op, "adhesion.journal") == 0) {
        static const column cols[] = {{"at", "Quand", "When", 20, false},
                                      {"region", "Région", "Region", 12, false},
                                      {"what", "Quoi", "What", 12, false},
                                      {"application", "Demande", "Application", 7, false},
                                      {"detail", "Détail", "Detail", 60, false}};
        ctl_table(r, cols, COUNT(cols));
    } else if ((strcmp(op, "calendar.export") == 0 || strcmp(op, "veille.opml_export") == 0 ||
                strcmp(op, "adhesion.export") == 0) &&
               cn_mp_get(r, "text")) {
        const msgpack_object *text = cn_mp_get(r, "text");
        fwrite(text->via.str.ptr, 1, text->via.str.size, stdout);
    } else if (strcmp(op, "notify.list") == 0) {
        static const column cols[] = {{"id", "Id", "Id", 4, false},
                                      {"address", "Destinataire", "Recipient", 40, false},
                                      {"region", "Région", "Region", 14, false},
                                      {"events", "Événements", "Events", 34, false},
                                      {"cadence", "Envoi", "Cadence", 12, true},
                                      {"lang", "Langue", "Lang", 8, true}};
        ctl_table(r, cols, COUNT(cols));
    } else if (strcmp(op, "notify.outbox") == 0) {
        static const column cols[] = {{"id", "Id", "Id", 5, false},
                                      {"state", "État", "State", 10, true},
                                      {"attempts", "Essais", "Tries", 6, false},
                                      {"address", "Destinataire", "Recipient", 30, false},
                                      {"subject", "Objet", "Subject", 40, false},
                                      {"last_error", "Dernière erreur", "Last error", 40, false}};
        ctl_table(r, cols, COUNT(cols));
    } else if (strcmp(op, "veille.feeds") == 0) {
        static const column cols[] = {{"id", "Id", "Id", 4, false},
                                      {"region", "Région", "Region", 12, false},
                                      {"title", "Flux", "Feed", 40, false},
                                      {"items", "Éléments", "Items", 8, false},
                                      {"last_ok", "Lu le", "Read on", 20, false},
                                      {"failures", "Échecs", "Failures", 6, false},
                                      {"last_error", "Dernière erreur", "Last error", 80, false},
                                      {"url", "Adresse", "Address", 50, false}};
        ctl_table(r, cols, COUNT(cols));
    } else if (strcmp(op, "veille.items") == 0) {
        static const column cols[] = {{"published", "Publié", "Published", 20, false},
                                      {"title", "Titre", "Title", 60, false},
                                      {"tags", "Étiquettes", "Tags", 20, false},
                                      {"objectives", "Objectifs", "Objectives", 9, false},
                                      {"link", "Lien", "Link", 60, false},
                                      {"id", "Id", "Id", 5, false}};
        ctl_table(r, cols, COUNT(cols));
    } else if (strcmp(op, "veille.objectives") == 0) {
        static const column cols[] = {{"objective", "Objectif", "Objective", 8, false},
                                      {"text", "Texte", "Text", 50, false},
                                      {"items", "Trouvés", "Found", 7, false},
                                      {"unread", "Non lus", "Unread", 7, false},
                                      {"latest", "Le plus récent", "Newest", 60, false}};
        ctl_table(r, cols, COUNT(cols));
    } else if (strcmp(op, "veille.rules") == 0) {
        static const column cols[] = {{"id", "Id", "Id", 4, false},
                                      {"region", "Région", "Region", 12, false},
                                      {"name", "Règle", "Rule", 24, false},
                                      {"any_of", "Un de", "Any of", 30, false},
                                      {"all_of", "Tous", "All of", 20, false},
                                      {"none_of", "Aucun de", "None of", 20, false},
                                      {"tags", "Étiquettes", "Tags", 20, false},
                                      {"objectives", "Objectifs", "Objectives", 9, false}};
        ctl_table(r, cols, COUNT(cols));
    } else if (strcmp(op, "echeance.remind") == 0) {
        static const column cols[] = {{"type", "Rappel", "Reminder", 9, true},
                                      {"region", "Région", "Region", 14, false},
                                      {"number", "Action", "Action", 8, false},
                                      {"due_on", "Dû le", "Due on", 10, false}};
        ctl_table(cn_mp_get(r, "sent"), cols, COUNT(cols));
    } else if (strcmp(op, "echeance.parse") == 0) {
        static const column cols[] = {{"kind", "Type", "Kind", 12, true},
                                      {"start", "Début", "Start", 10, false},
                                      {"end", "Fin", "End", 10, false}};
        ctl_table(cn_mp_get(r, "windows"), cols, COUNT(cols));
    } else if (strcmp(op, "events.since") == 0) {
        const msgpack_object *evs = cn_mp_get(r, "events");
        for (uint32_t i = 0; evs && i < evs->via.array.size; i++)
            ctl_render_event(&evs->via.array.ptr[i], false);
        const msgpack_object *more = cn_mp_get(r, "more");
        if (more && more->type == MSGPACK_OBJECT_BOOLEAN && more->via.boolean)
            printf(T("… la suite avec --since %llu\n", "… more with --since %llu\n"),
                   (unsigned long long)cn_mp_get(r, "last_seq")->via.u64);
    } else if (strcmp(op, "node.status") == 0) {
        ctl_render_status(r);
    } else if (strcmp(op, "node.info") == 0) {
        static const column rows[] = {{"node", "Nœud", "Node", 0, false},
                                      {"version", "Version", "Version", 0, false},
                                      {"protocol", "Protocole", "Protocol", 0, false},
                                      {"last_seq", "Dernier événement", "Last event", 0, false}};
        ctl_details(r, rows, COUNT(rows));
        ctl_heading("Opérations", "Operations");
        static const column cols[] = {{"name", "Opération", "Operation", 22, false},
                                      {"help", "Description", "Description", 60, false}};
        ctl_table(cn_mp_get(r, "ops"), cols, COUNT(cols));
        const msgpack_object *plugins = cn_mp_get(r, "plugins");
        if (plugins && plugins->type == MSGPACK_OBJECT_ARRAY && plugins->via.array.size) {
            ctl_heading("Greffons", "Plugins");
            static const column pcols[] = {{"name", "Greffon", "Plugin", 16, false},
                                           {"version", "Version", "Version", 8, false},
                                           {"state", "État", "State", 10, true},
                                           {"op_errors", "Err. cmd", "Op err.", 8, false},
                                           {"event_errors", "Err. évén.", "Event err.", 10, false},
                                           {"reason", "Raison du refus", "Why refused", 70, false}};
            ctl_table(plugins, pcols, COUNT(pcols));
        }
    } else if (strcmp(op, "events.history") == 0) {
        render_history(r);
    } else if (strcmp(op, "events.undo") == 0) {
        char num[32], type[64];
        printf(T("Changement n° %s annulé (%s) ; l'annulation est un changement de plus, à l'historique.\n",
                 "Change no. %s undone (%s); the undo is one more change, in the history.\n"),
               ctl_scalar(cn_mp_get(r, "undone"), num, sizeof num, false),
               ctl_scalar(cn_mp_get(r, "type"), type, sizeof type, false));
    } else {
        ctl_render_generic(r);
    }
}

/* One line per event: time, region, type, and what it is about. */
void ctl_render_event(const msgpack_object *ev, bool json)
{
    if (json) {
        ctl_print_json(ev, true);
        return;
    }
    const msgpack_object *ts = cn_mp_get(ev, "ts");
    char when[32] = "", line[4096];
    if (ts && ts->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        time_t t = (time_t)(ts->via.u64 / 1000);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
    }
    cn_event_sentence(ev, ctl_en(), line, sizeof line);
    printf("%s  %s\n", when, line);
}
