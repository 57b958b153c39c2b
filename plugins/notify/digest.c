/* digest.c: subscriptions with a daily or weekly cadence. Their events are
 * kept as one line each (notify_digest_items, the message's subject) and,
 * at the subscription's local time (`at`, and `weekday` for weekly ones,
 * 1 = Monday), become one message that lists them, oldest first, through
 * the outbox like any other. No event, no message. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "message.h"
#include "notify.h"

int digest_add(cd_host *h, int64_t subscription, const char *region, const char *dedupe_key, const char *line)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), "INSERT OR IGNORE INTO notify_digest_items(subscription, region, dedupe_key,"
                                       " line, created_ms) VALUES (?,?,?,?,?)",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, subscription);
    sqlite3_bind_text(st, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, dedupe_key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, line, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, api->now_ms(h));
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

/* The first moment after last_ms at local HH:MM (and on weekday, 1-7, when
 * weekly), in ms. */
static long long next_due(long long last_ms, int hour, int minute, int weekday)
{
    time_t t = (time_t)(last_ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    for (int day = 0; day < 9; day++) {
        struct tm c = tm;
        c.tm_mday += day;
        c.tm_hour = hour;
        c.tm_min = minute;
        c.tm_sec = 0;
        c.tm_isdst = -1;
        time_t when = mktime(&c);
        if (when == (time_t)-1 || (long long)when * 1000 <= last_ms)
            continue;
        if (weekday && (c.tm_wday == 0 ? 7 : c.tm_wday) != weekday)
            continue;
        return (long long)when * 1000;
    }
    return last_ms + 86400000LL;
}

/* One subscription's digest, when it is due. */
static int digest_one(cd_host *h, int64_t sub, const char *cadence, const char *at, int weekday, const char *channel,
                      const char *address, const char *lang, long long last_ms, long long now)
{
    int hour = 8, minute = 0;
    sscanf(at, "%d:%d", &hour, &minute);
    long long due = next_due(last_ms, hour, minute, strcmp(cadence, "weekly") == 0 ? (weekday ? weekday : 1) : 0);
    if (now < due)
        return 0;
    sqlite3 *db = api->db(h);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT region, line FROM notify_digest_items WHERE subscription = ?"
                               " ORDER BY created_ms, id", -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, sub);
    bool en = strcmp(lang, "en") == 0;
    char *body = NULL;
    size_t len = 0, cap = 0;
    int n = 0;
    char regions[256] = "", names[512] = ""; /* the slugs (for the outbox), the names (for people) */
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *region = (const char *)sqlite3_column_text(st, 0), *line = (const char *)sqlite3_column_text(st, 1);
        size_t need = strlen(line) + 8;
        if (len + need + 1 > cap) {
            cap = (cap ? cap * 2 : 1024) + need;
            char *p = realloc(body, cap);
            if (!p) {
                free(body);
                sqlite3_finalize(st);
                return -1;
            }
            body = p;
        }
        len += (size_t)snprintf(body + len, cap - len, "- %s\n", line);
        if (!strstr(regions, region) && strlen(regions) + strlen(region) + 3 < sizeof regions) {
            char name[256];
            region_name(h, region, name, sizeof name);
            snprintf(regions + strlen(regions), sizeof regions - strlen(regions), "%s%s", regions[0] ? ", " : "",
                     region);
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", names[0] ? ", " : "",
                     name[0] ? name : region);
        }
        n++;
    }
    sqlite3_finalize(st);
    int rc = 0;
    if (n > 0) {
        char today[16], words[64], subject[1024], key[64], *text = NULL;
        time_t t = (time_t)(now / 1000);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(today, sizeof today, "%Y-%m-%d", &tm);
        message_date_words(today, lang, words, sizeof words);
        if (en)
            snprintf(subject, sizeof subject, "Digest of %s: %d notice%s (%s)", words, n, n > 1 ? "s" : "", names);
        else
            snprintf(subject, sizeof subject, "Résumé du %s : %d avis (%s)", words, n, names);
        if (asprintf(&text, en ? "Hello,\n\nWhat happened since the last digest:\n\n%s\n-- \nDigest sent by concertd.\n"
                               : "Bonjour,\n\nCe qui s'est passé depuis le dernier résumé :\n\n%s\n-- \n"
                                 "Résumé envoyé par concertd.\n",
                     body) < 0)
            text = NULL;
        snprintf(key, sizeof key, "digest:%s", today);
        rc = text ? outbox_add(h, sub, strtok(regions, ","), key, channel, address, subject, text) : -1;
        free(text);
        if (rc == 0) {
            if (sqlite3_prepare_v2(db, "DELETE FROM notify_digest_items WHERE subscription = ?", -1, &st, NULL) != SQLITE_OK)
                rc = -1;
            else {
                sqlite3_bind_int64(st, 1, sub);
                rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
                sqlite3_finalize(st);
            }
        }
    }
    free(body);
    if (rc == 0 && sqlite3_prepare_v2(db, "UPDATE notify_subscriptions SET last_digest_ms = ? WHERE id = ?", -1, &st,
                                      NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, now);
        sqlite3_bind_int64(st, 2, sub);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
        sqlite3_finalize(st);
    }
    return rc;
}

int digest_check(cd_host *h)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), "SELECT id, cadence, at, weekday, channel, address, lang, last_digest_ms"
                                       " FROM notify_subscriptions WHERE cadence <> 'immediate'",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    long long now = api->now_ms(h);
    int rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
        rc = digest_one(h, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
                        (const char *)sqlite3_column_text(st, 2), sqlite3_column_int(st, 3),
                        (const char *)sqlite3_column_text(st, 4), (const char *)sqlite3_column_text(st, 5),
                        (const char *)sqlite3_column_text(st, 6), sqlite3_column_int64(st, 7), now);
    sqlite3_finalize(st);
    return rc;
}
