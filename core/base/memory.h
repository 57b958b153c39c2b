/* memory.h: what a flood of requests took goes back to the system once it
 * is over (core/bus/backlog.c), whichever allocator the process runs on:
 * mimalloc's (concertd links it, CMakeLists.txt) or glibc's (the sanitizer
 * builds, the tests). Call both on the loop thread. */
#ifndef CN_MEMORY_H
#define CN_MEMORY_H

/* From now on, memory freed goes back to the system at once. mimalloc
 * otherwise keeps a freed page until its thread next takes a page from
 * the same segment, which after a flood may be never (270 MB kept, against
 * 20 idle, tools/PERFORMANCE.md); at once costs a system call and page
 * faults for each page freed and taken again (the loop's CPU a command
 * ×3), hence only while a flood lasts. */
void cn_memory_flood_begins(void);

/* Gives back what is free, and frees at the usual pace again. Floods may
 * overlap (one per endpoint's backlog): that is done when the last ends. */
void cn_memory_flood_ends(void);

#endif
