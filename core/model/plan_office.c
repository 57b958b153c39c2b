/* plan_office.c: plan.import of the document a table has (.docx, .odt,
 * .xlsx, .ods), known by its content. Its args are rewritten into those of
 * an import of text ("table", or "csv" for a spreadsheet's sheet): the
 * document's text (core/import/office.h) and,
 * line by line, where each line is in the document ("places"), so that
 * the report names a table's row, not a line; and the texts it has in bold
 * ("bold"), for a plan that says what its bold means. The bus does it off the loop
 * (a preparer, core.h) before the import runs in a batch; a call from
 * inside the daemon (a plugin's) does it in place. */
#include <stdio.h>
#include <string.h>

#include "doc_out.h"
#include "model.h"
#include "mp.h"
#include "office.h"
#include "text.h"

bool cn_office_format(const char *format)
{
    static const char *const formats[] = {"office", "docx", "odt", "xlsx", "ods", "pdf", NULL};
    for (int i = 0; format && formats[i]; i++)
        if (strcmp(format, formats[i]) == 0)
            return true;
    return false;
}

static bool wanted(const msgpack_object *args)
{
    const msgpack_object *f = cn_mp_get(args, "format");
    char format[16];
    return f && f->type == MSGPACK_OBJECT_STR && f->via.str.size < sizeof format &&
           (snprintf(format, sizeof format, "%.*s", (int)f->via.str.size, f->via.str.ptr), cn_office_format(format));
}

int cn_office_args(const msgpack_object *args, msgpack_packer *out, char code[32], char field[96], char *message,
                   size_t cap)
{
    const msgpack_object *t = cn_mp_get(args, "text");
    snprintf(code, 32, "invalid_argument");
    snprintf(field, 96, "text");
    if (!t || (t->type != MSGPACK_OBJECT_BIN && t->type != MSGPACK_OBJECT_STR)) {
        snprintf(message, cap, "%s", L("text : le fichier (.docx, .odt) tel quel, en octets (bin)",
                                       "text: the file (.docx, .odt) as it is, as bytes (bin)"));
        return -1;
    }
    /* A bin and a str have the same layout in msgpack-c: size, then bytes. */
    const char *data = t->type == MSGPACK_OBJECT_BIN ? t->via.bin.ptr : t->via.str.ptr;
    size_t size = t->type == MSGPACK_OBJECT_BIN ? t->via.bin.size : t->via.str.size;
    const msgpack_object *sh = cn_mp_get(args, "sheet");
    char sheet[256] = "";
    if (sh && (sh->type != MSGPACK_OBJECT_STR || sh->via.str.size >= sizeof sheet)) {
        snprintf(field, 96, "sheet");
        snprintf(message, cap, "%s", L("sheet : le nom d'une feuille du classeur", "sheet: the name of a sheet"));
        return -1;
    }
    if (sh)
        snprintf(sheet, sizeof sheet, "%.*s", (int)sh->via.str.size, sh->via.str.ptr);
    cn_docout *doc = cn_docout_new();
    const char *kind = NULL;
    if (!doc || cn_office_read(data, size, sheet[0] ? sheet : NULL, doc, &kind, message, cap) != 0) {
        if (!doc)
            snprintf(message, cap, "%s", L("mémoire insuffisante", "out of memory"));
        cn_docout_free(&doc);
        return -1;
    }
    /* The args as they came, but format, text and places. */
    uint32_t kept = 0;
    for (uint32_t i = 0; i < args->via.map.size; i++) {
        const msgpack_object *k = &args->via.map.ptr[i].key;
        kept += !(cn_mp_str_eq(k, "format") || cn_mp_str_eq(k, "text") || cn_mp_str_eq(k, "places") ||
                  cn_mp_str_eq(k, "sheet") || cn_mp_str_eq(k, "bold"));
    }
    size_t nbold = cn_docout_bold_count(doc);
    msgpack_pack_map(out, kept + 3 + (nbold > 0));
    for (uint32_t i = 0; i < args->via.map.size; i++) {
        const msgpack_object_kv *kv = &args->via.map.ptr[i];
        if (cn_mp_str_eq(&kv->key, "format") || cn_mp_str_eq(&kv->key, "text") || cn_mp_str_eq(&kv->key, "places") ||
            cn_mp_str_eq(&kv->key, "sheet") || cn_mp_str_eq(&kv->key, "bold"))
            continue;
        msgpack_pack_object(out, kv->key);
        msgpack_pack_object(out, kv->val);
    }
    size_t len;
    const char *text = cn_docout_text(doc, &len);
    cn_pk_kstr(out, "format", cn_office_is_sheet(kind) ? "csv" : "table"); /* a sheet is read as CSV */
    cn_pk_str(out, "text");
    cn_pk_strn(out, text, len);
    cn_pk_str(out, "places");
    size_t n = cn_docout_lines(doc);
    msgpack_pack_array(out, n);
    for (size_t line = 1; line <= n; line++) {
        const char *place = cn_docout_place(doc, line);
        place ? cn_pk_str(out, place) : msgpack_pack_nil(out);
    }
    if (nbold) { /* what the document has in bold, for a note that says what bold means */
        cn_pk_str(out, "bold");
        msgpack_pack_array(out, nbold);
        for (size_t i = 0; i < nbold; i++)
            cn_pk_str(out, cn_docout_bold_at(doc, i));
    }
    cn_docout_free(&doc);
    return 0;
}

const cn_preparer cn_plan_import_preparer = {"plan.import", wanted, cn_office_args};
