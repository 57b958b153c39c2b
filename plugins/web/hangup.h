/* hangup.h: the connections whose client hung up unseen (hangup.c). */
#ifndef CONCERTD_WEB_HANGUP_H
#define CONCERTD_WEB_HANGUP_H

#include <stddef.h>

#include <microhttpd.h>

/* MHD_OPTION_NOTIFY_CONNECTION's callback: knows every open connection. */
void hangup_notify(void *cls, struct MHD_Connection *c, void **socket_context, enum MHD_ConnectionNotificationCode code);
/* Gives the connections whose client has hung up, with nothing left to
 * read, a timeout of one second (MHD then closes them); once a second, on
 * the loop thread. Returns how many it found. */
size_t hangup_sweep(void);

#endif
