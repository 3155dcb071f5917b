#!/usr/bin/env bash
# Builds ringbook's Debian packages with plain dpkg-deb (no cargo-deb, no debhelper):
#
#   scripts/build-deb.sh               # amd64 and arm64
#   scripts/build-deb.sh amd64         # one architecture
#
# Output: build-output/ringbook_VERSION-REVISION_ARCH.deb. The amd64 binary comes from `cargo build
# --release`, the arm64 one from scripts/build-arm64.sh (Debian's cross toolchain, checked under qemu-user).
# RINGBOOK_DEB_REVISION (default 1) sets the Debian revision; scripts/test-deb.sh uses it to build an
# upgrade. RINGBOOK_SKIP_BUILD=1 packages the binaries already built; RINGBOOK_DEB_OUT sets the output folder.
#
# What the package holds and does is in image/deb/: the hardened systemd unit, /etc/default/ringbook, the
# low-port drop-in example and the maintainer scripts (system user, /var/lib/ringbook, purge).
set -euo pipefail
cd "$(dirname "$0")/.."

ARCHES=("$@")
[ ${#ARCHES[@]} -gt 0 ] || ARCHES=(amd64 arm64)
REVISION="${RINGBOOK_DEB_REVISION:-1}"
MAINTAINER="${RINGBOOK_DEB_MAINTAINER:-ringbook maintainers <ringbook@invalid>}"
OUT="${RINGBOOK_DEB_OUT:-build-output}"
UPSTREAM=$(sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n1)
[ -n "$UPSTREAM" ] || { echo "error: no version in Cargo.toml" >&2; exit 1; }
VERSION="$UPSTREAM-$REVISION"
mkdir -p "$OUT"

if ! command -v readelf >/dev/null; then
    echo "== installing: binutils (for readelf)"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends binutils
fi

binary_for() {
    case "$1" in
        amd64)
            if command -v cargo >/dev/null; then
                [ "${RINGBOOK_SKIP_BUILD:-0}" = 1 ] || cargo build --release --locked --bin ringbook >&2
                echo "${CARGO_TARGET_DIR:-target}/release/ringbook"
            else
                # No Rust toolchain: Debian's own rustc-web/cargo-web (1.96, bookworm-security), as for arm64.
                if [ "${RINGBOOK_SKIP_BUILD:-0}" != 1 ]; then
                    if ! dpkg-query -W -f='${Status}' cargo-web 2>/dev/null | grep -q "install ok installed"; then
                        SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
                        $SUDO apt-get update -qq >&2
                        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
                            rustc-web cargo-web build-essential >&2
                    fi
                    RUSTC=/usr/bin/rustc CARGO_TARGET_DIR=target/debian \
                        /usr/bin/cargo build --release --locked --bin ringbook >&2
                fi
                echo "target/debian/release/ringbook"
            fi
            ;;
        arm64)
            [ "${RINGBOOK_SKIP_BUILD:-0}" = 1 ] || scripts/build-arm64.sh >&2
            echo "target/cross/aarch64-unknown-linux-gnu/release/ringbook"
            ;;
        *) echo "error: unknown architecture '$1' (amd64 or arm64)" >&2; exit 1 ;;
    esac
}

# Depends, from what the binary really links: glibc at the highest symbol version it uses, libgcc_s for
# unwinding, adduser for the postinst. Any other library is an error, so a new one can't slip in unnoticed.
depends_for() {
    # tzdata: the office's time zone is read from the system's tz database.
    local bin=$1 needed glibc lib deps="adduser, tzdata"
    needed=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
    glibc=$(readelf -V --wide "$bin" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n1)
    deps="$deps, libc6 (>= ${glibc:-2.36})"
    for lib in $needed; do
        case "$lib" in
            libc.so.6 | libm.so.6 | libpthread.so.0 | libdl.so.2 | librt.so.1 | ld-linux*) ;;
            libgcc_s.so.1) deps="$deps, libgcc-s1" ;;
            *) echo "error: $bin links $lib; add its package to Depends in scripts/build-deb.sh" >&2; exit 1 ;;
        esac
    done
    echo "$deps"
}

for arch in "${ARCHES[@]}"; do
    bin=$(binary_for "$arch")
    [ -x "$bin" ] || { echo "error: $bin is missing" >&2; exit 1; }
    root="$OUT/deb-root-$arch"
    rm -rf "$root"
    install -d -m 0755 "$root/DEBIAN" "$root/usr/bin" "$root/usr/lib/systemd/system" "$root/etc/default" \
        "$root/usr/share/doc/ringbook/examples"
    install -m 0755 "$bin" "$root/usr/bin/ringbook"
    install -m 0644 image/deb/ringbook.service "$root/usr/lib/systemd/system/ringbook.service"
    install -m 0644 image/deb/default "$root/etc/default/ringbook"
    install -m 0644 image/deb/low-port.conf "$root/usr/share/doc/ringbook/examples/low-port.conf"
    install -m 0644 image/deb/copyright "$root/usr/share/doc/ringbook/copyright"
    install -m 0644 README.md "$root/usr/share/doc/ringbook/README.md"
    when=$(git log -1 --format=%cD 2>/dev/null || date -R)
    printf 'ringbook (%s) stable; urgency=medium\n\n  * Packaged by scripts/build-deb.sh from ringbook %s.\n\n -- %s  %s\n' \
        "$VERSION" "$UPSTREAM" "$MAINTAINER" "$when" | gzip -9n >"$root/usr/share/doc/ringbook/changelog.Debian.gz"
    chmod 0644 "$root/usr/share/doc/ringbook/changelog.Debian.gz"
    for s in postinst prerm postrm; do
        install -m 0755 "image/deb/$s" "$root/DEBIAN/$s"
    done
    echo /etc/default/ringbook >"$root/DEBIAN/conffiles"
    size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
    cat >"$root/DEBIAN/control" <<EOF
Package: ringbook
Version: $VERSION
Architecture: $arch
Maintainer: $MAINTAINER
Installed-Size: $size
Depends: $(depends_for "$bin")
Section: net
Priority: optional
Description: caller lookup, phone books and call journal for an office phone system
 ringbook tells every phone and PBX in a small office who is calling (Snom,
 Yealink, Grandstream and DECT phone books, the 3CX CRM template, FreePBX and
 Asterisk caller-name lookups), journals every call into one call log, and
 serves a small web UI. One binary, one SQLite database in /var/lib/ringbook.
EOF
    deb="$OUT/ringbook_${VERSION}_$arch.deb"
    dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
    rm -rf "$root"
    echo "== $deb ($(du -h "$deb" | cut -f1)); Depends: $(dpkg-deb -f "$deb" Depends)"
done
