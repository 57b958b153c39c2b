/* digest.c: each region's own feed of what its veille found — the items its
 * rules matched, and those it marked shared, newest first — written as
 * Atom 1.0 (libxml2) to [plugin.veille] export_dir/veille-REGION.atom for
 * the table to publish (its "vigie", its newsletter's source). Rewritten
 * off the loop, atomically, one write at a time, after what changes it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/tree.h>

#include "veille.h"

#define DIGEST_ITEMS 50

static char export_dir[1024];
static char dirty[32][64]; /* regions whose file is to be rewritten */
static size_t ndirty;
static bool writing;

typedef struct {
    char path[1200];
    char *text;
    int error;
} digest_file;

void digest_init(const char *dir)
{
    snprintf(export_dir, sizeof export_dir, "%s", dir ? dir : "");
    ndirty = 0;
    writing = false;
}

const char *digest_dir(void) { return export_dir; }

void digest_dirty(const char *region)
{
    if (!export_dir[0])
        return;
    for (size_t i = 0; i < ndirty; i++)
        if (strcmp(dirty[i], region) == 0)
            return;
    if (ndirty < sizeof dirty / sizeof dirty[0])
        snprintf(dirty[ndirty++], sizeof dirty[0], "%s", region);
}

static void text_child(xmlNodePtr parent, const char *name, const char *value)
{
    if (value && *value)
        xmlNewTextChild(parent, NULL, (const xmlChar *)name, (const xmlChar *)value);
}

static void link_child(xmlNodePtr parent, const char *rel, const char *href)
{
    xmlNodePtr l = xmlNewChild(parent, NULL, (const xmlChar *)"link", NULL);
    xmlNewProp(l, (const xmlChar *)"rel", (const xmlChar *)rel);
    xmlNewProp(l, (const xmlChar *)"href", (const xmlChar *)href);
}

/* The region's Atom document, or NULL. */
static char *digest_text(cd_host *h, const char *region)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h),
                           "SELECT i.id, i.guid, i.link, i.title, i.summary, coalesce(i.published_ms, ri.first_seen_ms),"
                           " ri.tags FROM veille_region_items ri JOIN veille_items i ON i.id = ri.item"
                           " WHERE ri.region = ? AND (ri.matched OR ri.shared)"
                           " ORDER BY coalesce(i.published_ms, ri.first_seen_ms) DESC, i.id DESC LIMIT ?",
                           -1, &st, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, DIGEST_ITEMS);
    xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
    xmlNodePtr feed = xmlNewNode(NULL, (const xmlChar *)"feed");
    xmlDocSetRootElement(doc, feed);
    xmlSetNs(feed, xmlNewNs(feed, (const xmlChar *)"http://www.w3.org/2005/Atom", NULL));
    char buf[512], when[32];
    snprintf(buf, sizeof buf, "Veille — %s", region);
    text_child(feed, "title", buf);
    snprintf(buf, sizeof buf, "Programmes, financements et pratiques repérés pour le plan d'action (%s)", region);
    text_child(feed, "subtitle", buf);
    snprintf(buf, sizeof buf, "urn:concertd:veille:%s", region);
    text_child(feed, "id", buf);
    xmlNodePtr updated = xmlNewChild(feed, NULL, (const xmlChar *)"updated", (const xmlChar *)"1970-01-01T00:00:00Z");
    xmlNodePtr author = xmlNewChild(feed, NULL, (const xmlChar *)"author", NULL);
    text_child(author, "name", region);
    xmlNodePtr generator = xmlNewChild(feed, NULL, (const xmlChar *)"generator", (const xmlChar *)"concertd");
    (void)generator;
    int64_t latest = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *guid = (const char *)sqlite3_column_text(st, 1), *link = (const char *)sqlite3_column_text(st, 2);
        const char *title = (const char *)sqlite3_column_text(st, 3);
        int64_t ms = sqlite3_column_int64(st, 5);
        latest = ms > latest ? ms : latest;
        xmlNodePtr e = xmlNewChild(feed, NULL, (const xmlChar *)"entry", NULL);
        /* An entry's id must be an IRI: the item's own when it is one. */
        if (guid && strstr(guid, ":"))
            text_child(e, "id", guid);
        else {
            snprintf(buf, sizeof buf, "urn:concertd:veille:item:%lld", (long long)sqlite3_column_int64(st, 0));
            text_child(e, "id", buf);
        }
        text_child(e, "title", title && *title ? title : "(sans titre)");
        if (link)
            link_child(e, "alternate", link);
        iso_time(ms, when, sizeof when);
        text_child(e, "updated", when);
        text_child(e, "summary", (const char *)sqlite3_column_text(st, 4));
        const char *tags = (const char *)sqlite3_column_text(st, 6);
        for (const char *p = tags ? tags : ""; *p;) {
            const char *nl = strchr(p, '\n');
            size_t len = nl ? (size_t)(nl - p) : strlen(p);
            snprintf(buf, sizeof buf, "%.*s", (int)len, p);
            xmlNodePtr c = xmlNewChild(e, NULL, (const xmlChar *)"category", NULL);
            xmlNewProp(c, (const xmlChar *)"term", (const xmlChar *)buf);
            p += len + (nl ? 1 : 0);
        }
    }
    sqlite3_finalize(st);
    iso_time(latest ? latest : api->now_ms(h), when, sizeof when);
    xmlNodeSetContent(updated, (const xmlChar *)when);
    xmlChar *mem = NULL;
    int size = 0;
    xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
    xmlFreeDoc(doc);
    char *out = mem ? strndup((const char *)mem, (size_t)size) : NULL;
    xmlFree(mem);
    return out;
}

static void write_file(void *data)
{
    digest_file *f = data;
    char tmp[1300];
    snprintf(tmp, sizeof tmp, "%s.tmp", f->path);
    FILE *out = fopen(tmp, "wb");
    if (!out) {
        f->error = errno;
        return;
    }
    size_t len = strlen(f->text);
    bool ok = fwrite(f->text, 1, len, out) == len;
    ok = fflush(out) == 0 && fsync(fileno(out)) == 0 && ok;
    ok = fclose(out) == 0 && ok;
    if (ok && rename(tmp, f->path) == 0) /* readers see the old file or the new one */
        return;
    f->error = errno ? errno : EIO;
    unlink(tmp);
}

static int written(cd_host *h, void *data, int status)
{
    digest_file *f = data;
    if (f->error)
        api->log(h, CD_LOG_ERROR, "veille non publiée dans %s : %s (l'ancien fichier reste en place)", f->path,
                 api->strerror(f->error));
    free(f->text);
    free(f);
    writing = false;
    return status == 0 ? digest_flush(h) : 0;
}

int digest_flush(cd_host *h)
{
    if (writing || !ndirty)
        return 0;
    char region[64];
    snprintf(region, sizeof region, "%s", dirty[--ndirty]);
    if (strchr(region, '/') || region[0] == '.')
        return 0;
    digest_file *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->path, sizeof f->path, "%s/veille-%s.atom", export_dir, region);
    f->text = digest_text(h, region);
    if (!f->text || api->queue_work(h, write_file, written, f) != 0) {
        free(f->text);
        free(f);
        return -1;
    }
    writing = true;
    return 0;
}

/* veille.digest: the region's Atom document, as the file would hold it
 * (for the web plugin to serve, or anyone without the export folder). */
static int digest_op(cd_req *req, void *data)
{
    cd_host *h = data;
    char region[64], err[512];
    cd_str(cd_get(api->req_args(req), "region"), region, sizeof region);
    if (!region[0])
        return api->req_fail(req, "invalid_argument", "region", "region: la région dont on veut la veille");
    if (call_region(h, region, err, sizeof err) != 0)
        return api->req_fail(req, "not_found", "region", "%s", err);
    char *text = digest_text(h, region);
    if (!text)
        return api->req_fail(req, "internal", NULL, "le fil Atom de %s n'a pas pu être écrit", region);
    msgpack_packer *pk = api->req_result(req);
    msgpack_pack_map(pk, 1);
    cd_pack_str(pk, "text");
    cd_pack_str(pk, text);
    free(text);
    return 0;
}

int digest_register(cd_host *h)
{
    static const cd_param args[] = {
        {"region", CD_REGION, .required = 1, .help_fr = "la région", .help_en = "the region"}, CD_END};
    const cd_op_spec op = {"veille.digest", digest_op, h, args, "le fil Atom de ce que la veille a trouvé",
                           "the Atom feed of what the veille found"};
    return api->register_op(h, &op);
}
