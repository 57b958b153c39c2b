/* prometheus.h: node.status's result as Prometheus's text exposition format
 * (version 0.0.4): counters, gauges and the two latency histograms, named
 * by Prometheus's conventions (concertd_…_total, _seconds, _bytes). Served
 * at /metrics by the web plugin. */
#ifndef CN_PROMETHEUS_H
#define CN_PROMETHEUS_H

#include <msgpack.h>
#include <stddef.h>

/* The text for status (node.status's result map), in a malloc'd string
 * (*out, *len; free it), or -1 when out of memory. */
int cn_prometheus_render(const msgpack_object *status, char **out, size_t *len);

#endif
