/* api.c: the JSON read API, for a partner's website (proto/PROTOCOL.md,
 * "Web"): the same views as the pages, as the ops give them.
 *
 *   GET /api/regions                  region.overview
 *   GET /api/r/REGION/plan            plan.export (the plan document)
 *   GET /api/r/REGION/echeances       echeance.list, overdue then 90 days
 *
 * Errors: {"error": {"code", "message"}} with 400, 404, 503 or 500. No
 * CORS header: a browser on another site cannot read it unless the node's
 * operator adds one in front (reverse proxy). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonmp.h"
#include "shared.h"

static void api_error(web_req *rq, int status, const char *code, const char *message)
{
    buf_free(&rq->body);
    rq->status = status;
    rq->content_type = "application/json; charset=utf-8";
    buf_str(&rq->body, "{\"error\":{\"code\":");
    json_str(&rq->body, code);
    buf_str(&rq->body, ",\"message\":");
    json_str(&rq->body, message);
    buf_str(&rq->body, "}}\n");
}

static int status_of(const char *code)
{
    return strcmp(code, "not_found") == 0          ? 404
           : strcmp(code, "invalid_argument") == 0 ? 400
           : strcmp(code, "unavailable") == 0      ? 503
                                                   : 500;
}

/* Answers op's result as JSON. */
static int answer(web_req *rq, const char *op, size_t n, const char *const *keys, const char *const *values)
{
    web_result res;
    char code[32], err[512];
    if (web_call(rq, op, n, keys, values, &res, code, sizeof code, err, sizeof err) != 0) {
        web_result_free(&res);
        api_error(rq, status_of(code), code, err);
        return 0;
    }
    json_t *j = cn_mp_to_json(&res.u.data);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    web_result_free(&res);
    if (!text) {
        api_error(rq, 500, "internal", "réponse impossible à écrire en JSON");
        return 0;
    }
    rq->content_type = "application/json; charset=utf-8";
    buf_str(&rq->body, text);
    buf_str(&rq->body, "\n");
    free(text);
    return 0;
}

int api_route(web_req *rq, const char *path)
{
    char region[64];
    int end = 0;
    if (strcmp(path, "/regions") == 0)
        return answer(rq, "region.overview", 0, NULL, NULL);
    if (sscanf(path, "/r/%63[^/]/plan%n", region, &end) == 1 && path[end] == '\0') {
        static const char *const keys[] = {"region"};
        return answer(rq, "plan.export", 1, keys, (const char *const[]){region});
    }
    if (sscanf(path, "/r/%63[^/]/echeances%n", region, &end) == 1 && path[end] == '\0') {
        char to[11];
        time_t t = time(NULL) + 90 * 86400;
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(to, sizeof to, "%Y-%m-%d", &tm);
        static const char *const keys[] = {"region", "from", "to"};
        return answer(rq, "echeance.list", 3, keys, (const char *const[]){region, "1970-01-01", to});
    }
    api_error(rq, 404, "not_found",
              rq->en ? "no such address in the API: see proto/PROTOCOL.md, Web"
                     : "aucune adresse de ce nom dans l'API : voir proto/PROTOCOL.md, Web");
    return 0;
}
