/* log.c: see log.h. Writes whole lines with one fprintf so lines from
 * several threads (uv work threads) do not interleave mid-line. */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <time.h>

static cn_log_level current_level = CN_LOG_INFO;
static const char *const level_names[] = {"ERROR", "WARN ", "INFO ", "DEBUG"};

static bool plain;   /* for a person at a terminal: no time stamp */
static bool journal; /* stderr is systemd's journal: its priority, no time stamp */

void cn_log_set_journal(bool on) { journal = on; }

void cn_log_detect_journal(void)
{
    const char *stream = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    journal = stream && sscanf(stream, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
              (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void cn_log_set_level(cn_log_level level) { current_level = level; }
void cn_log_set_plain(bool on) { plain = on; }

int cn_log_level_parse(const char *name, cn_log_level *out)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (cn_log_level)i;
            return 0;
        }
    return -1;
}

void cn_log(cn_log_level level, const char *fmt, ...)
{
    if (level > current_level)
        return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);

    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (journal) {
        static const int priority[] = {3, 4, 6, 7}; /* LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG */
        fprintf(stderr, "<%d>%s\n", priority[level], msg);
    } else if (plain)
        fprintf(stderr, "  %s %s\n", level == CN_LOG_ERROR ? "✗" : level == CN_LOG_WARN ? "!" : "·", msg);
    else
        fprintf(stderr, "%s.%03dZ %s %s\n", stamp, (int)(tv.tv_usec / 1000), level_names[level], msg);
}
