/* plugin_args.h: a plugin op's command line read by the op's declared
 * arguments (node.info "params"): each --KEY VALUE by its type (a text of
 * digits stays a text, an integer must be one, a list is comma-separated
 * or repeated, a file is @PATH, a map is JSON), a first bare word as the
 * region; and the --help that explains them. */
#ifndef CTL_PLUGIN_ARGS_H
#define CTL_PLUGIN_ARGS_H

#include <jansson.h>
#include <msgpack.h>
#include <stdio.h>

/* Reads argv into args; 0, or -1 with err (words for the person typing). */
int plugin_args_read(const msgpack_object *params, int argc, char **argv, json_t *args, char *err, size_t cap);
/* One line per argument: --name, its help, required or not, its type and limits. */
void plugin_args_help(FILE *out, const msgpack_object *params);
/* The positional arguments for the usage line: "RÉGION TITLE START " (the
 * region, then each required argument of one value, in order). */
void plugin_args_usage(const msgpack_object *params, char *out, size_t cap);

#endif
