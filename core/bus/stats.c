/* stats.c: see stats.h. */
#include "stats.h"

#include <math.h>

static const double bounds[CN_STATS_BUCKETS] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                0.1,    0.25,    0.5,    1,     2.5,    5,     10,   INFINITY};

double cn_stats_bucket_bound(int i) { return bounds[i]; }

/* Step k covers [2^(k/8), 2^((k+1)/8)) microseconds. */
static int step_of(double seconds)
{
    double us = seconds * 1e6;
    if (us < 1)
        return 0;
    int k = (int)(log2(us) * 8);
    return k < 0 ? 0 : k >= CN_STATS_FINE ? CN_STATS_FINE - 1 : k;
}

void cn_histogram_add(cn_histogram *h, double seconds, uint64_t n)
{
    if (seconds < 0)
        seconds = 0;
    h->count += n;
    h->sum_s += seconds * (double)n;
    if (seconds > h->max_s)
        h->max_s = seconds;
    h->fine[step_of(seconds)] += n;
    for (int i = 0; i < CN_STATS_BUCKETS; i++)
        if (seconds <= bounds[i])
            h->le[i] += n;
}

double cn_histogram_quantile(const cn_histogram *h, double q)
{
    if (!h->count)
        return 0;
    uint64_t rank = (uint64_t)ceil(q * (double)h->count), seen = 0;
    for (int k = 0; k < CN_STATS_FINE; k++) {
        seen += h->fine[k];
        if (seen >= rank && h->fine[k]) {
            double edge = pow(2, (k + 1) / 8.0) / 1e6;
            return edge < h->max_s ? edge : h->max_s;
        }
    }
    return h->max_s;
}
