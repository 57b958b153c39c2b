/* page_bilan.c: the bilan (plan.report) in the browser —
 *   GET /r/REGION/bilan        the HTML report, printable as it is
 *   GET /r/REGION/bilan.odt    the same as a LibreOffice document
 *   GET /r/REGION/bilan.docx   and as a Word document (attachments)
 * each for the twelve months up to today, or ?from=AAAA-MM-JJ&to=….
 * Written afresh each time (never cached: a file with its own name), so
 * limited to BILANS_PER_MINUTE per address. */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <string.h>

#include "shared.h"

enum { BILANS_PER_MINUTE = 20 };

/* The period asked for, as a query to pass on ("" for the default). from and to are dates the op accepted. */
static void period_query(web_req *rq, char *out, size_t cap)
{
    const char *from = rq->query(rq, "from"), *to = rq->query(rq, "to");
    snprintf(out, cap, "%s%s%s%s%s%s", from || to ? "?" : "", from ? "from=" : "", from ? from : "",
             from && to ? "&" : "", to ? "to=" : "", to ? to : "");
}

static void files_nav(web_req *rq, const char *region)
{
    char period[64];
    period_query(rq, period, sizeof period);
    static const char *const links[][3] = {{"", "← Le plan d'action", "← The action plan"},
                                           {"/bilan.odt", "Télécharger (.odt, LibreOffice)", "Download (.odt, LibreOffice)"},
                                           {"/bilan.docx", "Télécharger (.docx, Word)", "Download (.docx, Word)"}};
    buf *b = &rq->body;
    buf_str(b, "<style>.noprint{margin-bottom:1em}@media print{.noprint{display:none}}</style><nav class=\"noprint\">");
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        char path[160];
        snprintf(path, sizeof path, "/r/%s%s%s", region, links[i][0], i ? period : "");
        buf_str(b, i ? " · <a " : "<a ");
        link_href(rq, path);
        buf_str(b, ">");
        html_text(b, T(rq, links[i][1], links[i][2]));
        buf_str(b, "</a>");
    }
    buf_str(b, "</nav>\n");
}

int page_bilan(web_req *rq, const char *region, const char *format)
{
    static web_rate seen[128];
    if (!web_rate_ok(rq, seen, sizeof seen / sizeof seen[0], BILANS_PER_MINUTE, 60000)) {
        page_error(rq, 429, T(rq, "Trop de bilans demandés", "Too many reports asked for"),
                   T(rq, "Attendez une minute avant d'en demander un autre.", "Wait a minute before asking for another."));
        return 0;
    }
    static const char *const keys[] = {"region", "format", "from", "to"};
    const char *values[] = {region, format, rq->query(rq, "from"), rq->query(rq, "to")};
    web_result res;
    char code[32], err[512];
    if (web_call(rq, "plan.report", 4, keys, values, &res, code, sizeof code, err, sizeof err) != 0) {
        web_result_free(&res);
        return page_op_failed(rq, code, err);
    }
    const msgpack_object *content = cd_get(&res.u.data, "content");
    char name[160];
    mp_text(cd_get(&res.u.data, "filename"), name, sizeof name);
    if (content && content->type == MSGPACK_OBJECT_STR) {
        /* The report's own page, with the way back and its files above it (not printed). */
        rq->content_type = "text/html; charset=utf-8";
        rq->inline_style = true;
        const char *html = content->via.str.ptr, *body = memmem(html, content->via.str.size, "<body>\n", 7);
        size_t head = body ? (size_t)(body - html) + 7 : 0;
        buf_add(&rq->body, html, head);
        if (body)
            files_nav(rq, region);
        buf_add(&rq->body, html + head, content->via.str.size - head);
    } else if (content && content->type == MSGPACK_OBJECT_BIN) {
        rq->content_type = strcmp(format, "docx") == 0
                               ? "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                               : "application/vnd.oasis.opendocument.text";
        static char disposition[200]; /* read when the answer is sent, on this same thread */
        snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"", name);
        rq->disposition = disposition;
        buf_add(&rq->body, content->via.bin.ptr, content->via.bin.size);
    }
    web_result_free(&res);
    return 0;
}
