#!/usr/bin/env bash
# Boot smoke test for the Raspberry Pi image, under software emulation. Opt-in, not in CI: it takes minutes.
#
#   image/test-image.sh                    # qemu -M virt (cortex-a72, 2 cores, 1 GiB), about a minute
#   image/test-image.sh raspi3b            # qemu's Raspberry Pi 3B with the Pi 3 device tree, slower
#   image/test-image.sh virt IMAGE.img.xz  # a given image, .img.xz or .img (default: the newest
#                                          # .img.xz in build-output/)
#
# It checks the image's checksum, unpacks it to a temporary copy, and puts test files on that copy's boot
# partition the way a person would with a PC (see image/rootfs/usr/local/sbin/ringbook-firstboot):
#   ringbook-lookup-allow.txt  10.0.2.2/32, the test machine as the VM sees it through qemu's user-mode
#                              network, so lookups through the forwarded port work without a key;
#   ringbook-contacts.csv      one contact to look up;
#   hostname.txt               "unique", so the box calls itself ringbook-XXXX;
#   ssh_authorized_keys        (virt only) a fresh key, to look inside the running box.
# It boots the image's own kernel, initrd (and for raspi3b, device tree and cmdline.txt), read from that
# boot partition with mcopy, with user-mode networking and host forwards bound to 127.0.0.1 only. It
# waits for /healthz, prints the time from qemu's start to the first HTTP answer, looks a caller up, checks
# what the console showed, and in virt mode looks inside over SSH; in raspi3b mode it checks SSH is off.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE="${1:-virt}"
IMGXZ="${2:-$(ls -t build-output/ringbook-*-rpi-arm64.img.xz 2>/dev/null | head -n1 || true)}"
TIMEOUT="${RINGBOOK_BOOT_TIMEOUT:-900}"
case "$MODE" in virt | raspi3b) ;; *) echo "usage: $0 [virt|raspi3b] [IMAGE.img.xz]" >&2; exit 2 ;; esac
[ -n "$IMGXZ" ] && [ -f "$IMGXZ" ] || { echo "error: no image; run image/build-image.sh first" >&2; exit 1; }

need=()
for p in qemu-system-arm mtools xz-utils curl fdisk openssh-client iproute2; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "== installing: ${need[*]}"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

fail() {
    echo "FAIL: $*" >&2
    [ -z "${work:-}" ] || { echo "--- the console's last lines:" >&2; tail -n 40 "$work"/console*.log >&2 || true; }
    exit 1
}
ok() { echo "ok: $*"; }

if [ -f "$IMGXZ.sha256" ]; then
    (cd "$(dirname "$IMGXZ")" && sha256sum --quiet -c "$(basename "$IMGXZ").sha256") || fail "checksum mismatch"
    ok "checksum of $(basename "$IMGXZ")"
fi

work=$(mktemp -d /var/tmp/ringbook-test-image.XXXXXX)
qpid=""
cleanup() {
    [ -z "$qpid" ] || kill "$qpid" 2>/dev/null || true
    [ -z "$qpid" ] || wait "$qpid" 2>/dev/null || true
    mkdir -p build-output
    cat "$work"/console*.log >"build-output/test-image-$MODE.console.log" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# --- a private copy with the test's files on its boot partition ----------------------------------------------
DISK="$work/disk.img"
case "$IMGXZ" in
    *.xz) cp "$IMGXZ" "$DISK.xz" && xz -d -T0 "$DISK.xz" ;; # xz writes the unpacked file sparse
    *) cp --sparse=always "$IMGXZ" "$DISK" ;;
esac
if [ "$MODE" = raspi3b ]; then
    # qemu's SD card must be a power of two in size; the extra room also exercises the root grow.
    size=$(stat -c %s "$DISK") p2=1
    while [ "$p2" -lt "$size" ]; do p2=$((p2 * 2)); done
    truncate -s "$p2" "$DISK"
else
    truncate -s +1G "$DISK"
fi
start=$(sfdisk -d "$DISK" | sed -n "s|^$DISK""1 : start= *\([0-9]*\),.*|\1|p")
[ -n "$start" ] || fail "no first partition in the image"
FAT="$DISK@@$((start * 512))"
printf '10.0.2.2/32\n' >"$work/ringbook-lookup-allow.txt"
printf 'first_name,last_name,company,email,notes,office\nErika,Mustermann,Testbau GmbH,,,+49 30 1234567\n' \
    >"$work/ringbook-contacts.csv"
printf 'unique\n' >"$work/hostname.txt"
hooks=("$work/ringbook-lookup-allow.txt" "$work/ringbook-contacts.csv" "$work/hostname.txt")
if [ "$MODE" = virt ]; then
    ssh-keygen -q -t ed25519 -N '' -C ringbook-test -f "$work/id"
    cp "$work/id.pub" "$work/ssh_authorized_keys"
    hooks+=("$work/ssh_authorized_keys")
fi
mcopy -o -i "$FAT" "${hooks[@]}" ::
# The kernel and initrd the Pi's firmware would load: the ones config.txt names.
mcopy -i "$FAT" ::config.txt "$work/config.txt"
kernel=$(sed -n 's/^kernel=//p' "$work/config.txt" | tr -d '\r')
initrd=$(sed -n 's/^initramfs \([^ ]*\).*/\1/p' "$work/config.txt" | tr -d '\r')
mcopy -i "$FAT" "::$kernel" "$work/vmlinuz" || fail "no kernel '$kernel' on the boot partition"
mcopy -i "$FAT" "::$initrd" "$work/initrd.img" || fail "no initrd '$initrd' on the boot partition"

free_port() {
    local p
    for p in $(shuf -i 20000-45000 -n 50); do
        ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
    done
    fail "no free port"
}
HTTP_PORT=$(free_port)
SSH_PORT=$(free_port)
NETDEV="user,id=n0,hostfwd=tcp:127.0.0.1:$HTTP_PORT-:80,hostfwd=tcp:127.0.0.1:$SSH_PORT-:22"
if [ "$MODE" = virt ]; then
    # shellcheck disable=SC2054  # qemu options are comma lists
    QEMU=(qemu-system-aarch64 -M virt -cpu cortex-a72 -smp 2 -m 1024
        -kernel "$work/vmlinuz" -initrd "$work/initrd.img"
        -append "root=LABEL=RASPIROOT rw console=ttyAMA0 net.ifnames=0 rootwait"
        -drive "file=$DISK,if=virtio,format=raw" -snapshot
        -netdev "$NETDEV" -device virtio-net-pci,netdev=n0,romfile=
        -display none -monitor none -serial "file:$work/console.log")
else
    mcopy -i "$FAT" ::bcm2837-rpi-3-b.dtb "$work/pi3.dtb"
    mcopy -i "$FAT" ::cmdline.txt "$work/cmdline.txt"
    # The image's own command line; the Pi 3's PL011 (ttyAMA0) is qemu's first serial port.
    cmdline="$(tr -d '\r\n' <"$work/cmdline.txt") console=ttyAMA0,115200"
    # A Pi 3's Ethernet is on USB and is named eth0; qemu's usb-net gets a globally administered MAC (the
    # Pi's own OUI) so the kernel names it eth0 too, not usb0.
    # shellcheck disable=SC2054  # qemu options are comma lists
    QEMU=(qemu-system-aarch64 -M raspi3b -m 1024
        -kernel "$work/vmlinuz" -initrd "$work/initrd.img" -dtb "$work/pi3.dtb" -append "$cmdline"
        -drive "file=$DISK,if=sd,format=raw" -snapshot
        -netdev "$NETDEV" -device usb-net,netdev=n0,mac=b8:27:eb:12:34:56
        -display none -monitor none -serial "file:$work/console.log" -serial "file:$work/console-ttyS1.log")
fi

# --- boot, and time it to the first HTTP answer ----------------------------------------------------------------
echo "== booting $(basename "$IMGXZ") under qemu -M $MODE (HTTP on 127.0.0.1:$HTTP_PORT)"
t0=$(date +%s%N)
ms_since_start() { echo $((($(date +%s%N) - t0) / 1000000)); }
"${QEMU[@]}" 2>"$work/qemu.log" &
qpid=$!
URL="http://127.0.0.1:$HTTP_PORT"
health=""
while :; do
    kill -0 "$qpid" 2>/dev/null || { cat "$work/qemu.log" >&2; fail "qemu exited"; }
    health=$(curl -fsS --max-time 3 "$URL/healthz" 2>/dev/null || true)
    [ -z "$health" ] || break
    [ "$(ms_since_start)" -lt $((TIMEOUT * 1000)) ] || fail "no HTTP answer within $TIMEOUT s"
    sleep 1
done
ms=$(ms_since_start)
boot="$((ms / 1000)).$((ms % 1000 / 100))"
echo "== first HTTP answer $boot s after qemu started (-M $MODE): $health"
case "$health" in *'"status":"ok"'*) ok "/healthz" ;; *) fail "/healthz: $health" ;; esac

# --- a lookup through the forwarded port ---------------------------------------------------------------------------
# The contact and the key come from the boot partition at first boot, before ringbook starts.
answer=$(curl -fsS --max-time 20 "$URL/api/v1/lookup?number=%2B49301234567") || fail "GET /api/v1/lookup"
case "$answer" in *Mustermann*) ok "GET /api/v1/lookup finds the contact: $answer" ;; *) fail "lookup: $answer" ;; esac
name=$(curl -fsS --max-time 20 "$URL/lookup.txt?number=0301234567")
[ "$name" = "Erika Mustermann (Testbau GmbH)" ] && ok "GET /lookup.txt answers '$name'" || fail "lookup.txt: '$name'"

# --- what the screen showed ----------------------------------------------------------------------------------------
for _ in $(seq 1 30); do
    grep -aq 'setup code is' "$work"/console*.log && break
    sleep 2
done
grep -ah 'ringbook-firstboot:\|ringbook: ' "$work"/console*.log | tr -d '\r' | sort -u | sed 's/^/   console: /'
code=$(grep -aho 'the one-time setup code is [A-Z0-9-]*' "$work"/console*.log | tail -n1 | awk '{print $NF}')
[[ "$code" =~ ^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$ ]] && ok "the console shows the setup code $code" || fail "no setup code on the console"
grep -aq 'ringbook-firstboot: root filesystem .* grown' "$work"/console*.log && ok "root filesystem grown" || fail "root not grown"
grep -aq 'open http://ringbook-3456.local/' "$work"/console*.log && ok "unique hostname ringbook-3456" || fail "hostname"

# --- inside the box (virt: over SSH with the key from the boot partition); raspi3b: SSH must be off ---------------
if [ "$MODE" = virt ]; then
    SSH=(ssh -q -i "$work/id" -p "$SSH_PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
        -o BatchMode=yes -o ConnectTimeout=20 root@127.0.0.1)
    # sshd makes its host keys at its first start, which under emulation can take a minute or more.
    for _ in $(seq 1 24); do "${SSH[@]}" true && break; sleep 5; done
    "${SSH[@]}" true || fail "SSH with the key from the boot partition"
    ok "SSH works with the key from ssh_authorized_keys"
    "${SSH[@]}" sh -s >"$work/inside" 2>&1 <<'EOF' || true
for i in $(seq 1 60); do
    s=$(systemctl is-system-running); case "$s" in starting|initializing) sleep 2 ;; *) break ;; esac
done
echo "system: $(systemctl is-system-running)"
echo "failed units: $(systemctl --failed --no-legend --plain | awk '{print $1}' | xargs)"
echo "active: $(systemctl is-active ringbook avahi-daemon systemd-networkd systemd-timesyncd ringbook-console ringbook-firstboot | xargs)"
echo "hostname: $(hostname)"
echo "machine-id: $(cat /etc/machine-id)"
echo "root size: $(df -h --output=size / | tail -n1 | tr -d ' ')"
echo "passwords: $(passwd -S -a | awk '$2 == "P" || $2 == "NP" {print $1}' | xargs)"
echo "sshd password auth: $(sshd -T | awk '$1 == "passwordauthentication" {print $2}')"
echo "ringbook listens: $(ss -Htlnp 'sport = :80' | grep -o 'users:(("ringbook"' | head -n1)"
echo "ringbook capabilities: $(grep CapEff /proc/$(pidof ringbook)/status | awk '{print $2}')"
echo "ringbook user: $(ps -o user= -p $(pidof ringbook))"
echo "$(systemd-analyze security ringbook.service | tail -n1)"
echo "avahi: $(journalctl -b -u avahi-daemon --no-pager -o cat | grep -E 'Host name is|successfully established' | xargs)"
echo "setup code file: $(cat /run/ringbook/setup-code)"
echo "boot partition: $(ls /boot/firmware | grep -E 'done$' | xargs)"
rb() { runuser -u ringbook -- ringbook --db /var/lib/ringbook/ringbook.db "$@"; }
/usr/local/sbin/ringbook-timezone >/dev/null 2>&1
echo "timezone: $(cat /etc/timezone) (ringbook: $(rb settings get office.timezone 2>/dev/null))"
rb settings set office.timezone America/Sao_Paulo >/dev/null 2>&1
/usr/local/sbin/ringbook-timezone >/dev/null 2>&1
echo "timezone after the office moved: $(cat /etc/timezone) $(date +%z)"
echo "boot: $(systemd-analyze time | head -n1)"
EOF
    sed 's/^/   inside: /' "$work/inside"
    grep -q '^failed units: $' "$work/inside" && ok "no failed systemd units" || fail "failed units"
    grep -q '^active: active active active active active active$' "$work/inside" && ok "services active" || fail "services"
    grep -q '^passwords: $' "$work/inside" && ok "no account has a password" || fail "an account has a password"
    grep -q '^sshd password auth: no$' "$work/inside" && ok "sshd refuses passwords" || fail "sshd passwords"
    grep -q '^ringbook user: ringbook$' "$work/inside" && ok "ringbook runs as its own user" || fail "ringbook user"
    grep -q '^ringbook capabilities: 0000000000000400$' "$work/inside" &&
        ok "ringbook holds only CAP_NET_BIND_SERVICE" || fail "ringbook capabilities"
    grep -q "^setup code file: $code$" "$work/inside" && ok "the console's code is ringbook's" || fail "setup code differs"
    grep -q "Host name is ringbook-3456.local" "$work/inside" && grep -q "ringbook on ringbook-3456.*successfully established" "$work/inside" &&
        ok "avahi announces ringbook-3456.local and the _http._tcp service" || fail "avahi"
    [ -n "$(sed -n 's/^machine-id: //p' "$work/inside")" ] && ok "the box made its own machine-id" || fail "machine-id"
    grep -Eq '^timezone: ([^ ]+) \(ringbook: \1\)$' "$work/inside" &&
        grep -q '^timezone after the office moved: America/Sao_Paulo -0300$' "$work/inside" &&
        ok "the system time zone follows ringbook's office.timezone" || fail "time zone"
else
    banner=$(timeout 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$SSH_PORT && timeout 5 head -c 7 <&3" 2>/dev/null || true)
    [ "$banner" != "SSH-2.0" ] && ok "SSH is off (no key file on the boot partition)" || fail "SSH answered without a key file"
fi

echo "== PASS (-M $MODE): first HTTP answer after $boot s; image $(basename "$IMGXZ")"
