/* log.h: timestamped, levelled log lines on stderr (journald picks them up).
 * One line per call: "2026-11-22T18:10:00.123Z INFO  [prefix] message". */
#ifndef CN_LOG_H
#define CN_LOG_H

#include <stdbool.h>

typedef enum { CN_LOG_ERROR = 0, CN_LOG_WARN, CN_LOG_INFO, CN_LOG_DEBUG } cn_log_level;

/* Sets the most verbose level written; the default is CN_LOG_INFO. */
void cn_log_set_level(cn_log_level level);
/* Lines for a person at a terminal (concertd --check-config): "  ✗ message",
 * no time stamp. */
void cn_log_set_plain(bool on);

/* Lines for systemd's journal: "<3>message", the syslog priority the
 * journal files them under (journalctl -p warning), no time stamp of ours.
 * cn_log_detect_journal() turns it on when stderr is the journal's stream
 * ($JOURNAL_STREAM names its device and inode). */
void cn_log_set_journal(bool on);
void cn_log_detect_journal(void);

/* Parses "error", "warn", "info" or "debug"; returns -1 for anything else. */
int cn_log_level_parse(const char *name, cn_log_level *out);

void cn_log(cn_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define cn_error(...) cn_log(CN_LOG_ERROR, __VA_ARGS__)
#define cn_warn(...) cn_log(CN_LOG_WARN, __VA_ARGS__)
#define cn_info(...) cn_log(CN_LOG_INFO, __VA_ARGS__)
#define cn_debug(...) cn_log(CN_LOG_DEBUG, __VA_ARGS__)

#endif
