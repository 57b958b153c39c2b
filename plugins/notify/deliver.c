/* deliver.c: see deliver.h. */
#include "deliver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

typedef struct {
    const char *p;
    size_t left;
} reader;

static size_t read_cb(char *buf, size_t size, size_t nitems, void *data)
{
    reader *r = data;
    size_t n = size * nitems < r->left ? size * nitems : r->left;
    memcpy(buf, r->p, n);
    r->p += n;
    r->left -= n;
    return n;
}

static size_t discard(char *p, size_t size, size_t n, void *data)
{
    (void)p;
    (void)data;
    return size * n;
}

/* "Table <a@b.c>" → "<a@b.c>"; "a@b.c" → "<a@b.c>". */
static void angle_address(const char *s, char *out, size_t cap)
{
    const char *lt = strchr(s, '<'), *gt = lt ? strchr(lt, '>') : NULL;
    if (lt && gt)
        snprintf(out, cap, "%.*s", (int)(gt - lt + 1), lt);
    else
        snprintf(out, cap, "<%s>", s);
}

void deliver_run(delivery *d)
{
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(d->error, sizeof d->error, "libcurl: initialisation impossible");
        return;
    }
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *list = NULL;
    reader r = {d->payload, strlen(d->payload)};
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)d->cfg.timeout_s);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)d->cfg.timeout_s * 2);
    if (d->cfg.ca_file[0])
        curl_easy_setopt(c, CURLOPT_CAINFO, d->cfg.ca_file);
    bool email = strcmp(d->channel, "email") == 0;
    if (email) {
        char from[400], to[400];
        angle_address(d->cfg.from, from, sizeof from);
        angle_address(d->address, to, sizeof to);
        list = curl_slist_append(NULL, to);
        curl_easy_setopt(c, CURLOPT_URL, d->cfg.smtp_url);
        /* Mail only: an smtp_url naming another scheme (file://, http://) is not followed. */
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
        curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
        curl_easy_setopt(c, CURLOPT_MAIL_RCPT, list);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
        curl_easy_setopt(c, CURLOPT_READDATA, &r);
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        if (d->cfg.smtp_user[0]) {
            curl_easy_setopt(c, CURLOPT_USERNAME, d->cfg.smtp_user);
            curl_easy_setopt(c, CURLOPT_PASSWORD, d->cfg.smtp_password);
        }
        curl_easy_setopt(c, CURLOPT_USE_SSL, strcmp(d->cfg.tls, "required") == 0 ? (long)CURLUSESSL_ALL
                                             : strcmp(d->cfg.tls, "try") == 0    ? (long)CURLUSESSL_TRY
                                                                                 : (long)CURLUSESSL_NONE);
    } else {
        list = curl_slist_append(NULL, "Content-Type: application/json; charset=utf-8");
        curl_easy_setopt(c, CURLOPT_URL, d->address);
        /* A webhook is http(s), answered where it is: no redirect, no other scheme. */
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, d->payload);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(d->payload));
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "concertd-notify/1");
    }
    CURLcode rc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    /* In words for whoever reads notify.outbox; curl's own detail after. */
    const char *words = rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST
                            ? (email ? "serveur de courriel injoignable" : "adresse du webhook injoignable")
                        : rc == CURLE_OPERATION_TIMEDOUT ? "pas de réponse à temps"
                        : rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE
                            ? "certificat du serveur refusé (autorité inconnue, nom ou dates ne correspondent pas)"
                        : rc == CURLE_USE_SSL_FAILED ? "le serveur n'offre pas STARTTLS, que tls = required exige"
                        : rc == CURLE_LOGIN_DENIED ? "identifiants SMTP refusés (smtp_user, smtp_password)"
                        : rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR ? "connexion coupée"
                                                                            : curl_easy_strerror(rc);
    if (rc != CURLE_OK)
        snprintf(d->error, sizeof d->error, "%s%s%s", words, errbuf[0] ? " — " : "", errbuf);
    else if (!email && (code < 200 || code > 299))
        snprintf(d->error, sizeof d->error, "HTTP %ld", code);
    else
        d->ok = true;
    curl_slist_free_all(list);
    curl_easy_cleanup(c);
    /* This worker thread lives on in the host's pool: the TLS library's
     * state for it (random generators, error queue) is freed now rather
     * than at a thread exit that comes only with the process. */
    OPENSSL_thread_stop();
}

void deliver_free(delivery *d)
{
    if (!d)
        return;
    free(d->channel);
    free(d->address);
    free(d->payload);
    free(d->region);
    free(d);
}
