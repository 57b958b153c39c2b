#!/usr/bin/env bash
# tools/package/test_deb.sh DEB: installs the package as a table's volunteer
# would, in a fresh Debian 12 root made by debootstrap (no systemd runs here:
# the daemon is started as the unit would start it, as the user concertd, in a
# network namespace of its own), and checks what the package promises:
#   - apt installs it with its dependencies; the user and group concertd exist;
#     the data folder is theirs alone; the configuration is readable by the group;
#     the unit is installed, enabled, and passes systemd-analyze verify;
#   - the daemon starts on the installed configuration with the demo off, and
#     concertctl works for a member of the group concertd, and says why to a
#     user who is not one;
#   - an upgrade keeps the edited configuration and the data; remove keeps
#     both; purge deletes them, with the user.
# Needs root, debootstrap and the network to Debian's mirror (as .ci/run has).
# The fresh root is kept as a tarball in build/ to start faster the next time.
set -euo pipefail
deb=$(realpath "$1")
cd "$(dirname "$0")/../.."
[ "$(id -u)" -eq 0 ] || { echo "test_deb.sh: il faut être root (debootstrap, chroot)" >&2; exit 2; }

cache=build/debootstrap-bookworm-systemd.tar
root=$(mktemp -d /tmp/concertd-deb-XXXXXX)
daemon_pid=""
cleanup() {
    [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
    umount "$root/proc" 2>/dev/null || true
    rm -rf "$root"
}
trap cleanup EXIT
step() { echo "test_deb.sh: $*" >&2; }
fail() { echo "test_deb.sh: ÉCHEC: $*" >&2; exit 1; }
in_root() { chroot "$root" "$@"; }

if [ -f "$cache" ]; then
    tar -C "$root" -xf "$cache"
else
    step "une racine Debian 12 neuve (debootstrap, une minute environ)"
    debootstrap --variant=minbase --include=systemd bookworm "$root" http://deb.debian.org/debian >"$root.log" 2>&1 ||
        { cat "$root.log" >&2; fail "debootstrap"; }
    rm -f "$root.log"
    tar -C "$root" -cf "$cache" .
fi
chmod 0755 "$root" # the root of the installed system, for every user
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
cp "$deb" "$root/tmp/concertd.deb"

step "apt-get install ./concertd.deb"
in_root apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive in_root apt-get install -y -qq /tmp/concertd.deb >/dev/null 2>"$root/tmp/apt.err" ||
    { cat "$root/tmp/apt.err" >&2; fail "l'installation"; }

step "l'utilisateur, les dossiers, les droits"
in_root getent passwd concertd >/dev/null || fail "pas d'utilisateur concertd"
in_root getent group concertd >/dev/null || fail "pas de groupe concertd"
[ "$(in_root stat -c '%U:%G %a' /var/lib/concertd)" = "concertd:concertd 750" ] ||
    fail "/var/lib/concertd: $(in_root stat -c '%U:%G %a' /var/lib/concertd)"
[ "$(in_root stat -c '%U:%G %a' /etc/concertd/concertd.conf)" = "root:concertd 640" ] ||
    fail "/etc/concertd/concertd.conf: $(in_root stat -c '%U:%G %a' /etc/concertd/concertd.conf)"
for f in /usr/bin/concertd /usr/bin/concertctl /usr/lib/concertd/plugins/web.so /usr/share/concertd/demo/lanaudiere.json \
         /etc/concertd/notify/echeance.upcoming.fr.txt /usr/include/concertd/plugin.h \
         /usr/share/man/man8/concertd.8 /usr/share/man/fr/man8/concertd.8 /usr/share/man/man1/concertctl.1 \
         /usr/share/man/fr/man1/concertctl.1 /usr/share/man/man5/concertd.conf.5 /usr/share/man/fr/man5/concertd.conf.5 \
         /usr/share/bash-completion/completions/concertctl; do
    [ -e "$root$f" ] || fail "$f manque"
done
grep -qx "/etc/concertd/concertd.conf" "$root/var/lib/dpkg/info/concertd.conffiles" || fail "concertd.conf n'est pas un conffile"
[ -L "$root/etc/systemd/system/multi-user.target.wants/concertd.service" ] || fail "le service n'est pas activé"
systemd-analyze verify --man=no --root="$root" /usr/lib/systemd/system/concertd.service 2>"$root/tmp/verify.err" ||
    { cat "$root/tmp/verify.err" >&2; fail "systemd-analyze verify"; }
score=$(systemd-analyze security --offline=true --root="$root" /usr/lib/systemd/system/concertd.service 2>/dev/null |
        sed -n 's/.*Overall exposure level for concertd.service: \([0-9.]*\).*/\1/p')
step "systemd-analyze security: exposition ${score:-?} (0 = fermé, 10 = ouvert)"
in_root runuser -u concertd -- concertd --config /etc/concertd/concertd.conf --check-config >/dev/null ||
    fail "concertd --check-config sur la configuration installée"

# As the unit starts it: its user, umask 0007, /run/concertd made for it,
# the installed configuration (no demo). Its own network namespace, so that
# the web's port cannot meet another program's.
start_daemon() {
    install -d -o "$(in_root id -u concertd)" -g "$(in_root id -g concertd)" -m 0750 "$root/run/concertd"
    unshare --net -- sh -c "ip link set lo up && umask 0007 && exec chroot --userspec=concertd:concertd '$root' \
        /usr/bin/concertd --config /etc/concertd/concertd.conf" 2>>"$root/tmp/concertd.log" &
    daemon_pid=$!
    for _ in $(seq 100); do
        [ -S "$root/run/concertd/command" ] && in_root runuser -u benevole -- concertctl --timeout 500 node info >/dev/null 2>&1 &&
            return 0
        kill -0 "$daemon_pid" 2>/dev/null || break
        sleep 0.1 # polling for the socket, not waiting for a result
    done
    cat "$root/tmp/concertd.log" >&2
    fail "le démon ne répond pas"
}
stop_daemon() {
    kill -TERM "$daemon_pid"
    local rc=0
    wait "$daemon_pid" || rc=$?
    daemon_pid=""
    [ "$rc" -eq 0 ] || { cat "$root/tmp/concertd.log" >&2; fail "concertd est sorti avec $rc"; }
}

step "le démon démarre; concertctl pour un membre du groupe concertd"
in_root adduser --disabled-password --gecos "" --quiet benevole
in_root adduser --quiet benevole concertd
in_root adduser --disabled-password --gecos "" --quiet passant
start_daemon
[ "$(in_root runuser -u benevole -- concertctl --json region list)" = "[]" ] || fail "la démo n'est pas éteinte"
in_root runuser -u benevole -- concertctl region create lanaudiere --name "Lanaudière" >/dev/null
in_root runuser -u benevole -- concertctl region list | grep -q "Lanaudière" || fail "la région créée n'est pas listée"
set +e
refused=$(in_root runuser -u passant -- concertctl region list 2>&1)
code=$?
set -e
[ "$code" -ne 0 ] && grep -q "groupe concertd" <<<"$refused" || fail "hors du groupe: « $refused » (code $code)"
stop_daemon

step "une mise à jour garde la configuration modifiée et les données"
echo "# réglage local de la table" >>"$root/etc/concertd/concertd.conf"
DEBIAN_FRONTEND=noninteractive in_root dpkg -i /tmp/concertd.deb >/dev/null
grep -q "réglage local de la table" "$root/etc/concertd/concertd.conf" || fail "la configuration modifiée a été remplacée"
start_daemon
in_root runuser -u benevole -- concertctl region list | grep -q "Lanaudière" || fail "la région n'a pas survécu à la mise à jour"
stop_daemon

step "remove garde les données et la configuration; purge les efface"
DEBIAN_FRONTEND=noninteractive in_root apt-get remove -y -qq concertd >/dev/null
[ -f "$root/var/lib/concertd/concertd.db" ] || fail "remove a effacé les données"
[ -f "$root/etc/concertd/concertd.conf" ] || fail "remove a effacé la configuration"
[ ! -e "$root/usr/bin/concertd" ] || fail "remove a laissé le programme"
DEBIAN_FRONTEND=noninteractive in_root dpkg --purge concertd >/dev/null
[ ! -e "$root/var/lib/concertd" ] || fail "purge a laissé les données"
[ ! -e "$root/etc/concertd" ] || fail "purge a laissé la configuration"
! in_root getent passwd concertd >/dev/null || fail "purge a laissé l'utilisateur"
step "vérifié : installation, droits, service activé, démarrage sans démo, concertctl par le groupe, mise à jour, remove, purge"
