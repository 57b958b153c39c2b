/* page_veille.c: a region's veille — per objective of its plan, what the
 * rules found (veille.objectives), the newest matched items with their
 * sources (veille.items), and the Atom digest to follow in a feed reader
 * (/r/REGION/veille.atom, veille.digest). Links from feeds keep only
 * http(s) addresses (html_href). */
#include <stdio.h>
#include <string.h>

#include "shared.h"
#include "words.h"

static int no_veille(web_req *rq)
{
    page_error(rq, 404, T(rq, "Pas de veille ici", "No watch here"),
               T(rq, "Ce nœud ne tient pas de veille (le greffon veille n'est pas en service).",
                 "This node keeps no watch (the veille plugin is not running)."));
    return 0;
}

int page_veille(web_req *rq, const char *region)
{
    web_result reg, objs, items;
    char code[32], err[512], name[256], slug[64];
    static const char *const rkeys[] = {"id"}, *const keys[] = {"region"};
    if (web_call(rq, "region.get", 1, rkeys, (const char *const[]){region}, &reg, code, sizeof code, err,
                 sizeof err) != 0) {
        web_result_free(&reg);
        return page_op_failed(rq, code, err);
    }
    mp_text(cd_get(&reg.u.data, "name"), name, sizeof name);
    mp_text(cd_get(&reg.u.data, "id"), slug, sizeof slug);
    web_result_free(&reg);
    if (web_call(rq, "veille.objectives", 1, keys, (const char *const[]){slug}, &objs, code, sizeof code, err,
                 sizeof err) != 0) {
        web_result_free(&objs);
        if (strcmp(code, "unknown_op") == 0 || strcmp(code, "unavailable") == 0)
            return no_veille(rq);
        if (strcmp(code, "not_found") != 0) /* a region without a plan still has its items */
            return page_op_failed(rq, code, err);
        msgpack_unpacked_init(&objs.u);
        msgpack_sbuffer_init(&objs.raw);
    }
    msgpack_sbuffer args; /* the matched items (a boolean argument) */
    msgpack_sbuffer_init(&args);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &args, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    cd_pack_str(&pk, "region");
    cd_pack_str(&pk, slug);
    cd_pack_str(&pk, "matched");
    msgpack_pack_true(&pk);
    int rc = web_call_packed(rq, "veille.items", &args, &items, code, sizeof code, err, sizeof err);
    msgpack_sbuffer_destroy(&args);
    if (rc != 0) {
        web_result_free(&items);
        web_result_free(&objs);
        return page_op_failed(rq, code, err);
    }
    buf *b = &rq->body;
    char title[320], atom[128];
    snprintf(title, sizeof title, "%s — %s", name, T(rq, "veille", "watch"));
    snprintf(atom, sizeof atom, "/r/%s/veille.atom", slug);
    rq->live_region = slug;
    page_open(rq, title);
    buf_str(b, "<h1>");
    html_text(b, title);
    buf_str(b, "</h1>\n");
    region_nav(rq, slug, "/veille");
    buf_str(b, "<p><a href=\"");
    html_text(b, atom);
    buf_printf(b, "\" type=\"application/atom+xml\">%s</a></p>\n",
               T(rq, "Suivre cette veille dans un lecteur de flux (Atom)", "Follow this watch in a feed reader (Atom)"));
    const msgpack_object *o = objs.u.data.type == MSGPACK_OBJECT_ARRAY ? &objs.u.data : NULL;
    if (o && o->via.array.size) {
        buf_printf(b, "<section id=\"objectifs-section\" data-live aria-labelledby=\"objectifs\"><h2 id=\"objectifs\">%s</h2>\n<div class=\"table-wrap\">"
                      "<table class=\"veille-objectives\"><thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
                      "<th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead><tbody>\n",
                   T(rq, "Par objectif du plan", "By objective of the plan"), T(rq, "Objectif", "Objective"),
                   T(rq, "Trouvés", "Found"), T(rq, "Non lus", "Unread"), T(rq, "Le plus récent", "Newest"));
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            const msgpack_object *r = &o->via.array.ptr[i];
            buf_str(b, "<tr><th scope=\"row\">");
            html_mp(b, cd_get(r, "objective"));
            buf_str(b, " — ");
            html_mp(b, cd_get(r, "text"));
            buf_str(b, "</th>");
            cell(rq, "Trouvés", "Found");
            html_number(b, cd_get(r, "items"));
            buf_str(b, "</td>");
            cell(rq, "Non lus", "Unread");
            html_number(b, cd_get(r, "unread"));
            buf_str(b, "</td>");
            cell(rq, "Le plus récent", "Newest");
            html_mp(b, cd_get(r, "latest"));
            buf_str(b, "</td></tr>\n");
        }
        buf_str(b, "</tbody></table></div></section>\n");
    }
    const msgpack_object *it = items.u.data.type == MSGPACK_OBJECT_ARRAY ? &items.u.data : NULL;
    buf_printf(b, "<section id=\"trouvailles-section\" data-live aria-labelledby=\"trouvailles\"><h2 id=\"trouvailles\">%s</h2>\n",
               T(rq, "Ce que la veille a trouvé", "What the watch found"));
    if (!it || it->via.array.size == 0)
        buf_printf(b, "<p>%s</p>\n", T(rq, "Rien encore : les règles de la région n'ont rien retenu.",
                                       "Nothing yet: the region's rules kept nothing."));
    else
        buf_str(b, "<ul class=\"items\">\n");
    for (uint32_t i = 0; it && i < it->via.array.size; i++) {
        const msgpack_object *r = &it->via.array.ptr[i];
        char link[2048];
        mp_text(cd_get(r, "link"), link, sizeof link);
        /* An item without a link (the veille keeps only http(s) ones) is its title alone. */
        if (link[0]) {
            buf_str(b, "<li><a href=\"");
            html_href(b, link);
            buf_str(b, "\" rel=\"noopener noreferrer\">");
            html_mp(b, cd_get(r, "title"));
            buf_str(b, "</a>");
        } else {
            buf_str(b, "<li>");
            html_mp(b, cd_get(r, "title"));
        }
        const msgpack_object *published = cd_get(r, "published");
        if (mp_is_str(published)) {
            char local[32];
            buf_str(b, " <span class=\"hint\">");
            if (cn_utc_to_local(published->via.str.ptr, published->via.str.size, local, sizeof local))
                html_text(b, local); /* the node's time, not UTC */
            else
                html_mp(b, published);
            buf_str(b, "</span>");
        }
        const msgpack_object *src = cd_get(r, "sources");
        for (uint32_t k = 0; src && src->type == MSGPACK_OBJECT_ARRAY && k < src->via.array.size; k++) {
            buf_str(b, k ? ", " : "<br><span class=\"hint\">");
            if (k == 0)
                buf_printf(b, "%s ", T(rq, "Source :", "Source:"));
            html_mp(b, cd_get(&src->via.array.ptr[k], "title"));
            if (k + 1 == src->via.array.size)
                buf_str(b, "</span>");
        }
        const msgpack_object *ob = cd_get(r, "objectives");
        for (uint32_t k = 0; ob && ob->type == MSGPACK_OBJECT_ARRAY && k < ob->via.array.size; k++) {
            buf_printf(b, k ? ", " : " <span class=\"tag\">%s ", T(rq, "objectif", "objective"));
            html_mp(b, &ob->via.array.ptr[k]);
            if (k + 1 == ob->via.array.size)
                buf_str(b, "</span>");
        }
        buf_str(b, "</li>\n");
    }
    if (it && it->via.array.size)
        buf_str(b, "</ul>\n");
    buf_str(b, "</section>\n");
    page_close(rq);
    web_result_free(&items);
    web_result_free(&objs);
    return 0;
}

int veille_atom(web_req *rq, const char *region)
{
    web_result res;
    char code[32], err[512];
    static const char *const keys[] = {"region"};
    if (web_call(rq, "veille.digest", 1, keys, (const char *const[]){region}, &res, code, sizeof code, err,
                 sizeof err) != 0) {
        web_result_free(&res);
        if (strcmp(code, "unknown_op") == 0 || strcmp(code, "unavailable") == 0)
            return no_veille(rq);
        return page_op_failed(rq, code, err);
    }
    const msgpack_object *text = cd_get(&res.u.data, "text");
    rq->content_type = "application/atom+xml; charset=utf-8";
    if (text && text->type == MSGPACK_OBJECT_STR)
        buf_add(&rq->body, text->via.str.ptr, text->via.str.size);
    web_result_free(&res);
    return 0;
}
