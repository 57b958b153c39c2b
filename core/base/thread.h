/* thread.h: names the calling thread, as top -H, ps -L, gdb and perf show
 * it (at most 15 bytes: Linux cuts the rest). */
#ifndef CN_THREAD_H
#define CN_THREAD_H

void cn_thread_name(const char *name);

#endif
