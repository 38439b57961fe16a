#!/bin/sh
# Make an OCI bundle for tests and benchmarks: DIR/rootfs (busybox-static with applet symlinks, a small
# /etc/passwd and /etc/group) and DIR/config.json.
#
#   tools/mkbundle.sh [--spec] DIR
#
# config.json is tools/config-default.json (the verbatim output of `crun spec`, checked in so this works
# without crun) with two edits, because tests and benches have no terminal:
#   .process.terminal = false, .process.args = ["/bin/true"]
# --spec writes config-default.json unchanged (terminal true, args ["sh"]).
#
# Speed: the rootfs is built once into a cache (RSRUN_BUNDLE_CACHE, default /tmp/rsrun-tests/.cache)
# and copied with `cp -a` (about 2 MB, a few ms). The copy is private to the bundle: a test that writes
# into its rootfs cannot change the cache or another bundle. The cache key covers the busybox binary and
# ROOTFS_VERSION; bump ROOTFS_VERSION when the layout below changes.
#
# Users: root 0, daemon 1, bin 2, user 1000, user2 1001, nobody 65534.
# Groups: root 0, daemon 1, bin 2, tty 5, wheel 10 (root,user), users 100 (user,user2), user 1000,
#         user2 1001, extra 2000 (user), nogroup 65534.
set -eu

ROOTFS_VERSION=1
BUSYBOX=${BUSYBOX:-/bin/busybox}
CACHE=${RSRUN_BUNDLE_CACHE:-/tmp/rsrun-tests/.cache}
HERE=$(cd "$(dirname "$0")" && pwd)

usage() { echo "usage: $0 [--spec] DIR" >&2; exit 2; }
spec=0
case "${1:-}" in
  --spec) spec=1; shift ;;
  -h|--help|'') usage ;;
esac
[ $# -eq 1 ] || usage
dir=$1

[ -x "$BUSYBOX" ] || { echo "mkbundle: $BUSYBOX not found (apt-get install busybox-static)" >&2; exit 1; }
if [ -e "$dir/rootfs" ] || [ -e "$dir/config.json" ]; then
  echo "mkbundle: $dir already holds a bundle" >&2; exit 1
fi

# Fill directory $1 with the master rootfs.
build_rootfs() {
  r=$1
  mkdir -p "$r/bin" "$r/sbin" "$r/usr/bin" "$r/usr/sbin" "$r/etc" "$r/proc" "$r/sys" "$r/dev" \
    "$r/tmp" "$r/root" "$r/home/user" "$r/home/user2" "$r/run" "$r/var" "$r/mnt"
  chmod 0755 "$r"
  chmod 1777 "$r/tmp"
  chmod 0700 "$r/root"
  cp "$BUSYBOX" "$r/bin/busybox"
  chmod 0755 "$r/bin/busybox"
  # `busybox --install` needs /proc/self/exe inside the root; listing the applets needs nothing.
  "$BUSYBOX" --list-full | while read -r applet; do
    [ "$applet" = bin/busybox ] && continue
    [ -e "$r/$applet" ] || ln -s /bin/busybox "$r/$applet"
  done
  cat > "$r/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
user:x:1000:1000:user:/home/user:/bin/sh
user2:x:1001:1001:user2:/home/user2:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat > "$r/etc/group" <<'EOF'
root:x:0:
daemon:x:1:
bin:x:2:
tty:x:5:
wheel:x:10:root,user
users:x:100:user,user2
user:x:1000:
user2:x:1001:
extra:x:2000:user
nogroup:x:65534:
EOF
  # Empty bind-mount targets that engines commonly use.
  : > "$r/etc/hosts"
  : > "$r/etc/hostname"
  : > "$r/etc/resolv.conf"
  chmod 0644 "$r/etc/passwd" "$r/etc/group" "$r/etc/hosts" "$r/etc/hostname" "$r/etc/resolv.conf"
  chown 1000:1000 "$r/home/user"
  chown 1001:1001 "$r/home/user2"
}

key=v$ROOTFS_VERSION-$(stat -L -c %s-%Y "$BUSYBOX")
master=$CACHE/rootfs-$key
if [ ! -d "$master" ]; then
  mkdir -p "$CACHE"
  chmod 0755 "$CACHE" "$(dirname "$CACHE")" 2>/dev/null || true
  tmp=$(mktemp -d "$CACHE/.build.XXXXXX")
  build_rootfs "$tmp"
  # Parallel callers may race here: rename is atomic and fails if another one won; then use theirs.
  mv -T "$tmp" "$master" 2>/dev/null || rm -rf "$tmp"
fi

mkdir -p "$dir"
chmod 0755 "$dir"
cp -a "$master" "$dir/rootfs"
if [ $spec = 1 ]; then
  cp "$HERE/config-default.json" "$dir/config.json"
else
  # The two lines are fixed in the checked-in file; tests/harness_selftest.rs checks the result with jq.
  sed -e 's/^\(\t*"terminal": \)true,$/\1false,/' -e 's|^\(\t*\)"sh"$|\1"/bin/true"|' \
    "$HERE/config-default.json" > "$dir/config.json"
fi
