/* publish.c: the published calendars. After every change the .ics files
 * of [plugin.calendar] export_dir (all.ics, REGION.ics, kind-KIND.ics) are
 * written again off the loop, one rewrite at a time (coalesced), each file
 * replaced whole (a temporary file renamed), a failure logged in words
 * with the old file kept. Written again at start. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "activity.h"

static char export_dir[1024];

/* ---- the published files ------------------------------------------------------ */

typedef struct export_file {
    char path[1200];
    char *text;
    int error; /* errno of a failed write, for the loop to log */
    struct export_file *next;
} export_file;

/* One rewrite in flight at a time (two on the pool could finish in the wrong
 * order and publish the older calendar); changes meanwhile ask for one more. */
static bool publishing, publish_again;

static void write_files(void *data)
{
    for (export_file *f = data; f; f = f->next) {
        if (!f->text) { /* a region erased for good: its file goes too */
            if (unlink(f->path) != 0 && errno != ENOENT)
                f->error = errno;
            continue;
        }
        char tmp[1300];
        snprintf(tmp, sizeof tmp, "%s.tmp", f->path);
        FILE *out = fopen(tmp, "wb");
        if (!out) {
            f->error = errno;
            continue;
        }
        size_t len = strlen(f->text);
        bool ok = fwrite(f->text, 1, len, out) == len;
        ok = fflush(out) == 0 && fsync(fileno(out)) == 0 && ok;
        ok = fclose(out) == 0 && ok;
        if (ok && rename(tmp, f->path) == 0) /* readers see the old file or the new one, never half */
            continue;
        f->error = errno ? errno : EIO;
        unlink(tmp);
    }
}

int publish_calendars(cd_host *h);

static int files_written(cd_host *h, void *data, int status)
{
    for (export_file *f = data, *next; f; f = next) {
        next = f->next;
        if (f->error && !f->text)
            api->log(h, CD_LOG_ERROR, "calendrier d'une région effacée : %s n'a pu être retiré : %s", f->path,
                     api->strerror(f->error));
        else if (f->error)
            api->log(h, CD_LOG_ERROR, "calendrier non publié dans %s : %s (l'ancien fichier reste en place)", f->path,
                     api->strerror(f->error));
        free(f->text);
        free(f);
    }
    publishing = false;
    if (publish_again && status >= 0) {
        publish_again = false;
        publish_calendars(h);
    }
    return 0;
}

/* The activities a WHERE clause selects, as one VCALENDAR. */
char *calendar_text(cd_host *h, const char *where, const char *arg, const char *name)
{
    char sql[600];
    snprintf(sql, sizeof sql, "SELECT %s FROM calendar_activities %s ORDER BY start, id", ACT_COLUMNS, where);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(api->db(h), sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    if (arg)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    size_t n = 0, cap = 16;
    ics_activity *acts = malloc(cap * sizeof *acts);
    while (acts && sqlite3_step(st) == SQLITE_ROW) {
        if (n == cap) {
            ics_activity *p = realloc(acts, (cap *= 2) * sizeof *acts);
            if (!p) {
                free(acts);
                acts = NULL;
                break;
            }
            acts = p;
        }
        row_to_activity(st, &acts[n++]);
    }
    sqlite3_finalize(st);
    char *text = acts ? ics_write(acts, n, name, api->now_ms(h)) : NULL;
    free(acts);
    return text;
}

static void add_file(export_file **list, const char *name, char *text)
{
    export_file *f = text ? calloc(1, sizeof *f) : NULL;
    if (!f) {
        free(text);
        return;
    }
    snprintf(f->path, sizeof f->path, "%s/%s", export_dir, name);
    f->text = text;
    f->next = *list;
    *list = f;
}

/* The files of regions erased since the last rewrite, removed by the next. */
static char gone[16][64];
static size_t ngone;

int publish_forget(cd_host *h, const char *region)
{
    if (!export_dir[0])
        return 0;
    if (ngone < sizeof gone / sizeof gone[0] && !strchr(region, '/') && region[0] != '.')
        snprintf(gone[ngone++], sizeof gone[0], "%s", region);
    else
        api->log(h, CD_LOG_WARN, "calendrier : le fichier %s.ics de la région effacée reste dans %s (à retirer à la main)",
                 region, export_dir);
    return publish_calendars(h);
}

/* Rewrites every published file, off the loop. */
int publish_calendars(cd_host *h)
{
    if (!export_dir[0])
        return 0;
    if (publishing) {
        publish_again = true;
        return 0;
    }
    export_file *files = NULL;
    for (size_t i = 0; i < ngone; i++) {
        export_file *f = calloc(1, sizeof *f);
        if (!f)
            break;
        snprintf(f->path, sizeof f->path, "%.1023s/%.63s.ics", export_dir, gone[i]);
        f->next = files;
        files = f;
    }
    ngone = 0;
    add_file(&files, "all.ics", calendar_text(h, "", NULL, "Activités (toutes les régions)"));
    sqlite3_stmt *st;
    const char *groups[][3] = {{"SELECT DISTINCT region FROM calendar_activities", "WHERE region = ?", "%s.ics"},
                               {"SELECT DISTINCT kind FROM calendar_activities", "WHERE kind = ?", "kind-%s.ics"}};
    for (int g = 0; g < 2; g++) {
        if (sqlite3_prepare_v2(api->db(h), groups[g][0], -1, &st, NULL) != SQLITE_OK)
            continue;
        while (sqlite3_step(st) == SQLITE_ROW) {
            char value[128], name[160], title[200];
            column_text(st, 0, value, sizeof value);
            if (strchr(value, '/') || value[0] == '.')
                continue;
            snprintf(name, sizeof name, groups[g][2], value);
            snprintf(title, sizeof title, g ? "Activités : %s" : "Activités de %s", value);
            add_file(&files, name, calendar_text(h, groups[g][1], value, title));
        }
        sqlite3_finalize(st);
    }
    if (!files)
        return 0;
    if (api->queue_work(h, write_files, files_written, files) != 0) {
        files_written(h, files, -1);
        return -1;
    }
    publishing = true;
    return 0;
}

/* The files again at start: a stop may have cancelled the last rewrite, or
 * export_dir may be new. */
int publish_at_start(cd_host *h, void *data)
{
    (void)data;
    return publish_calendars(h);
}

/* [plugin.calendar] publish = no: no files (the calendar stays in the
 * database, and in the web pages). */
static bool wanted(cd_host *h)
{
    const char *v = api->config(h, NULL, "publish");
    return !v || (strcmp(v, "no") && strcmp(v, "non") && strcmp(v, "false") && strcmp(v, "0"));
}

int publish_init(cd_host *h)
{
    export_dir[0] = '\0';
    if (!wanted(h))
        return 0;
    if (api->folder(h, "export_dir", "calendrier", export_dir, sizeof export_dir) != 0) {
        export_dir[0] = '\0';
        return -1;
    }
    return 0;
}

int publish_check(cd_host *h)
{
    char dir[sizeof export_dir];
    return wanted(h) && api->folder(h, "export_dir", "calendrier", dir, sizeof dir) != 0 ? 1 : 0;
}

bool publishing_files(void) { return export_dir[0] != '\0'; }
