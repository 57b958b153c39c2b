/* deliver.h: sending one message, on a worker thread (it blocks): an
 * e-mail through SMTP, or a webhook as an HTTP POST of JSON, both with
 * libcurl. Nothing here touches the database or the loop. */
#ifndef NOTIFY_DELIVER_H
#define NOTIFY_DELIVER_H

#include <stdbool.h>

#include "notify.h"

typedef struct {
    /* in: all owned by the delivery (deliver_free frees them) */
    long long id;
    char *channel, *address, *payload, *region;
    bool personal; /* to a person, not a subscriber (notify.send): the address is never published or logged */
    int64_t subscription; /* 0 for notify.send; the log names it instead of the address */
    notify_config cfg;
    /* out */
    bool ok;
    char error[512];
} delivery;

/* Runs the delivery (blocking; worker thread). */
void deliver_run(delivery *d);

void deliver_free(delivery *d);

#endif
