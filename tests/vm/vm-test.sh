#!/bin/bash
# vm-test.sh WORKDIR TESTDIR [tcg]
# Runs TESTDIR/run.sh as root inside a throw-away VM (Debian 12 kernel 6.1, pure cgroup v2, busybox
# initramfs). TESTDIR is shared read-write over 9p at /mnt in the guest; run.sh's stdout/stderr are
# shown on the console and saved to TESTDIR/output.txt, its exit status to TESTDIR/rc.
# Exit status of this script = run.sh's exit status; 124 = VM timed out; 125 = VM ended without result.
# Env: VM_BINARIES="path ..." extra host binaries (copied with their ldd libraries into the initramfs,
#      same paths); VM_TIMEOUT (s, default 900); VM_MEM (MiB, default 1024); VM_SMP (default 2);
#      VM_MODULES="drivers/block/loop ..." extra kernel modules to load;
#      VM_INIT=systemd: boot Debian 12's systemd (252) as PID 1 instead of the busybox init, with a
#      D-Bus system bus (dbus-daemon), and run run.sh as the service vmtest.service (systemctl and
#      busctl work inside; systemd, dbus-daemon and what they link are unpacked from Debian packages
#      into WORKDIR/sysroot once, nothing is installed here). Same TESTDIR/run.sh, output.txt, rc.
#      VM_SHARES="dir ..." host directories shared read-only over 9p and mounted at the same path in
#      the guest (for trees too big to copy into the initramfs, e.g. /usr/lib/python3.11).
# rsrun's copy differs from the shared ../shared/vm/vm-test.sh by VM_MODULES, VM_INIT, VM_SHARES, and
# LD_LIBRARY_PATH also covering the unpacked /lib/x86_64-linux-gnu, where Debian 12 puts libnl-3, so
# qemu starts on hosts without it.
set -euo pipefail
W=$(realpath -m "${1:?workdir}"); T=$(realpath "${2:?testdir containing run.sh}"); ACC=${3:-tcg}
[ -x "$T/run.sh" ] || { echo "need executable $T/run.sh"; exit 2; }
mkdir -p "$W/debs"; cd "$W"
# --- 1. qemu + kernel, unpacked under $W (nothing installed into the system except busybox-static)
if [ ! -e "$W/.fetched" ]; then
  command -v busybox >/dev/null && busybox --list | grep -qx cpio || apt-get install -y -qq busybox-static
  pkgs=$(apt-get install -s --no-install-recommends qemu-system-x86 | awk '/^Inst/{print $2}')
  kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/{print $2; exit}')
  (cd debs && apt-get download $pkgs $kpkg 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
  for d in debs/*.deb; do case $d in *linux-image*) dpkg -x "$d" kernel;; *) dpkg -x "$d" qemu;; esac; done
  vz=$(ls kernel/boot/vmlinuz-*); off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vz" | head -1 | cut -d: -f1)
  # uncompressed ELF vmlinux boots via PVH: saves the in-guest xz decompression (seconds under TCG)
  tail -c +$((off+1)) "$vz" | xz -dc > kernel/vmlinux 2>/dev/null || true
  head -c4 kernel/vmlinux | grep -q ELF || cp "$vz" kernel/vmlinux
  touch "$W/.fetched"
fi
# --- 1b. VM_INIT=systemd: systemd + dbus-daemon and their libraries, unpacked once into sysroot/
if [ "${VM_INIT:-}" = systemd ] && [ ! -e "$W/.fetched-systemd" ]; then
  rm -rf sdebs sysroot; mkdir -p sdebs sysroot
  (cd sdebs && apt-get download systemd libsystemd-shared dbus-daemon dbus-system-bus-common 2>&1 \
     | grep -v '^W: Download is performed unsandboxed' || true)
  for d in sdebs/*.deb; do dpkg -x "$d" sysroot; done
  rm -rf sysroot/usr/share/doc sysroot/usr/share/man sysroot/usr/share/locale
  # every library an unpacked ELF file needs, from this host (same Debian release)
  find sysroot -type f \( -perm -u+x -o -name '*.so*' \) | while read -r f; do
    head -c4 "$f" | grep -q ELF || continue
    LD_LIBRARY_PATH=$W/sysroot/usr/lib/x86_64-linux-gnu/systemd ldd "$f" 2>/dev/null | grep -o '/[^ ]*' || true
  done | sort -u | while read -r l; do
    case $l in "$W"/*) continue;; esac
    [ -e "sysroot$l" ] || { mkdir -p "sysroot$(dirname "$l")"; cp -L "$l" "sysroot$l"; }
  done
  touch "$W/.fetched-systemd"
fi
KVER=$(ls kernel/lib/modules); KM=kernel/lib/modules/$KVER/kernel
# --- 2. initramfs
R=$W/root; rm -rf "$R"; mkdir -p "$R"/{bin,proc,sys,dev,tmp,run,mnt,newroot,mods}
cp "$(command -v busybox)" "$R/bin/busybox"
for a in $(busybox --list); do [ -e "$R/bin/$a" ] || ln -s busybox "$R/bin/$a"; done
for m in drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_modern_dev \
         drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci fs/netfs/netfs fs/fscache/fscache \
         net/9p/9pnet net/9p/9pnet_virtio fs/9p/9p fs/overlayfs/overlay drivers/net/veth ${VM_MODULES:-}; do
  cp "$KM/$m.ko" "$R/mods/"; echo "$(basename $m).ko" >> "$R/mods/order"; done
for b in ${VM_BINARIES:-}; do
  mkdir -p "$R$(dirname $b)"; cp -L "$b" "$R$b"
  for l in $(ldd "$b" 2>/dev/null | grep -o '/[^ ]*'); do mkdir -p "$R$(dirname $l)"; cp -L "$l" "$R$l"; done
done
# VM_SHARES: one virtfs device per directory (tag roN), mounted by the init at the same path.
SHARE_ARGS=(); n=0
for d in ${VM_SHARES:-}; do
  d=$(realpath "$d"); [ -d "$d" ] || { echo "VM_SHARES: $d is not a directory"; exit 2; }
  SHARE_ARGS+=(-virtfs "local,path=$d,mount_tag=ro$n,security_model=none,readonly=on,id=ro$n")
  echo "ro$n $d" >> "$R/shares"; n=$((n + 1))
done
APPEND="quiet"
if [ "${VM_INIT:-}" = systemd ]; then
  cp -a "$W/sysroot/." "$R/"
  mkdir -p "$R/etc/systemd/system" "$R/var/lib/dbus" "$R/root"
  printf 'root:x:0:0:root:/root:/bin/sh\nmessagebus:x:100:101::/nonexistent:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$R/etc/passwd"
  printf 'root:x:0:\nmessagebus:x:101:\nsystemd-journal:x:102:\nnogroup:x:65534:\n' > "$R/etc/group"
  echo 5f2b6c0e9d1a4b7c8e3f0a1b2c3d4e5f > "$R/etc/machine-id"
  cp /etc/os-release "$R/etc/os-release"; cp /etc/nsswitch.conf "$R/etc/" 2>/dev/null || true
  # Only what the test needs: the bus and the test service (no sysinit.target, gettys, journald).
  cat > "$R/etc/systemd/system/vmtest.target" <<'UNIT'
[Unit]
Description=rsrun VM test
AllowIsolate=yes
Wants=vmtest.service dbus.socket
UNIT
  cat > "$R/etc/systemd/system/dbus.socket" <<'UNIT'
[Unit]
Description=D-Bus System Message Bus Socket
DefaultDependencies=no
[Socket]
ListenStream=/run/dbus/system_bus_socket
UNIT
  cat > "$R/etc/systemd/system/dbus.service" <<'UNIT'
[Unit]
Description=D-Bus System Message Bus
DefaultDependencies=no
Requires=dbus.socket
[Service]
ExecStart=/usr/bin/dbus-daemon --system --address=systemd: --nofork --nopidfile --systemd-activation --syslog-only
UNIT
  cat > "$R/etc/systemd/system/vmtest.service" <<'UNIT'
[Unit]
Description=rsrun VM test script (TESTDIR/run.sh)
DefaultDependencies=no
Requires=dbus.socket
After=dbus.socket
OnFailure=vmtest-fail.service
[Service]
Type=oneshot
ExecStart=/bin/sh /vmtest-run
StandardOutput=tty
StandardError=tty
TTYPath=/dev/console
UNIT
  cat > "$R/etc/systemd/system/vmtest-fail.service" <<'UNIT'
[Unit]
DefaultDependencies=no
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'echo "VMTEST-RESULT rc=125"; printf "\\175" | dd of=/dev/port bs=1 seek=244 count=1'
StandardOutput=tty
TTYPath=/dev/console
UNIT
  cat > "$R/vmtest-run" <<'RUN'
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
echo "VMTEST-START kernel=$(uname -r) init=$(cat /proc/1/comm) controllers=\"$(cat /sys/fs/cgroup/cgroup.controllers)\""
cd /mnt; { sh /mnt/run.sh; echo $? > /tmp/rc; } 2>&1 | tee /mnt/output.txt; rc=$(cat /tmp/rc)
echo $rc > /mnt/rc; cd /; sync
echo "VMTEST-RESULT rc=$rc"
printf "\\$(printf %o $((rc & 127)))" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null  # isa-debug-exit
RUN
  touch "$R/vmtest-systemd"
  APPEND="quiet systemd.unit=vmtest.target systemd.show_status=error"
fi
cat > "$R/init" <<'INIT'
#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
if [ ! -e /.stage2 ]; then   # pivot_root(2) fails on the initramfs: move everything to a tmpfs first
  mount -t tmpfs -o mode=755 tmpfs /newroot
  for d in /*; do case $d in /proc|/sys|/dev|/newroot|/run|/tmp|/mnt) mkdir -p /newroot$d;; *) cp -a $d /newroot/;; esac; done
  touch /newroot/.stage2; exec switch_root /newroot /init
fi
# Read-only trees: cache=loose lets the guest cache them (Python imports stat many small files).
mount_shares() {
  [ -f /shares ] || return 0
  while read -r tag dir; do
    mkdir -p "$dir"
    mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,ro,cache=loose "$tag" "$dir" || echo "VMTEST: share $dir failed"
  done < /shares
}
if [ -e /vmtest-systemd ]; then   # VM_INIT=systemd: modules and the share, then systemd mounts the rest
  mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
  for m in $(cat /mods/order); do insmod /mods/$m || echo "VMTEST: insmod $m failed"; done
  mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 host0 /mnt || echo "VMTEST: no 9p share"
  mount_shares
  exec /lib/systemd/systemd
fi
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /dev/mqueue; mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm; mount -t mqueue mqueue /dev/mqueue; mount -t tmpfs tmpfs /run; mount -t tmpfs tmpfs /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup
echo '+cpu +cpuset +io +memory +pids +hugetlb +rdma +misc' > /sys/fs/cgroup/cgroup.subtree_control
for m in $(cat /mods/order); do insmod /mods/$m || echo "VMTEST: insmod $m failed"; done
ip link set lo up
rc=125
if mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 host0 /mnt; then
  mount_shares
  echo "VMTEST-START kernel=$(uname -r) controllers=\"$(cat /sys/fs/cgroup/cgroup.controllers)\""
  cd /mnt; { sh /mnt/run.sh; echo $? > /tmp/rc; } 2>&1 | tee /mnt/output.txt; rc=$(cat /tmp/rc)
  echo $rc > /mnt/rc; cd /; sync; umount /mnt
fi
echo "VMTEST-RESULT rc=$rc"
printf "\\$(printf %o $((rc & 127)))" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null  # isa-debug-exit
poweroff -f
INIT
chmod +x "$R/init"
(cd "$R" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1 > "$W/initrd.img")
# --- 3. boot
rm -f "$T/rc" "$T/output.txt"
Q=$W/qemu; A="-accel tcg"; [ "$ACC" = kvm ] && A="-accel kvm"
set +e
LD_LIBRARY_PATH=$Q/usr/lib/x86_64-linux-gnu:$Q/lib/x86_64-linux-gnu timeout ${VM_TIMEOUT:-900} \
  $Q/usr/bin/qemu-system-x86_64 -L $Q/usr/share/qemu -L $Q/usr/share/seabios $A \
  -m ${VM_MEM:-1024} -smp ${VM_SMP:-2} -nographic -no-reboot -net none \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
  -virtfs local,path="$T",mount_tag=host0,security_model=passthrough,id=host0 "${SHARE_ARGS[@]}" \
  -kernel kernel/vmlinux -initrd initrd.img \
  -append "console=ttyS0 $APPEND cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1 panic=-1"
q=$?
set -e
case $q in 124) echo "VM timed out"; exit 124;; 0) echo "VM ended without a result"; exit 125;; esac
rc=$((q >> 1)); [ -f "$T/rc" ] && [ "$(cat "$T/rc")" != "$rc" ] && echo "warning: rc file $(cat "$T/rc") != port $rc"
exit $rc
