#!/usr/bin/env bash
# Every test ringbook has, from a fresh Debian machine: installs what the tests need, then runs
# formatting, lints and all tests. CI runs exactly this (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use. Installed only when missing, so a second run starts at once.
PACKAGES=(ca-certificates build-essential pkg-config chromium tzdata)
# The browser tests drive Chromium with playwright-core under Node; take Debian's Node only if none is there.
command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)

need=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "== installing: ${need[*]}"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}"
fi

if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
    rustup component add rustfmt clippy
fi

if [ ! -d tests/ui/node_modules/playwright-core ]; then
    echo "== npm ci (tests/ui: playwright-core, which uses the system Chromium)"
    (cd tests/ui && npm ci --no-audit --no-fund)
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --locked -- -D warnings
echo "== cargo doc (private items too: the docs are for the people working on ringbook)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --document-private-items --locked
echo "== cargo test"
cargo test --locked --all-targets
