#!/usr/bin/env bash
# Tests the ringbook .deb the way an admin uses it, in a fresh Debian 12 chroot (mmdebstrap, minbase):
# install, the service's own command line answering /healthz, upgrade (database, data and an edited
# /etc/default/ringbook kept), remove (data kept) and purge (data, user, group and every file gone).
#
#   sudo scripts/test-deb.sh           # amd64; about 1.5 minutes here (35 s with the release build done)
#   sudo scripts/test-deb.sh arm64     # the arm64 package under qemu-user (binfmt); slower
#
# Needs root (chroot) and a Debian mirror. Not part of scripts/test.sh: it takes minutes and needs root.
# There is no systemd inside a chroot, so the service is started the way its unit says (User=, the
# EnvironmentFile, ExecStart=); the unit itself runs in the Pi image's boot test (image/test-image.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

ARCH="${1:-amd64}"
MIRROR="${RINGBOOK_MIRROR:-http://deb.debian.org/debian}"
[ "$(id -u)" -eq 0 ] || exec sudo -E "$0" "$@"
started=$(date +%s)

need=()
for p in mmdebstrap curl; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ "$ARCH" != "$(dpkg --print-architecture)" ]; then
    for p in qemu-user-static binfmt-support; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
    done
fi
if [ ${#need[@]} -gt 0 ]; then
    echo "== installing: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [ "$ARCH" != "$(dpkg --print-architecture)" ]; then
    [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
    update-binfmts --enable "qemu-$(case "$ARCH" in arm64) echo aarch64 ;; *) echo "$ARCH" ;; esac)" 2>/dev/null || true
fi

work=$(mktemp -d /tmp/ringbook-test-deb.XXXXXX)
R="$work/root"
pid=""
cleanup() {
    [ -z "$pid" ] || kill "$pid" 2>/dev/null || true
    [ -z "$pid" ] || wait "$pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
ok() { echo "ok: $*"; }

# --- two versions of the package, so the upgrade is a real one --------------------------------------------
echo "== building the $ARCH package twice (revisions 1 and 2)"
RINGBOOK_DEB_OUT="$work/debs" RINGBOOK_DEB_REVISION=1 scripts/build-deb.sh "$ARCH"
RINGBOOK_DEB_OUT="$work/debs" RINGBOOK_DEB_REVISION=2 RINGBOOK_SKIP_BUILD=1 scripts/build-deb.sh "$ARCH"
DEB1=$(ls "$work"/debs/ringbook_*-1_"$ARCH".deb)
DEB2=$(ls "$work"/debs/ringbook_*-2_"$ARCH".deb)

# --- the chroot -------------------------------------------------------------------------------------------
echo "== mmdebstrap bookworm $ARCH (minbase + adduser, systemd)"
t=$(date +%s)
mmdebstrap --quiet --mode=root --variant=minbase --architectures="$ARCH" --include=adduser,systemd \
    bookworm "$R" "deb $MIRROR bookworm main"
echo "   chroot ready in $(($(date +%s) - t)) s"
cp "$DEB1" "$DEB2" "$R/tmp/"
in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
snapshot() {
    # Every path in the chroot except the ones dpkg, adduser and the package manager keep as records.
    (cd "$R" && find . -xdev \
        -path ./var/lib/dpkg -prune -o -path ./var/log -prune -o -path ./var/cache -prune -o \
        -path ./tmp -prune -o -path ./run -prune -o \
        -name '*-' -path './etc/*' -prune -o -print) | sort
}
snapshot >"$work/before"

# The server exactly as ringbook.service runs it (User=, Environment=, EnvironmentFile=, ExecStart=), but
# on a free loopback port, since the chroot shares this machine's network.
UNIT=/usr/lib/systemd/system/ringbook.service
start_server() {
    local exec user envs
    exec=$(sed -n 's/^ExecStart=//p' "$R$UNIT")
    user=$(sed -n 's/^User=//p' "$R$UNIT")
    envs=$(sed -n 's/^Environment=//p' "$R$UNIT"; grep -E '^[A-Z_]+=' "$R/etc/default/ringbook" || true)
    in_root install -d -o "$user" -g "$user" -m 0750 /run/ringbook
    # shellcheck disable=SC2086  # the unit's command line and environment are word lists
    chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin $envs RINGBOOK_LISTEN=127.0.0.1:0 \
        setpriv --reuid="$user" --regid="$user" --clear-groups $exec >"$work/server.log" 2>&1 &
    pid=$!
    URL=""
    for _ in $(seq 1 120); do
        URL=$(grep -o 'listening on http://127\.0\.0\.1:[0-9]*' "$work/server.log" | sed 's/^listening on //' || true)
        [ -n "$URL" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    [ -n "$URL" ] || { cat "$work/server.log" >&2; fail "the installed ringbook did not start"; }
}
stop_server() {
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pid=""
}
as_ringbook() { in_root setpriv --reuid=ringbook --regid=ringbook --clear-groups /usr/bin/ringbook --db "$DB" "$@"; }

# --- install ----------------------------------------------------------------------------------------------
echo "== install $(basename "$DEB1")"
in_root dpkg -i "/tmp/$(basename "$DEB1")" || fail "dpkg -i failed"
[ -x "$R/usr/bin/ringbook" ] && ok "/usr/bin/ringbook installed" || fail "no /usr/bin/ringbook"
in_root /usr/bin/ringbook --version | grep -q '^ringbook ' && ok "ringbook --version runs" || fail "--version"
uid=$(in_root getent passwd ringbook | cut -d: -f3)
[ -n "$uid" ] && [ "$uid" -lt 1000 ] && ok "system user ringbook (uid $uid)" || fail "no system user ringbook"
in_root getent passwd ringbook | grep -q ':/usr/sbin/nologin$' && ok "ringbook has no login shell" || fail "login shell"
[ "$(in_root stat -c '%U:%G %a' /var/lib/ringbook)" = "ringbook:ringbook 750" ] &&
    ok "/var/lib/ringbook is ringbook:ringbook 750" || fail "/var/lib/ringbook: $(in_root stat -c '%U:%G %a' /var/lib/ringbook)"
grep -q '^RINGBOOK_DB=/var/lib/ringbook/ringbook.db$' "$R/etc/default/ringbook" &&
    grep -q '^RINGBOOK_LISTEN=' "$R/etc/default/ringbook" && ok "/etc/default/ringbook" || fail "/etc/default/ringbook"
[ -L "$R/etc/systemd/system/multi-user.target.wants/ringbook.service" ] &&
    ok "ringbook.service enabled" || fail "ringbook.service not enabled"
for want in 'Restart=on-failure' 'NoNewPrivileges=yes' 'ProtectSystem=strict' 'ReadWritePaths=/var/lib/ringbook' \
    'PrivateTmp=yes' 'ProtectHome=yes' 'CapabilityBoundingSet=' 'User=ringbook'; do
    grep -qx "$want" "$R$UNIT" || fail "the unit lacks $want"
done
[ "$(grep -c '^ReadWritePaths=' "$R$UNIT")" = 1 ] || fail "the unit has more than one ReadWritePaths"
ok "unit hardening lines present"
# systemd's own offline checks, run by the chroot's systemd (no systemd runs in a chroot).
in_root systemd-analyze verify "$UNIT" >"$work/verify" 2>&1 || { cat "$work/verify" >&2; fail "systemd-analyze verify"; }
[ ! -s "$work/verify" ] || { cat "$work/verify" >&2; fail "systemd-analyze verify complained"; }
ok "systemd-analyze verify: no complaints"
exposure=$(in_root systemd-analyze security --offline=yes "$UNIT" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: //p')
[ -n "$exposure" ] || fail "systemd-analyze security gave no exposure level"
ok "systemd-analyze security: exposure $exposure"
DB=$(sed -n 's/^RINGBOOK_DB=//p' "$R/etc/default/ringbook")

start_server
curl -fsS "$URL/healthz" | grep -q '"status":"ok"' && ok "GET /healthz from the installed package" || fail "/healthz"
code=$(grep -o 'setup code is [A-Z0-9-]*' "$work/server.log" | awk '{print $4}')
[ -n "$code" ] || fail "no setup code in the log"
[ "$(cat "$R/run/ringbook/setup-code")" = "$code" ] && [ "$(in_root stat -c '%U %a' /run/ringbook/setup-code)" = "ringbook 600" ] &&
    ok "setup code also in /run/ringbook/setup-code (mode 600)" || fail "setup code file"
[ "$(in_root stat -c %U "$DB")" = ringbook ] && ok "the database belongs to ringbook" || fail "database owner"
as_ringbook settings set number.country CH >/dev/null
key=$(as_ringbook apikey create --name test --scopes lookup 2>/dev/null)
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" "$URL/api/v1/lookup?number=0441234567")" = 200 ] &&
    ok "a key made with the CLI works against the server" || fail "lookup with the key"
stop_server
echo "RINGBOOK_WORKERS=3" >>"$R/etc/default/ringbook"

# --- upgrade ----------------------------------------------------------------------------------------------
echo "== upgrade to $(basename "$DEB2")"
in_root dpkg -i "/tmp/$(basename "$DEB2")" || fail "the upgrade failed"
[ "$(in_root dpkg-query -W -f='${Version}' ringbook)" = "$(dpkg-deb -f "$DEB2" Version)" ] && ok "version upgraded" || fail "version"
grep -q '^RINGBOOK_WORKERS=3$' "$R/etc/default/ringbook" && ok "the edited /etc/default/ringbook was kept" || fail "conffile lost"
[ "$(in_root getent passwd ringbook | cut -d: -f3)" = "$uid" ] && ok "same user id" || fail "user changed"
[ "$(as_ringbook settings get number.country)" = CH ] && ok "the database and its settings survived" || fail "data lost"
start_server
curl -fsS "$URL/healthz" | grep -q '"status":"ok"' || fail "/healthz after the upgrade"
grep -q 'with 3 workers' "$work/server.log" && ok "the kept /etc/default/ringbook is used" || fail "workers from conffile"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" "$URL/api/v1/lookup?number=0441234567")" = 200 ] &&
    ok "the old key still works after the upgrade" || fail "key lost"
stop_server

# --- remove keeps data, purge removes everything ----------------------------------------------------------
echo "== remove"
in_root dpkg -r ringbook || fail "dpkg -r failed"
[ ! -e "$R/usr/bin/ringbook" ] || fail "the binary is still there"
[ -f "$R$DB" ] && ok "remove keeps the database" || fail "remove deleted the database"
in_root getent passwd ringbook >/dev/null && ok "remove keeps the user" || fail "remove deleted the user"
[ -f "$R/etc/default/ringbook" ] && ok "remove keeps /etc/default/ringbook" || fail "conffile gone on remove"
echo "== purge"
in_root dpkg -P ringbook || fail "dpkg -P failed"
[ ! -e "$R/var/lib/ringbook" ] && ok "purge deletes /var/lib/ringbook" || fail "data left after purge"
! in_root getent passwd ringbook >/dev/null && ! in_root getent group ringbook >/dev/null &&
    ok "purge deletes the user and group" || fail "user or group left after purge"
[ -z "$(in_root dpkg-query -W -f='${Status}' ringbook 2>/dev/null)" ] && ok "dpkg forgot the package" || fail "dpkg status"
snapshot >"$work/after"
if ! diff "$work/before" "$work/after" >"$work/leftovers"; then
    cat "$work/leftovers" >&2
    fail "files differ between before the install and after the purge"
fi
ok "after purge the chroot has exactly the files it had before the install"

echo "== all package tests passed for $ARCH in $(($(date +%s) - started)) s"
