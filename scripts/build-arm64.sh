#!/usr/bin/env bash
# Cross-compiles the release binary for a Raspberry Pi 3/4 (aarch64-unknown-linux-gnu) on Debian 12 x86_64,
# from Debian's own packages only, and proves it runs: `file` must say aarch64, and under qemu-user the
# binary must answer --version and GET /healthz on loopback.
#
#   scripts/build-arm64.sh            # -> target/cross/aarch64-unknown-linux-gnu/release/ringbook
#
# The toolchain is Debian's rustc-web 1.96 with its aarch64 std (libstd-rust-web-dev:arm64) and the
# aarch64 gcc as linker, used through RUSTC with Debian's cargo. rustup (if any) stays untouched: its
# toolchain has no aarch64 std. CARGO_TARGET_DIR defaults to target/cross so the two compilers never share
# build artefacts. Cargo.lock pins every crate (--locked), so both compilers build the same tree.
#
# Don't set QEMU_LD_PREFIX when running the result: with libc6:arm64 installed the binary finds its own
# loader, and pairing the cross glibc in /usr/aarch64-linux-gnu with it makes threaded programs hang.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=aarch64-unknown-linux-gnu
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/cross}"
BIN="$CARGO_TARGET_DIR/$TARGET/release/ringbook"

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

# --- what the build needs, from Debian -------------------------------------------------------------------
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "== adding the arm64 architecture to dpkg"
    $SUDO dpkg --add-architecture arm64
    $SUDO apt-get update -qq
fi
PACKAGES=(rustc-web cargo-web libstd-rust-web-dev:arm64 libc6:arm64 gcc-aarch64-linux-gnu
    libc6-dev-arm64-cross qemu-user file curl ca-certificates)
need=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "== installing: ${need[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# --- build ------------------------------------------------------------------------------------------------
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
export AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar
echo "== $($RUSTC --version), $(/usr/bin/cargo --version)"
started=$(date +%s)
/usr/bin/cargo build --release --locked --target "$TARGET" --bin ringbook
echo "== built in $(($(date +%s) - started)) s: $BIN ($(du -h "$BIN" | cut -f1))"

# --- check ------------------------------------------------------------------------------------------------
desc=$(file -b "$BIN")
echo "== file: $desc"
case "$desc" in
    *"ARM aarch64"*) ;;
    *) echo "error: $BIN is not an aarch64 binary" >&2; exit 1 ;;
esac

unset QEMU_LD_PREFIX
version=$(qemu-aarch64 "$BIN" --version)
echo "== under qemu-user: $version"
[[ "$version" == ringbook\ * ]] || { echo "error: unexpected --version answer: $version" >&2; exit 1; }

work=$(mktemp -d)
pid=""
cleanup() {
    [ -z "$pid" ] || kill "$pid" 2>/dev/null || true
    [ -z "$pid" ] || wait "$pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
# Port 0: the kernel picks a free port and the log line names it.
RUST_LOG=info qemu-aarch64 "$BIN" --db "$work/check.db" serve --listen 127.0.0.1:0 --workers 2 \
    >"$work/log" 2>&1 &
pid=$!
url=""
for _ in $(seq 1 120); do
    url=$(grep -o 'listening on http://127\.0\.0\.1:[0-9]*' "$work/log" | sed 's/^listening on //' || true)
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
done
if [ -z "$url" ]; then
    echo "error: the aarch64 binary did not start listening under qemu-user; its log:" >&2
    cat "$work/log" >&2
    exit 1
fi
health=$(curl -fsS --max-time 20 "$url/healthz")
echo "== under qemu-user: GET $url/healthz -> $health"
case "$health" in
    *'"status":"ok"'*) ;;
    *) echo "error: unexpected /healthz answer" >&2; exit 1 ;;
esac
echo "== ok: $BIN"
