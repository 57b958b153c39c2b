/* fuzz_web.c: the web face as a browser (or an attacker) reaches it: the
 * input is what a client writes on a TCP connection — request line, headers
 * (cookies, Accept-Language, Content-Type), query string and form body —
 * sent to the real web plugin, loaded by the real plugin host on a real
 * loop over a real database (as mosquitto fuzzes its broker over loopback).
 * The region "lanaudiere" has a plan (fuzz_core), an activity and a
 * membership form.
 *
 * Invariants: a whole request is answered (the live stream /events with
 * its headers: it stays open), and while a request cut short waits for its
 * rest the web answers others; an answer is an HTTP/1.x response; an HTML or JSON body sent without
 * a content coding is valid UTF-8; no transaction is left open. */
#define _GNU_SOURCE /* memmem, strcasestr */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fuzz_core.h"
#include "text.h"

static cn_core *core;
static int port;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    port = fuzz_free_port();
    char ini[512];
    snprintf(ini, sizeof ini, "[node]\ntimezone = America/Toronto\n[plugins]\npath = %s\nload = web, calendar, adhesion\n"
                              "[plugin.web]\nlisten = 127.0.0.1:%d\n",
             FUZZ_PLUGIN_DIR, port);
    core = fuzz_core_plugins(ini);
    fuzz_call_ok(core, "calendar.add", "{\"region\": \"lanaudiere\", \"title\": \"Comité « suivi »\", "
                                       "\"start\": \"2027-01-19T13:30\", \"rrule\": \"FREQ=MONTHLY;COUNT=3\"}");
    fuzz_call_ok(core, "adhesion.policy_set", "{\"region\": \"lanaudiere\", \"charter\": \"2024\", \"categories\": "
                                              "[{\"id\": \"communautaire\", \"name\": \"Organismes\", \"decision\": \"auto\"}]}");
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The body of an HTTP response when it is HTML or JSON without a content
 * coding nor chunks: valid UTF-8. */
static void check_response(const char *r, size_t n)
{
    FUZZ_ASSERT(n >= 12 && memcmp(r, "HTTP/1.", 7) == 0, "une réponse HTTP/1.x");
    const char *end = memmem(r, n, "\r\n\r\n", 4);
    if (!end)
        return;
    size_t head = (size_t)(end - r) + 4;
    char headers[4096];
    size_t hn = head < sizeof headers - 1 ? head : sizeof headers - 1;
    memcpy(headers, r, hn);
    headers[hn] = '\0';
    for (char *p = headers; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    bool text = strstr(headers, "content-type: text/html") || strstr(headers, "content-type: application/json");
    const char *length = strstr(headers, "content-length: ");
    size_t body = length ? (size_t)strtoull(length + 16, NULL, 10) : 0;
    if (text && length && body <= n - head && !strstr(headers, "content-encoding:"))
        FUZZ_ASSERT(cn_utf8_valid(r + head, body), "une page ou une réponse JSON est de l'UTF-8 valide");
}

/* Whether r holds a whole response (HTTP/1.1 keeps the connection open
 * after it): its headers and the body they announce. The live stream
 * stays open by design: its headers are its answer. */
static bool answered(const char *r, size_t n, bool head_only)
{
    const char *end = strstr(r, "\r\n\r\n");
    if (!end)
        return false;
    size_t head = (size_t)(end - r) + 4;
    char status[4] = "";
    if (n > 12)
        memcpy(status, r + 9, 3);
    if (head_only || strcmp(status, "204") == 0 || strcmp(status, "304") == 0 ||
        strcasestr(r, "content-type: text/event-stream"))
        return true;
    const char *length = strcasestr(r, "content-length: ");
    if (length && length < end)
        return n - head >= (size_t)strtoull(length + 16, NULL, 10);
    return strstr(r + head - 2, "\r\n0\r\n\r\n") != NULL; /* chunked: its last chunk */
}

/* Whether the request in data is whole: its headers ended, and the body
 * its Content-Length announces all there (none without one). A request
 * cut short may wait for the rest until MHD's idle timeout: not a hang. */
static bool whole_request(const uint8_t *data, size_t size)
{
    static char text[65537];
    memcpy(text, data, size);
    text[size] = '\0';
    if (strlen(text) != size) /* a NUL: whatever it is, MHD refuses it or waits */
        return false;
    const char *start = text + strspn(text, "\r\n"); /* empty lines before a request line are skipped */
    const char *end = strstr(start, "\r\n\r\n");
    size_t head = end ? (size_t)(end - text) + 4 : 0;
    if (!end || end == start)
        return false;
    if (strcasestr(text, "transfer-encoding:") || strcasestr(text, "expect:"))
        return false;
    const char *length = strcasestr(text, "\ncontent-length:");
    if (!length || length > end)
        return true;
    char *stop;
    unsigned long long n = strtoull(length + 16, &stop, 10);
    return stop != length + 16 && size - head >= n;
}

/* Sends data on a new connection and reads until a whole response, the
 * server's close, or wait_ms; *got is what came. Returns answered or closed. */
static bool exchange(const uint8_t *data, size_t size, int wait_ms, bool head, char *response, size_t cap, size_t *got)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    /* From 127.0.0.2 … 127.0.0.251 in turn: the server closes first, and the
     * TIME_WAIT of tens of thousands of connections would use up one
     * address's local ports. */
    static unsigned turn;
    struct sockaddr_in from = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000002u + turn++ % 250)};
    /* Not blocking, and the server's loop run while the connection is made:
     * a blocking connect() waits for a server that cannot accept meanwhile
     * (it runs on this thread), and libFuzzer's watchdog (SIGALRM) may
     * interrupt it (EINTR). */
    int rc = s >= 0 && fcntl(s, F_SETFL, O_NONBLOCK) == 0 && bind(s, (struct sockaddr *)&from, sizeof from) == 0
                 ? connect(s, (struct sockaddr *)&a, sizeof a)
                 : -1;
    if (rc != 0 && (errno == EINPROGRESS || errno == EINTR)) {
        int64_t until = now_ms() + 10000;
        do {
            uv_run(fuzz_loop(), UV_RUN_NOWAIT);
            struct pollfd pf = {.fd = s, .events = POLLOUT};
            if (poll(&pf, 1, 1) > 0) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
                rc = err ? -1 : 0;
                errno = err;
                break;
            }
        } while (now_ms() < until);
    }
    if (rc != 0)
        fprintf(stderr, "fuzz: connexion au web : %s\n", strerror(errno));
    FUZZ_ASSERT(rc == 0, "connexion au web");

    size_t sent = 0;
    *got = 0;
    bool closed = false;
    int64_t deadline = now_ms() + wait_ms;
    while (!closed && now_ms() < deadline) {
        if (sent < size) {
            ssize_t w = send(s, data + sent, size - sent, MSG_NOSIGNAL);
            if (w > 0)
                sent += (size_t)w;
            else if (w < 0 && errno != EAGAIN)
                sent = size; /* the server closed first: what it answered is read below */
            if (sent == size)
                shutdown(s, SHUT_WR);
        } else if (size == 0 && sent == 0) {
            shutdown(s, SHUT_WR);
            sent = 1;
        }
        uv_run(fuzz_loop(), UV_RUN_NOWAIT);
        /* Until the answer or the server's next move (libuv's own descriptor), 1 ms at most. */
        struct pollfd pf[2] = {{.fd = s, .events = POLLIN}, {.fd = uv_backend_fd(fuzz_loop()), .events = POLLIN}};
        if (poll(pf, 2, 1) > 0 && (pf[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t r = recv(s, response + *got, cap - 1 - *got, 0);
            if (r > 0) {
                *got += (size_t)r;
                response[*got] = '\0';
                closed = answered(response, *got, head) || *got == cap - 1; /* a megabyte: enough to check */
            } else if (r == 0 || errno != EAGAIN) {
                closed = true;
            }
        }
    }
    close(s);
    return closed;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    static char response[(1 << 20) + 1];
    size_t got;
    bool whole = whole_request(data, size);
    bool closed = exchange(data, size, whole ? 10000 : 30, size >= 4 && memcmp(data, "HEAD", 4) == 0, response,
                           sizeof response, &got);
    FUZZ_ASSERT(closed || !whole, "une requête entière est répondue (10 s au plus)");
    FUZZ_ASSERT(!cn_core_in_batch(core), "aucune transaction laissée ouverte");
    if (got)
        check_response(response, got);
    if (!closed) { /* a request cut short waits for its rest: the others are served meanwhile */
        static const char probe[] = "GET / HTTP/1.0\r\n\r\n";
        FUZZ_ASSERT(exchange((const uint8_t *)probe, sizeof probe - 1, 10000, false, response, sizeof response, &got) &&
                        got > 12 && memcmp(response, "HTTP/1.", 7) == 0,
                    "le web répond aux autres pendant qu'une requête attend sa suite");
    }
    return 0;
}
