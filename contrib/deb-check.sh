#!/bin/sh
# The Debian package, built and installed for real: CI runs this as root on Debian after
# `cargo build --locked --release`. It packages target/release (cargo deb --no-build),
# installs the package with apt-get, checks what an admin relies on (the ticketd user,
# /var/lib/ticketd, the binaries on the PATH, the config readable to the service, the
# units naming binaries that exist, the installed config passing --check-config), starts
# the installed ticketd as the unit would (user ticketd, the installed config, the socket
# in /run/ticketd) and asks it for a backup, then purges the package and checks what
# purge removes. There is no need for systemd to be running.
#
# It refuses to run where ticketd is installed already, or /var/lib/ticketd exists: the
# purge would delete that data.
set -eu
cd "$(dirname "$0")/.."

# cargo-deb builds on rustc 1.95 in this version; docs/ADMIN.md names the same one
CARGO_DEB_VERSION=3.8.0
CONFIG=/etc/ticketd/ticketd.toml

fail() {
    echo "deb-check: FAIL: $*" >&2
    exit 1
}
step() { echo "deb-check: $*"; }

[ "$(id -u)" = 0 ] || fail "run as root: it installs and purges the ticketd package"
case "$(dpkg-query -W -f '${db:Status-Status}' ticketd 2>/dev/null || true)" in
    "" | not-installed) ;;
    *) fail "the ticketd package is on this machine already; the check would purge it and its data" ;;
esac
[ ! -e /var/lib/ticketd ] || fail "/var/lib/ticketd exists already; the check's purge would delete it"
for bin in ticketd mailgate tkt; do
    [ -x "target/release/$bin" ] || fail "target/release/$bin is missing: run cargo build --locked --release first"
done

if [ "$(cargo deb --version 2>/dev/null)" != "cargo-deb $CARGO_DEB_VERSION" ]; then
    step "installing cargo-deb $CARGO_DEB_VERSION"
    cargo install cargo-deb --version "$CARGO_DEB_VERSION" --locked --quiet ||
        fail "cargo install cargo-deb --version $CARGO_DEB_VERSION"
fi

step "building the package from target/release"
rm -f target/debian/ticketd_*.deb
cargo deb --locked --no-build --quiet || fail "cargo deb --no-build"
set -- target/debian/ticketd_*.deb
[ $# = 1 ] && [ -f "$1" ] || fail "cargo deb made no single target/debian/ticketd_*.deb"
deb=$1

installed=no
daemon=
log=$(mktemp)
apt_log=$(mktemp)
cleanup() {
    if [ -n "$daemon" ]; then
        kill "$daemon" 2>/dev/null || true
        wait "$daemon" 2>/dev/null || true
    fi
    rm -f "$log" "$apt_log"
    if [ "$installed" = yes ]; then
        DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq ticketd >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT

step "installing $deb"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "./$deb" >"$apt_log" 2>&1 ||
    fail "apt-get install ./$deb: $(cat "$apt_log")"
installed=yes

step "checking the installation"
getent passwd ticketd >/dev/null || fail "no user ticketd"
getent group ticketd >/dev/null || fail "no group ticketd"
[ "$(getent passwd ticketd | cut -d: -f7)" = /usr/sbin/nologin ] ||
    fail "user ticketd has a login shell: $(getent passwd ticketd | cut -d: -f7)"
for dir in /var/lib/ticketd /var/lib/ticketd/backups; do
    [ -d "$dir" ] || fail "no directory $dir"
    [ "$(stat -c '%U:%G %a' "$dir")" = "ticketd:ticketd 750" ] ||
        fail "$dir is $(stat -c '%U:%G %a' "$dir"), not ticketd:ticketd 750"
done
[ "$(stat -c '%U:%G %a' "$CONFIG")" = "root:ticketd 640" ] ||
    fail "$CONFIG is $(stat -c '%U:%G %a' "$CONFIG"), not root:ticketd 640"
dpkg-query --showformat='${Conffiles}\n' --show ticketd | grep -q " $CONFIG " ||
    fail "$CONFIG is not a conffile"
for bin in ticketd mailgate tkt; do
    [ "$(command -v "$bin")" = "/usr/bin/$bin" ] ||
        fail "$bin on the PATH is '$(command -v "$bin" || true)', not /usr/bin/$bin"
    "$bin" --help >/dev/null || fail "$bin --help"
done
for unit in ticketd.service ticketd-backup.service ticketd-backup.timer; do
    [ -f "/usr/lib/systemd/system/$unit" ] || fail "no /usr/lib/systemd/system/$unit"
done
# the units run the binaries where the package puts them
run=$(grep -h '^Exec' /usr/lib/systemd/system/ticketd.service /usr/lib/systemd/system/ticketd-backup.service |
    tr " '=" '\n\n\n' | grep -E '^/.*/(ticketd|mailgate|tkt)$' | sort -u)
[ -n "$run" ] || fail "the units run no ticketd or tkt"
for path in $run; do
    [ -x "$path" ] || fail "a unit runs $path, which the package does not install"
done

# as the service runs it: user ticketd, the installed config
if ! out=$(runuser -u ticketd -- ticketd --config "$CONFIG" --check-config 2>&1); then
    fail "ticketd --config $CONFIG --check-config as user ticketd: $out"
fi
step "ticketd --check-config of the installed config: $out"

step "starting the installed ticketd as the unit does"
socket=/run/ticketd/ticketd.sock
install -d -o ticketd -g ticketd -m 0755 /run/ticketd # the unit's RuntimeDirectory
setpriv --reuid=ticketd --regid=ticketd --init-groups ticketd --config "$CONFIG" >"$log" 2>&1 &
daemon=$!
tries=0
while [ ! -S "$socket" ]; do
    kill -0 "$daemon" 2>/dev/null || fail "the installed ticketd exited: $(cat "$log")"
    tries=$((tries + 1))
    [ "$tries" -le 100 ] || fail "the installed ticketd has no socket $socket after 10 s: $(cat "$log")"
    sleep 0.1
done
tkt --url "unix:$socket" whoami >/dev/null || fail "tkt whoami against the installed ticketd"
tkt --url "unix:$socket" admin backup /var/lib/ticketd/backups/deb-check.sqlite3 >/dev/null ||
    fail "tkt admin backup into /var/lib/ticketd/backups: $(cat "$log")"
kill "$daemon"
wait "$daemon" || fail "the installed ticketd did not exit 0 on SIGTERM: $(cat "$log")"
daemon=

step "purging"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq ticketd >"$apt_log" 2>&1 ||
    fail "apt-get purge ticketd: $(cat "$apt_log")"
installed=no
for path in /usr/bin/ticketd /usr/bin/mailgate /usr/bin/tkt /var/lib/ticketd /etc/ticketd \
    /usr/lib/systemd/system/ticketd.service /usr/share/doc/ticketd; do
    [ ! -e "$path" ] || fail "$path is still there after apt-get purge"
done

step "ok: $deb installs, checks out and purges"
