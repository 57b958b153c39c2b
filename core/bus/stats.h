/* stats.h: what the bus measures for node.status and /metrics: commands
 * answered and failed, how long each took in the daemon (from being read
 * off the socket to its reply sent, the commit included), and how long each
 * batch's commit (its fsync) took. Durations go into two kinds of
 * histogram: a fine one (8 steps per doubling, from 1 µs) for percentiles,
 * and Prometheus's cumulative buckets. Loop thread only. */
#ifndef CN_BUS_STATS_H
#define CN_BUS_STATS_H

#include <stdint.h>

#define CN_STATS_FINE 256 /* 32 doublings × 8 steps */
#define CN_STATS_BUCKETS 17

typedef struct {
    uint64_t count;
    double sum_s, max_s;
    uint64_t fine[CN_STATS_FINE];
    uint64_t le[CN_STATS_BUCKETS]; /* cumulative, for cn_stats_bucket_bound(i) */
} cn_histogram;

typedef struct {
    uint64_t commands, errors, batches;
    uint64_t redone; /* batches undone and handled again (a command failed after it wrote) */
    cn_histogram command_s, commit_s;
} cn_bus_stats;

/* n samples of the same duration (a batch's commands all wait for it). */
void cn_histogram_add(cn_histogram *h, double seconds, uint64_t n);
/* The duration under which fraction q (0.5, 0.99) of the samples fall, in
 * seconds (the upper edge of its fine step: within 9 %); 0 without samples. */
double cn_histogram_quantile(const cn_histogram *h, double q);
/* Prometheus's `le` of bucket i (seconds); the last is +Inf. */
double cn_stats_bucket_bound(int i);

#endif
