/* webuser.h: concertctl web user add (webuser.c). */
#ifndef CTL_WEBUSER_H
#define CTL_WEBUSER_H

#include "client.h"

/* argv: "add" and its options. Returns the exit status. */
int ctl_web_user(const ctl_conn *conn, int argc, char **argv);

#endif
