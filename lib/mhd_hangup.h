/* mhd_hangup.h: an HTTP server's connections whose client hung up
 * unseen by libmicrohttpd (mhd_hangup.c). */
#ifndef CN_MHD_HANGUP_H
#define CN_MHD_HANGUP_H

#include <stddef.h>

#include <microhttpd.h>

/* MHD_OPTION_NOTIFY_CONNECTION's callback: knows every open connection. */
void cn_mhd_hangup_notify(void *cls, struct MHD_Connection *c, void **socket_context, enum MHD_ConnectionNotificationCode code);
/* Gives the connections whose client has hung up, with nothing left to
 * read, a timeout of one second (MHD then closes them); once a second, on
 * the loop thread. Returns how many it found. */
size_t cn_mhd_hangup_sweep(void);

#endif
