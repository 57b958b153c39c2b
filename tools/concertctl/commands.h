/* commands.h: the table of concertctl's subcommands (commands.c). */
#ifndef CTL_COMMANDS_H
#define CTL_COMMANDS_H

#include <stddef.h>

/* Option types: s string, d date, i integer, n number, l repeatable string
 * (a list), w repeatable window START..END (or ongoing / on_demand), f flag. */
typedef struct {
    const char *name; /* --name; the arg is the name with '-' as '_' unless arg is set */
    char type;
    const char *arg;
    const char *help_fr, *help_en;
} opt;

typedef struct {
    const char *noun, *verb, *op;
    const char *pos[4];   /* positional argument names, in order */
    char pos_type[4];     /* 's' or 'n' (plan number) or 'i' (integer) or 'f' (JSON file) or 't' (text file) */
    const opt *opts;
    const char *help_fr, *help_en;
} command;

extern const command ctl_commands[];
extern const size_t ctl_ncommands;

#endif
