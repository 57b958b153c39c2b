/* fetch.h: HTTP GETs for the veille plugin through libcurl's multi
 * interface, driven by the daemon's loop (the host's descriptor watches and
 * timers): no thread per feed, nothing blocks the loop. Conditional GET
 * (ETag, Last-Modified), any compression curl knows, bounded redirects,
 * timeouts, a size cap, and politeness: one request at a time per host,
 * at most max_parallel in all; the others wait in order. */
#ifndef VEILLE_FETCH_H
#define VEILLE_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <concertd/plugin.h>

typedef struct vf_fetcher vf_fetcher;

typedef struct {
    long timeout_s;       /* whole transfer */
    long connect_timeout_s;
    size_t max_bytes;     /* body, decoded */
    long max_redirects;
    int max_parallel;
    char user_agent[128];
    char ca_file[1024];   /* certificates to trust instead of the system's, "" for the system's */
} vf_limits;

/* What a GET gave. The fetcher owns it; done() may take body (set it NULL). */
typedef struct {
    int64_t id;           /* as given to vf_fetch */
    long status;          /* HTTP status of the last response, 0 when none */
    bool not_modified;    /* 304: nothing new */
    char *body;           /* NUL-terminated, size bytes; NULL unless 2xx */
    size_t size;
    char etag[256], last_modified[128], content_type[128];
    char final_url[2048];  /* after redirects */
    bool moved;            /* every redirect was permanent (301, 308): final_url is the feed's new address */
    char error[512];       /* in words (French), empty when the GET succeeded */
} vf_result;

typedef void (*vf_done_fn)(cd_host *h, vf_result *r, void *data);

/* A fetcher using the host's loop; done() is called for each request that
 * ends (success or not), inside the host's transaction for that callback. */
vf_fetcher *vf_fetcher_new(cd_host *h, const cd_host_api *api, const vf_limits *limits, vf_done_fn done, void *data);

/* Queues a GET of url for id (etag / last_modified may be NULL or empty).
 * Returns 0, 1 when id is already queued or running, -1 on error. */
int vf_fetch(vf_fetcher *f, int64_t id, const char *url, const char *etag, const char *last_modified);

/* How many requests are queued or running. */
size_t vf_pending(const vf_fetcher *f);

/* Abandons every request (done() is not called) and frees *f. */
void vf_fetcher_free(vf_fetcher **f);

#endif
