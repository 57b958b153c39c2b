/* import_pack.c: packs what the importer found (import_model.h): the plan
 * document, the glossary and the report; and reads a status from the
 * words of an état d'avancement. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_cells.h"
#include "import_model.h"
#include "mp.h"
#include "fold.h"
#include "text.h"

static void pk_opt(msgpack_packer *pk, const char *key, const char *value)
{
    cn_pk_str(pk, key);
    if (value && *value)
        cn_pk_str(pk, value);
    else
        msgpack_pack_nil(pk);
}

/* "CLDS\nMembres; Partenaires" → ["CLDS", "Membres", "Partenaires"]. */
static void pack_lines(cn_import *im, msgpack_packer *pk, const char *s)
{
    char *items[64];
    size_t n = 0;
    for (const char *p = s; p && *p && n < 64;) {
        size_t len = strcspn(p, "\n;");
        char *item = cn_zdup(im->z, p, len);
        char *t = item;
        while (t && *t == ' ')
            t++;
        size_t tl = t ? strlen(t) : 0;
        while (tl && t[tl - 1] == ' ')
            t[--tl] = '\0';
        if (tl)
            items[n++] = t;
        p += len + (p[len] ? 1 : 0);
    }
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++)
        cn_pk_str(pk, items[i]);
}

const char *cn_status_from_words(const char *text)
{
    static const char *const codes[] = {"planned", "in_progress", "done", "ongoing", "postponed", "cancelled", NULL};
    for (int i = 0; codes[i]; i++)
        if (strcmp(text, codes[i]) == 0)
            return codes[i];
    size_t cap = strlen(text) * 2 + 1;
    char *f = malloc(cap);
    if (!f)
        return NULL;
    cn_fold(text, f, cap);
    static const struct {
        const char *word, *status;
    } words[] = {
        {"annule", "cancelled"},    {"abandonne", "cancelled"},   {"cancel", "cancelled"},
        {"reporte", "postponed"},   {"postpone", "postponed"},    {"en continu", "ongoing"},
        {"continu", "ongoing"},     {"ongoing", "ongoing"},       {"non debute", "planned"},
        {"non realise", "planned"}, {"pas commence", "planned"},  {"a venir", "planned"},
        {"a faire", "planned"},     {"prevu", "planned"},         {"planned", "planned"},
        {"en cours", "in_progress"}, {"partiel", "in_progress"},  {"amorce", "in_progress"},
        {"debute", "in_progress"},  {"in progress", "in_progress"}, {"realise", "done"},
        {"termine", "done"},        {"complete", "done"},         {"acheve", "done"},
        {"fait", "done"},           {"done", "done"},
    };
    const char *found = NULL;
    for (size_t i = 0; i < sizeof words / sizeof words[0] && !found; i++)
        if (strstr(f, words[i].word))
            found = words[i].status;
    free(f);
    return found;
}

static size_t live(const cn_import *im, int kind)
{
    size_t n = 0;
    if (kind == 0)
        for (size_t i = 0; i < im->n_ori; i++)
            n += !im->ori[i].dropped;
    else if (kind == 1)
        for (size_t i = 0; i < im->n_obj; i++)
            n += !im->obj[i].dropped;
    else
        for (size_t i = 0; i < im->n_act; i++)
            n += !im->act[i].dropped;
    return n;
}

void cn_import_pack_document(const cn_import *cim, msgpack_packer *pk)
{
    cn_import *im = (cn_import *)cim; /* packing allocates scratch strings in the zone */
    msgpack_pack_map(pk, 7);
    cn_pk_kstr(pk, "format", "concertd.plan");
    cn_pk_kint(pk, "version", 1);
    cn_pk_str(pk, "plan");
    msgpack_pack_map(pk, 8);
    pk_opt(pk, "title", im->title);
    pk_opt(pk, "period", im->period);
    pk_opt(pk, "start_date", im->start_date);
    pk_opt(pk, "end_date", im->end_date);
    pk_opt(pk, "adopted_on", im->adopted_on);
    pk_opt(pk, "mission", im->mission);
    cn_pk_kstr(pk, "status", "active");
    cn_pk_str(pk, "mandates");
    msgpack_pack_array(pk, im->n_mandates);
    for (size_t i = 0; i < im->n_mandates; i++) {
        msgpack_pack_map(pk, 2);
        cn_pk_kstr(pk, "number", im->mandates[i].a);
        cn_pk_kstr(pk, "text", im->mandates[i].b);
    }
    cn_pk_str(pk, "orientations");
    msgpack_pack_array(pk, live(im, 0));
    for (size_t i = 0; i < im->n_ori; i++) {
        if (im->ori[i].dropped)
            continue;
        msgpack_pack_map(pk, 2);
        cn_pk_kstr(pk, "number", im->ori[i].number);
        cn_pk_kstr(pk, "statement", im->ori[i].statement);
    }
    cn_pk_str(pk, "objectives");
    msgpack_pack_array(pk, live(im, 1));
    for (size_t i = 0; i < im->n_obj; i++) {
        obj_t *o = &im->obj[i];
        if (o->dropped)
            continue;
        msgpack_pack_map(pk, 4);
        cn_pk_kstr(pk, "number", o->number);
        pk_opt(pk, "orientation", o->ori >= 0 ? im->ori[o->ori].number : NULL);
        cn_pk_kstr(pk, "text", o->text);
        cn_pk_str(pk, "mandates");
        char *m = o->mandates ? cn_zdup(im->z, o->mandates, strlen(o->mandates)) : NULL;
        for (char *p = m; p && *p; p++)
            if (*p == ' ')
                *p = '\n';
        pack_lines(im, pk, m);
    }
    cn_pk_str(pk, "actions");
    msgpack_pack_array(pk, live(im, 2));
    for (size_t i = 0; i < im->n_act; i++) {
        act_t *a = &im->act[i];
        if (a->dropped)
            continue;
        const char *status = a->progress ? cn_status_from_words(a->progress) : NULL;
        msgpack_pack_map(pk, 10);
        cn_pk_kstr(pk, "number", a->number);
        cn_pk_kstr(pk, "objective", im->obj[a->obj].number);
        cn_pk_kstr(pk, "text", a->text);
        pk_opt(pk, "priority", NULL);
        cn_pk_str(pk, "targets");
        pack_lines(im, pk, a->targets);
        pk_opt(pk, "schedule", a->schedule);
        pk_opt(pk, "expected_result", a->expected);
        pk_opt(pk, "responsible", a->responsible);
        cn_pk_kstr(pk, "status", status ? status : "planned");
        cn_pk_str(pk, "notes");
        if (a->progress && im->today) {
            msgpack_pack_array(pk, 1);
            msgpack_pack_map(pk, 4);
            cn_pk_kstr(pk, "date", im->today);
            char *t = cn_zcat(im->z, L("État d'avancement :", "Progress:"), " ", a->progress);
            for (char *p = t; p && *p; p++)
                if (*p == '\n')
                    *p = ' ';
            cn_pk_kstr(pk, "text", t);
            pk_opt(pk, "status_from", NULL);
            pk_opt(pk, "status_to", status);
        } else
            msgpack_pack_array(pk, 0);
    }
    cn_pk_str(pk, "indicators");
    size_t ni = 0;
    for (size_t i = 0; i < im->n_ind; i++)
        ni += !im->act[im->ind[i].act].dropped;
    msgpack_pack_array(pk, ni);
    for (size_t i = 0; i < im->n_ind; i++) {
        ind_t *ind = &im->ind[i];
        if (im->act[ind->act].dropped)
            continue;
        msgpack_pack_map(pk, 7);
        cn_pk_kstr(pk, "action", im->act[ind->act].number);
        cn_pk_kstr(pk, "name", ind->name);
        pk_opt(pk, "unit", ind->unit);
        cn_pk_str(pk, "target");
        if (ind->has_target)
            msgpack_pack_double(pk, ind->target);
        else
            msgpack_pack_nil(pk);
        pk_opt(pk, "target_date", NULL);
        pk_opt(pk, "baseline", NULL);
        cn_pk_str(pk, "measurements");
        msgpack_pack_array(pk, 0);
    }
}

void cn_import_pack_glossary(const cn_import *im, msgpack_packer *pk)
{
    msgpack_pack_map(pk, im->n_terms);
    for (size_t i = 0; i < im->n_terms; i++) {
        cn_pk_str(pk, im->terms[i].a);
        cn_pk_str(pk, im->terms[i].b);
    }
}

size_t cn_import_glossary_count(const cn_import *im) { return im->n_terms; }

void cn_import_line_ref(int line, char out[16]) { snprintf(out, 16, "\x01%d\x01", line); }

/* message with its line references (cn_import_line_ref) written out. */
static void pack_message(msgpack_packer *pk, const char *message, const char *const *places, size_t nplaces)
{
    if (!strchr(message, '\x01')) {
        cn_pk_str(pk, message);
        return;
    }
    msgpack_sbuffer b;
    msgpack_sbuffer_init(&b);
    for (const char *p = message; *p;) {
        const char *ref = strchr(p, '\x01'), *end = ref ? strchr(ref + 1, '\x01') : NULL;
        if (!end) {
            msgpack_sbuffer_write(&b, p, strlen(p));
            break;
        }
        msgpack_sbuffer_write(&b, p, (size_t)(ref - p));
        int line = atoi(ref + 1);
        const char *where = places && line > 0 && (size_t)line <= nplaces ? places[line - 1] : NULL;
        char text[32];
        if (!where)
            snprintf(text, sizeof text, L("ligne %d", "line %d"), line);
        msgpack_sbuffer_write(&b, where ? where : text, strlen(where ? where : text));
        p = end + 1;
    }
    cn_pk_strn(pk, b.data, b.size);
    msgpack_sbuffer_destroy(&b);
}

void cn_import_pack_report(const cn_import *im, msgpack_packer *pk) { cn_import_pack_report_placed(im, pk, NULL, 0); }

void cn_import_pack_report_placed(const cn_import *im, msgpack_packer *pk, const char *const *places, size_t nplaces)
{
    msgpack_pack_array(pk, im->n_notes);
    for (size_t i = 0; i < im->n_notes; i++) {
        const note_t *n = &im->notes[i];
        const char *where = places && n->line > 0 && (size_t)n->line <= nplaces ? places[n->line - 1] : NULL;
        msgpack_pack_map(pk, where ? 5 : 4);
        cn_pk_kint(pk, "line", n->line);
        if (where)
            cn_pk_kstr(pk, "where", where);
        cn_pk_kstr(pk, "kind", n->kind);
        cn_pk_kstr(pk, "text", n->text ? n->text : "");
        cn_pk_str(pk, "message");
        pack_message(pk, n->message ? n->message : "", places, nplaces);
    }
}

size_t cn_import_report_count(const cn_import *im) { return im->n_notes; }

