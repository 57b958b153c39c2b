/* webuser.c: concertctl web user add — a staff account for the web pages.
 * The password is hashed here (libsodium's crypto_pwhash_str, argon2id),
 * so it never crosses the bus nor sits in the daemon's memory; when none
 * is given (--password-file), one is drawn at random and printed once,
 * to be handed to the person. */
#include "webuser.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "mp.h"
#include "table.h"

#define T(fr, en) (ctl_en() ? (en) : (fr))

static const char *opt(int argc, char **argv, const char *name)
{
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return NULL;
}

/* 16 characters from an alphabet without look-alikes (no 0/O, 1/l/I). */
static void random_password(char out[17])
{
    static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    for (int i = 0; i < 16; i++)
        out[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
    out[16] = '\0';
}

int ctl_web_user(const ctl_conn *conn, int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "add") != 0 || opt(argc, argv, "--help") || !opt(argc, argv, "--region") ||
        !opt(argc, argv, "--email") || !opt(argc, argv, "--role")) {
        fprintf(argc >= 1 && opt(argc, argv, "--help") ? stdout : stderr, "%s",
                T("Usage: concertctl web user add --region RÉGION --email COURRIEL --role coordination|lecture "
                  "[--password-file FICHIER]\nOuvre un compte du personnel pour les pages web ; sans fichier, un mot de "
                  "passe est tiré au hasard et affiché une fois.\n(Lister : concertctl web user_list ; retirer : "
                  "concertctl web user_remove --region R --email E)\n",
                  "Usage: concertctl web user add --region REGION --email EMAIL --role coordination|lecture "
                  "[--password-file FILE]\nOpens a staff account for the web pages; without a file, a password is "
                  "drawn at random and printed once.\n"));
        return argc >= 1 && opt(argc, argv, "--help") ? 0 : 2;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "concertctl: internal: libsodium\n");
        return 1;
    }
    char password[256] = "";
    const char *file = opt(argc, argv, "--password-file");
    if (file) {
        FILE *f = fopen(file, "r");
        if (!f || !fgets(password, sizeof password, f)) {
            fprintf(stderr, "concertctl: invalid_argument: %s : %s\n", file,
                    T("fichier illisible ou vide", "unreadable or empty file"));
            if (f)
                fclose(f);
            return 2;
        }
        fclose(f);
        password[strcspn(password, "\r\n")] = '\0';
        if (strlen(password) < 10) {
            fprintf(stderr, "concertctl: invalid_argument: %s\n",
                    T("un mot de passe de 10 caractères au moins", "a password of at least 10 characters"));
            return 2;
        }
    } else {
        random_password(password);
    }
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        fprintf(stderr, "concertctl: internal: %s\n", T("mémoire insuffisante pour hacher", "out of memory to hash"));
        return 1;
    }
    msgpack_sbuffer args;
    msgpack_sbuffer_init(&args);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &args, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    cn_pk_kstr(&pk, "region", opt(argc, argv, "--region"));
    cn_pk_kstr(&pk, "email", opt(argc, argv, "--email"));
    cn_pk_kstr(&pk, "role", opt(argc, argv, "--role"));
    cn_pk_kstr(&pk, "password_hash", hash);
    ctl_reply reply;
    char err[512];
    int rc = ctl_call(conn, "web.user_add", args.data, args.size, &reply, err, sizeof err);
    msgpack_sbuffer_destroy(&args);
    if (rc != 0) {
        fprintf(stderr, "concertctl: unavailable: %s\n", err);
        return 1;
    }
    const msgpack_object *ok = cn_mp_get(&reply.up.data, "ok");
    int status = 0;
    if (!ok || ok->type != MSGPACK_OBJECT_BOOLEAN || !ok->via.boolean) {
        const msgpack_object *e = cn_mp_get(&reply.up.data, "error");
        const msgpack_object *code = cn_mp_get(e, "code"), *msg = cn_mp_get(e, "message");
        fprintf(stderr, "concertctl: %.*s: %.*s\n", code ? (int)code->via.str.size : 0, code ? code->via.str.ptr : "",
                msg ? (int)msg->via.str.size : 0, msg ? msg->via.str.ptr : "");
        status = 1;
    } else {
        printf(T("Compte ouvert : %s (%s) pour %s.\n", "Account opened: %s (%s) for %s.\n"), opt(argc, argv, "--email"),
               opt(argc, argv, "--role"), opt(argc, argv, "--region"));
        if (!file)
            printf(T("Mot de passe, à transmettre à la personne (il ne sera plus affiché) : %s\n",
                     "Password, to hand to the person (it will not be shown again): %s\n"),
                   password);
    }
    sodium_memzero(password, sizeof password);
    ctl_reply_destroy(&reply);
    return status;
}
