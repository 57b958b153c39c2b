/* text.c: see text.h. */
#include "text.h"

#include <concertd/plugin.h> /* cd_when_kind: the one check of dates and times */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static cn_lang current_lang = CN_LANG_FR;
void cn_lang_set(cn_lang lang) { current_lang = lang; }
cn_lang cn_lang_get(void) { return current_lang; }

const char *cn_strerror(int errnum)
{
    /* What a person meets: files, folders, disks, the network. */
    static const struct {
        int errnum;
        const char *fr;
    } words[] = {
        {EPERM, "opération non permise"},
        {ENOENT, "aucun fichier ou dossier de ce nom"},
        {EIO, "erreur d'entrée-sortie (disque défaillant ?)"},
        {ENOMEM, "mémoire insuffisante"},
        {EACCES, "permission refusée"},
        {EEXIST, "le fichier existe déjà"},
        {ENOTDIR, "ce n'est pas un dossier"},
        {EISDIR, "c'est un dossier"},
        {EINVAL, "argument invalide"},
        {EMFILE, "trop de fichiers ouverts"},
        {EFBIG, "fichier trop gros"},
        {ENOSPC, "plus d'espace sur le disque"},
        {EROFS, "système de fichiers en lecture seule"},
        {ENAMETOOLONG, "nom de fichier trop long"},
        {ENOTEMPTY, "le dossier n'est pas vide"},
        {EDQUOT, "quota de disque dépassé"},
        {EADDRINUSE, "adresse déjà utilisée (un autre programme écoute sur ce port ?)"},
        {EADDRNOTAVAIL, "adresse non disponible sur cette machine"},
        {ECONNREFUSED, "connexion refusée"},
        {ETIMEDOUT, "délai d'attente dépassé"},
        {EHOSTUNREACH, "hôte injoignable"},
        {ENETUNREACH, "réseau injoignable"},
        {ELOOP, "trop de liens symboliques"},
        {ETXTBSY, "fichier occupé"},
        {ECONNRESET, "connexion coupée par l'autre bout"},
        {EPIPE, "connexion fermée par l'autre bout"},
        {ENOTCONN, "pas connecté"},
        {EHOSTDOWN, "hôte arrêté"},
        {ENETDOWN, "réseau arrêté"},
        {EPROTONOSUPPORT, "protocole non pris en charge (l'adresse commence par tcp://, ipc:// ou inproc://)"},
        {ENODEV, "interface réseau introuvable (l'adresse ou le nom de la machine est-il juste ?)"},
        {EAGAIN, "ressource momentanément indisponible, à réessayer"},
        {ENOTSUP, "opération non prise en charge"},
        {EINTR, "interrompu"},
        {EBADF, "descripteur de fichier invalide"},
    };
    if (cn_lang_get() == CN_LANG_FR)
        for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
            if (words[i].errnum == errnum)
                return words[i].fr;
    return strerror(errnum);
}

const char *cn_system_error(int errnum, const char *library_text)
{
    const char *words = errnum > 0 ? cn_strerror(errnum) : NULL;
    /* strerror's "Unknown error N" for a number the C library does not know. */
    return words && strncmp(words, "Unknown error", 13) != 0 ? words : library_text;
}

bool cn_utf8_valid(const char *str, size_t n) { return cn_utf8_valid_prefix(str, n) == n; }



char *cn_text_copy(char *out, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        n = cn_utf8_valid_prefix(s, cap - 1);
    memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

bool cn_date_valid(const char *s) { return cd_when_kind(s) == CD_DATE; }

void cn_date_today(char out[11])
{
    /* The day of the last second asked, in the zone then set (each command
     * asks; localtime_r looks the zone's rules up each time). Per thread. */
    static _Thread_local time_t second = -1;
    static _Thread_local long zone;
    static _Thread_local char day[11];
    time_t t = time(NULL);
    if (t != second || timezone != zone) {
        struct tm tm;
        localtime_r(&t, &tm); /* the daemon sets TZ from [node] timezone */
        strftime(day, sizeof day, "%Y-%m-%d", &tm);
        second = t;
        zone = timezone;
    }
    memcpy(out, day, sizeof day);
}

int64_t cn_now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

bool cn_number_parse(const char *s, char *out, size_t cap, char *key, size_t keycap)
{
    size_t n = strlen(s);
    if (n > 0 && s[n - 1] == '.')
        n--;
    if (n == 0 || n >= cap || n > 60)
        return false;
    size_t o = 0, k = 0, group = 0;
    for (size_t i = 0; i <= n; i++) {
        char c = i < n ? s[i] : '.';
        if (c == '.') {
            if (group == 0)
                return false; /* empty group: "1..2" or ".1" */
            /* Key: each group right-aligned to 8 characters, so numeric groups sort
             * numerically and alphabetic ones alphabetically. */
            if (k + 9 >= keycap)
                return false;
            for (size_t pad = group; pad < 8; pad++)
                key[k++] = ' ';
            memcpy(key + k, out + o - group, group);
            k += group;
            key[k++] = '.';
            if (i < n)
                out[o++] = '.';
            group = 0;
            continue;
        }
        if (!isalnum((unsigned char)c) || group >= 8)
            return false;
        out[o++] = c;
        group++;
    }
    out[o] = '\0';
    key[k] = '\0';
    return true;
}
