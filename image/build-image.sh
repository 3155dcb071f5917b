#!/usr/bin/env bash
# Builds the ringbook appliance: a bootable arm64 SD-card image for the Raspberry Pi 3 and 4, from
# Debian 12 packages only, without loop devices or mounts.
#
#   sudo image/build-image.sh     # about 15-25 minutes on 2 cores
#
# Output, in build-output/ (git-ignored): ringbook-VERSION-rpi-arm64.img.xz and its .sha256.
# Flash it with `xzcat ringbook-*.img.xz | sudo dd of=/dev/sdX bs=4M conv=fsync status=progress`.
#
# How: mmdebstrap --mode=root --variant=minbase --architectures=arm64 builds the root filesystem, with
# qemu-user-static and binfmt running the arm64 maintainer scripts. update-initramfs is diverted to a no-op
# while packages install and run once at the end (each run takes minutes under emulation). raspi-firmware
# fills /boot/firmware (the Pi's firmware, device trees, kernel, initrd, config.txt, cmdline.txt). Then
# the FAT partition is made as a file (mkfs.vfat -C, mcopy), the ext4 one as a file from the directory
# (mkfs.ext4 -d), and both are put into a partitioned image (sfdisk, dd conv=notrunc).
#
# What the image holds (see image/rootfs/ for the files it adds):
#   - the ringbook .deb (scripts/build-deb.sh arm64), serving on port 80 with CAP_NET_BIND_SERVICE only;
#   - avahi: ringbook.local and an _http._tcp service; systemd-networkd (DHCP on eth*/en*),
#     systemd-resolved, systemd-timesyncd;
#   - ringbook-firstboot.service: grows the root partition once; applies hostname.txt,
#     ssh_authorized_keys, ringbook-lookup-allow.txt and ringbook-contacts.csv from the boot partition;
#   - ringbook-console.service: the address and the setup code on the HDMI and serial consoles;
#   - ringbook-timezone.timer: the system time zone follows the one chosen in ringbook;
#   - no password for any account (checked below), SSH off unless enabled by a key file, an empty
#     /etc/machine-id and no SSH host keys, so every box gets its own.
#
# Environment: RINGBOOK_DEB (a prebuilt arm64 .deb), RINGBOOK_MIRROR, RINGBOOK_SECURITY_MIRROR,
# RINGBOOK_XZ=0 (leave the .img uncompressed), RINGBOOK_KEEP_WORK=1 and RINGBOOK_ROOTFS=DIR (see below),
# RINGBOOK_INITRAMFS=small (a short module list: the initramfs builds in under a minute instead of about
# ten, but this is NOT verified on a real Pi; the default, MODULES=most, is Debian's).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || exec sudo -E "$0" "$@"

# --- called back by mmdebstrap as a customize hook, inside the build: $2 is the root filesystem ------------
if [ "${1:-}" = "--customize" ]; then
    ROOT=$2 DEB=$3 INITRAMFS=$4
    in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
    echo "== customize: ringbook $(dpkg-deb -f "$DEB" Version)"
    cp "$DEB" "$ROOT/tmp/ringbook.deb"
    in_root dpkg -i /tmp/ringbook.deb
    rm -f "$ROOT/tmp/ringbook.deb"

    # port 80 for http://ringbook.local/, with the one capability it needs
    sed -i 's/^RINGBOOK_LISTEN=.*/RINGBOOK_LISTEN=0.0.0.0:80/' "$ROOT/etc/default/ringbook"
    grep -qx 'RINGBOOK_LISTEN=0.0.0.0:80' "$ROOT/etc/default/ringbook"
    install -D -m 0644 image/deb/low-port.conf "$ROOT/etc/systemd/system/ringbook.service.d/low-port.conf"

    # the appliance's own files
    (cd image/rootfs && find . -type d) | while read -r d; do install -d -m 0755 "$ROOT/$d"; done
    (cd image/rootfs && find . -type f) | while read -r f; do
        mode=0644
        case "$f" in ./usr/local/sbin/*) mode=0755 ;; esac
        install -m "$mode" "image/rootfs/$f" "$ROOT/$f"
    done

    cat >"$ROOT/etc/fstab" <<'EOF'
# The image's two partitions, by label (see image/build-image.sh).
LABEL=RASPIROOT  /               ext4  rw,noatime,errors=remount-ro  0 1
LABEL=RASPIFIRM  /boot/firmware  vfat  rw,noatime,umask=0077         0 2
EOF
    sed -i 's/^#\?ROOTPART=.*/ROOTPART=LABEL=RASPIROOT/' "$ROOT/etc/default/raspi-firmware"
    grep -qx 'ROOTPART=LABEL=RASPIROOT' "$ROOT/etc/default/raspi-firmware" ||
        echo 'ROOTPART=LABEL=RASPIROOT' >>"$ROOT/etc/default/raspi-firmware"

    in_root systemctl enable systemd-networkd.service systemd-resolved.service systemd-timesyncd.service \
        avahi-daemon.service ringbook.service ringbook-firstboot.service ringbook-console.service \
        ringbook-timezone.timer
    # SSH stays off until ssh_authorized_keys on the boot partition enables it; sshd makes its host keys
    # at its first start (image/rootfs/etc/systemd/system/ssh.service.d/).
    in_root systemctl disable ssh.service
    rm -f "$ROOT"/etc/ssh/ssh_host_*

    # The initramfs, once, now that every package is in.
    if [ "$INITRAMFS" = small ]; then
        echo "MODULES=list" >"$ROOT/etc/initramfs-tools/conf.d/ringbook-modules.conf"
        cat >>"$ROOT/etc/initramfs-tools/modules" <<'EOF'
# ringbook image, RINGBOOK_INITRAMFS=small (unverified on a real Pi): the root filesystem on the SD
# card of a Pi 3 (sdhci-iproc, bcm2835 sdhost) or Pi 4 (emmc2 with its 1.8 V regulator on the firmware's
# GPIO expander), and virtio for qemu's virt machine.
ext4
mmc_block
sdhci_iproc
bcm2835
gpio_regulator
gpio_raspberrypi_exp
virtio_blk
virtio_pci
EOF
    fi
    # The root filesystem is ext4 (fstab names it by label, which a build can't resolve): this puts
    # e2fsck into the initramfs, so fsck.repair=yes can mend the root after a power cut.
    echo "FSTYPE=ext4" >"$ROOT/etc/initramfs-tools/conf.d/ringbook-fstype.conf"
    rm -f "$ROOT/usr/sbin/update-initramfs"
    in_root dpkg-divert --quiet --local --rename --remove /usr/sbin/update-initramfs
    t=$(date +%s)
    in_root update-initramfs -c -k all
    echo "== initramfs built in $(($(date +%s) - t)) s (MODULES: $INITRAMFS)"
    in_root apt-get clean
    exit 0
fi

# --- the build ---------------------------------------------------------------------------------------------
MIRROR="${RINGBOOK_MIRROR:-http://deb.debian.org/debian}"
SECURITY="${RINGBOOK_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
INITRAMFS="${RINGBOOK_INITRAMFS:-most}"
OUT=build-output
FAT_MB=256
started=$(date +%s)

need=()
# arch-test is only a Recommends of mmdebstrap, but it needs it to run arm64 maintainer scripts.
for p in mmdebstrap arch-test qemu-user-static binfmt-support mtools dosfstools e2fsprogs fdisk xz-utils; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "== installing: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
[ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
update-binfmts --enable qemu-aarch64 2>/dev/null || true
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || { echo "error: binfmt for aarch64 is not registered" >&2; exit 1; }

mkdir -p "$OUT"
UPSTREAM=$(sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n1)
DEB="${RINGBOOK_DEB:-}"
if [ -z "$DEB" ]; then
    scripts/build-deb.sh arm64
    DEB="$OUT/ringbook_${UPSTREAM}-1_arm64.deb"
fi
DEB=$(readlink -f "$DEB")
[ "$(dpkg-deb -f "$DEB" Architecture)" = arm64 ] || { echo "error: $DEB is not an arm64 package" >&2; exit 1; }
NAME="ringbook-$UPSTREAM-rpi-arm64"

work=$(mktemp -d /var/tmp/ringbook-image.XXXXXX)
# RINGBOOK_KEEP_WORK=1 keeps the root filesystem and partition files for a look after a failure.
[ "${RINGBOOK_KEEP_WORK:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
ROOT="$work/rootfs"

PACKAGES=(systemd-sysv udev kmod linux-image-arm64 raspi-firmware initramfs-tools iproute2 ca-certificates
    netbase systemd-timesyncd systemd-resolved dosfstools e2fsprogs fdisk tzdata adduser avahi-daemon
    openssh-server)
t=$(date +%s)
if [ -n "${RINGBOOK_ROOTFS:-}" ]; then
    # For work on the steps below: a root filesystem kept by an earlier RINGBOOK_KEEP_WORK=1 build.
    echo "== copying the root filesystem from $RINGBOOK_ROOTFS"
    cp -a "$RINGBOOK_ROOTFS" "$ROOT"
else
    echo "== mmdebstrap: Debian 12 arm64 minbase with ${PACKAGES[*]}"
    mmdebstrap --mode=root --variant=minbase --architectures=arm64 \
        --include="$(IFS=,; echo "${PACKAGES[*]}")" \
        --essential-hook='chroot "$1" dpkg-divert --quiet --local --rename --add /usr/sbin/update-initramfs' \
        --essential-hook='printf "#!/bin/sh\necho \"update-initramfs: deferred until the image is finished\"\n" >"$1/usr/sbin/update-initramfs"; chmod 755 "$1/usr/sbin/update-initramfs"' \
        --customize-hook="\"$PWD/image/build-image.sh\" --customize \"\$1\" \"$DEB\" \"$INITRAMFS\"" \
        bookworm "$ROOT" \
        "deb $MIRROR bookworm main non-free-firmware" \
        "deb $MIRROR bookworm-updates main non-free-firmware" \
        "deb $SECURITY bookworm-security main non-free-firmware"
fi
echo "== root filesystem in $(($(date +%s) - t)) s"

# --- what every box must get fresh, and what no box may have ----------------------------------------------
echo ringbook >"$ROOT/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tringbook\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$ROOT/etc/hosts"
: >"$ROOT/etc/machine-id"
rm -f "$ROOT/var/lib/dbus/machine-id" "$ROOT"/etc/ssh/ssh_host_*
ln -sf ../run/systemd/resolve/stub-resolv.conf "$ROOT/etc/resolv.conf"
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/tmp/* "$ROOT"/var/tmp/*
# No account may have a password: every second field of /etc/shadow must be locked ('*' or '!...').
if awk -F: '$2 !~ /^(\*|!)/ {print $1; bad=1} END {exit !bad}' "$ROOT/etc/shadow"; then
    echo "error: the accounts above have a password" >&2
    exit 1
fi
# What the Pi's firmware needs to boot the Debian kernel on a Pi 3 (bootcode.bin, start.elf) and a Pi 4
# (start4.elf): the kernel and initrd that config.txt names, and the upstream device trees (config.txt
# says upstream_kernel=1).
kernel=$(sed -n 's/^kernel=//p' "$ROOT/boot/firmware/config.txt")
initrd=$(sed -n 's/^initramfs \([^ ]*\).*/\1/p' "$ROOT/boot/firmware/config.txt")
for f in "${kernel:-kernel=}" "${initrd:-initramfs}" config.txt cmdline.txt bootcode.bin start.elf start4.elf \
    bcm2837-rpi-3-b.dtb bcm2837-rpi-3-b-plus.dtb bcm2711-rpi-4-b.dtb; do
    [ -s "$ROOT/boot/firmware/$f" ] || { echo "error: /boot/firmware/$f is missing" >&2; ls "$ROOT/boot/firmware" >&2; exit 1; }
done
echo "== cmdline.txt: $(cat "$ROOT/boot/firmware/cmdline.txt")"

# --- the partitions as files, then the image ----------------------------------------------------------------
echo "== assembling the image"
t=$(date +%s)
mv "$ROOT/boot/firmware" "$work/firmware"
install -d -m 0755 "$ROOT/boot/firmware"
mkfs.vfat -C -F 32 -n RASPIFIRM "$work/fat.img" $((FAT_MB * 1024)) >/dev/null
mcopy -s -i "$work/fat.img" "$work"/firmware/* ::
used_mb=$(du -sm "$ROOT" | cut -f1)
ROOT_MB=$((used_mb + used_mb / 4 + 256))
mkfs.ext4 -q -L RASPIROOT -d "$ROOT" "$work/root.img" "${ROOT_MB}M" >/dev/null
e2fsck -fn "$work/root.img" >/dev/null 2>&1 || { echo "error: the root filesystem does not check clean" >&2; exit 1; }
IMG="$OUT/$NAME.img"
rm -f "$IMG" "$IMG.xz" "$IMG.xz.sha256"
truncate -s $((4 + FAT_MB + ROOT_MB))M "$IMG"
sfdisk --quiet "$IMG" <<EOF
label: dos
unit: sectors
start=$((4 * 2048)), size=$((FAT_MB * 2048)), type=c, bootable
start=$(((4 + FAT_MB) * 2048)), size=$((ROOT_MB * 2048)), type=83
EOF
dd if="$work/fat.img" of="$IMG" bs=1M seek=4 conv=notrunc,sparse status=none
dd if="$work/root.img" of="$IMG" bs=1M seek=$((4 + FAT_MB)) conv=notrunc,sparse status=none
mdir -i "$IMG@@4M" "::$kernel" >/dev/null
echo "== image assembled in $(($(date +%s) - t)) s: $(sfdisk -d "$IMG" | grep "^$IMG" | tr -s ' ' | paste -sd ';')"

if [ "${RINGBOOK_XZ:-1}" = 0 ]; then
    # For work on the image: skip the compression (minutes); image/test-image.sh takes the .img too.
    echo "== $IMG: $(($(stat -c %s "$IMG") / 1048576)) MiB, not compressed (RINGBOOK_XZ=0)"
    echo "== image built in $(($(date +%s) - started)) s"
    exit 0
fi
t=$(date +%s)
raw_size=$(stat -c %s "$IMG")
xz -T0 -6 "$IMG"
(cd "$OUT" && sha256sum "$NAME.img.xz" >"$NAME.img.xz.sha256")
echo "== compressed in $(($(date +%s) - t)) s"
echo "== $OUT/$NAME.img.xz: $((raw_size / 1048576)) MiB raw, $(($(stat -c %s "$IMG.xz") / 1048576)) MiB as .img.xz"
echo "== $(cat "$OUT/$NAME.img.xz.sha256")"
echo "== image built in $(($(date +%s) - started)) s"
