#!/usr/bin/env bash
# Cross-build alprd for Raspberry Pi OS 64-bit (linux/arm64, Debian 12 based).
#
#   bash tools/cross/build.sh OUTDIR
#
# 1. Pure Go (CGO_ENABLED=0): `go build ./...` must compile every package
#    (cgo-only packages such as ocr/tess compile as their !cgo stubs), and every
#    main package under tools/ is written to OUTDIR.
# 2. The daemon ./firmware/cmd/alprd with cgo (ocr/tess -> libtesseract,
#    libleptonica, C++) through Debian's aarch64 cross compiler. The arm64
#    Tesseract/Leptonica .debs are fetched with `apt-get download` and unpacked
#    with `dpkg-deb -x` into a private sysroot, because libleptonica-dev is not
#    Multi-Arch: same and cannot be installed for arm64 beside the amd64 one
#    that native builds need. Their own dependencies (libarchive, libcurl,
#    libpng, ...) are not needed to link: --allow-shlib-undefined.
# 3. Checks that OUTDIR/alprd is an aarch64 ELF needing libtesseract.so.5 and
#    liblept.so.5, and prints a one-line summary.
#
# The .debs and the sysroot are cached in ${XDG_CACHE_HOME:-$HOME/.cache}/alprd-cross
# (override: ALPRD_CROSS_CACHE=DIR); the second run touches neither apt nor
# the network. ALPRD_CROSS_REFRESH=1 fetches the current .debs again.
# As root, missing Debian tools and the arm64 architecture are set up; as
# another user the needed commands are printed and the script exits 1.
# VERSION=... overrides the stamped version (default: git describe, as make build).
set -euo pipefail

log() { printf 'cross: %s\n' "$*" >&2; }
die() { printf 'cross: error: %s\n' "$*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: bash tools/cross/build.sh OUTDIR"
start=$SECONDS

mkdir -p -- "$1"
OUTDIR=$(cd -- "$1" && pwd)
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

command -v go >/dev/null || PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || die "Go is not on PATH"

CACHE=${ALPRD_CROSS_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/alprd-cross}
SYSROOT=$CACHE/sysroot
DEBS_DIR=$CACHE/debs
ARM_LIB=usr/lib/aarch64-linux-gnu
# Debian 12 binary packages: headers + .so symlinks (-dev) and the libraries.
ARM_PKGS=(libtesseract-dev libtesseract5 libleptonica-dev liblept5)
CROSS_CC=aarch64-linux-gnu-gcc
CROSS_CXX=aarch64-linux-gnu-g++
CROSS_READELF=aarch64-linux-gnu-readelf

mkdir -p "$CACHE"
exec 9>"$CACHE/lock"
flock 9 # one build at a time may touch the cache

APTLOG=$CACHE/apt.log
is_root() { [ "$(id -u)" = 0 ]; }
# run_logged CMD...: run quietly; on failure show the output and stop.
run_logged() {
	if ! "$@" >"$APTLOG" 2>&1; then
		cat "$APTLOG" >&2
		die "failed: $*"
	fi
}
apt_updated=0
apt_update() {
	[ "$apt_updated" = 1 ] && return 0
	log "apt-get update"
	run_logged apt-get update -q
	apt_updated=1
}
# has_candidate PKG[:ARCH]: apt knows an installable version.
has_candidate() {
	local c
	c=$(apt-cache policy "$1" 2>/dev/null | awk '$1 == "Candidate:" { print $2 }')
	[ -n "$c" ] && [ "$c" != "(none)" ]
}

# sysroot_ok DIR: headers and linkable .so files, all resolving inside DIR.
sysroot_ok() {
	local d=$1 f real
	for f in usr/include/tesseract/baseapi.h usr/include/leptonica/allheaders.h; do
		[ -f "$d/$f" ] || return 1
	done
	for f in libtesseract.so libtesseract.so.5 libleptonica.so liblept.so liblept.so.5; do
		real=$(readlink -f -- "$d/$ARM_LIB/$f") || return 1
		[ -f "$real" ] && [[ $real == "$d"/* ]] || return 1
	done
}

# --- what is missing: host tools, arm64 .debs -----------------------------------
missing=()
command -v "$CROSS_CC" >/dev/null || missing+=(gcc-aarch64-linux-gnu)
command -v "$CROSS_CXX" >/dev/null || missing+=(g++-aarch64-linux-gnu)
command -v "$CROSS_READELF" >/dev/null || missing+=(binutils-aarch64-linux-gnu)
command -v file >/dev/null || missing+=(file)
command -v dpkg-deb >/dev/null || die "dpkg-deb not found: this script needs a Debian based host"

refresh=${ALPRD_CROSS_REFRESH:-0}
build_sysroot=0
need=()
if [ "$refresh" = 1 ] || [ ! -f "$SYSROOT/.complete" ] || ! sysroot_ok "$SYSROOT"; then
	build_sysroot=1
	[ "$refresh" = 1 ] && rm -rf "$DEBS_DIR"
	mkdir -p "$DEBS_DIR"
	for p in "${ARM_PKGS[@]}"; do
		compgen -G "$DEBS_DIR/${p}_*_arm64.deb" >/dev/null || need+=("$p:arm64")
	done
fi
add_arch=0
if [ ${#need[@]} -gt 0 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
	add_arch=1
fi

if ! is_root && { [ ${#missing[@]} -gt 0 ] || [ "$add_arch" = 1 ]; }; then
	cmds=()
	[ "$add_arch" = 1 ] && cmds+=("sudo dpkg --add-architecture arm64")
	cmds+=("sudo apt-get update")
	[ ${#missing[@]} -gt 0 ] && cmds+=("sudo apt-get install -y --no-install-recommends ${missing[*]}")
	die "not root and the host is not set up; run: $(printf '%s && ' "${cmds[@]}" | sed 's/ && $//')"
fi

# --- set up as root (first run only) ---------------------------------------------
if [ "$add_arch" = 1 ]; then
	# Before any apt-get update, so that one update fetches the arm64 lists too.
	log "dpkg --add-architecture arm64"
	dpkg --add-architecture arm64
	apt_update
fi
if [ ${#missing[@]} -gt 0 ]; then
	for p in "${missing[@]}"; do has_candidate "$p" || apt_update; done
	log "apt-get install ${missing[*]}"
	run_logged env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# --- arm64 sysroot with Tesseract and Leptonica (cached) ----------------------------
if [ "$build_sysroot" = 1 ]; then
	rm -rf "$CACHE"/dl.* "$CACHE"/sysroot.* # left by an interrupted run
	if [ ${#need[@]} -gt 0 ]; then
		for p in "${need[@]}"; do
			has_candidate "$p" && continue
			is_root || die "apt has no candidate for $p; run: sudo apt-get update"
			apt_update
			has_candidate "$p" || die "apt has no candidate for $p (is arm64 served by the configured mirrors?)"
		done
		log "apt-get download ${need[*]}"
		dl=$(mktemp -d "$CACHE/dl.XXXXXX")
		(cd "$dl" && run_logged apt-get download -q "${need[@]}")
		mv -f "$dl"/*.deb "$DEBS_DIR"/
		rmdir "$dl"
	fi
	log "unpacking arm64 sysroot into $SYSROOT"
	tmp=$(mktemp -d "$CACHE/sysroot.XXXXXX")
	for p in "${ARM_PKGS[@]}"; do
		debs=("$DEBS_DIR/${p}"_*_arm64.deb)
		[ ${#debs[@]} -eq 1 ] || die "expected one cached .deb for $p, found: ${debs[*]} (rerun with ALPRD_CROSS_REFRESH=1)"
		dpkg-deb -x "${debs[0]}" "$tmp"
		basename "${debs[0]}" >>"$tmp/.complete"
	done
	sysroot_ok "$tmp" || die "the unpacked sysroot lacks headers or .so links (see $tmp/$ARM_LIB)"
	rm -rf "$SYSROOT"
	mv "$tmp" "$SYSROOT"
fi

# --- 1. pure Go -----------------------------------------------------------------
VERSION=${VERSION:-$(git describe --always --dirty 2>/dev/null || echo dev)}
LDFLAGS="-X alprd/firmware/unit.Version=$VERSION"
export GOOS=linux GOARCH=arm64

log "go build ./... (CGO_ENABLED=0)"
CGO_ENABLED=0 go build -trimpath ./...
# Every main package under tools/ (go list prints nothing for the others).
tool_list=$(CGO_ENABLED=0 go list -f '{{if eq .Name "main"}}{{.ImportPath}}{{end}}' ./tools/...)
tools=()
[ -n "$tool_list" ] && mapfile -t tools <<<"$tool_list"
if [ ${#tools[@]} -gt 0 ]; then
	CGO_ENABLED=0 go build -trimpath -ldflags "$LDFLAGS" -o "$OUTDIR/" "${tools[@]}"
fi

# --- 2. the cgo daemon ------------------------------------------------------------
# CPPFLAGS (not CFLAGS) so that the sysroot's headers come before any include
# path a cgo package adds; CGO_CFLAGS/CGO_CXXFLAGS keep Go's default -O2 -g.
log "go build ./firmware/cmd/alprd (cgo, $CROSS_CXX, sysroot $SYSROOT)"
CGO_ENABLED=1 CC=$CROSS_CC CXX=$CROSS_CXX \
	PKG_CONFIG_PATH='' PKG_CONFIG_LIBDIR="$SYSROOT/$ARM_LIB/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$SYSROOT" \
	CGO_CPPFLAGS="-I$SYSROOT/usr/include" \
	CGO_LDFLAGS="-L$SYSROOT/$ARM_LIB -Wl,-rpath-link,$SYSROOT/$ARM_LIB -Wl,--allow-shlib-undefined" \
	go build -trimpath -ldflags "$LDFLAGS" -o "$OUTDIR/alprd" ./firmware/cmd/alprd

# --- 3. verify --------------------------------------------------------------------
desc=$(file -b "$OUTDIR/alprd")
[[ $desc == *"ELF 64-bit"*"ARM aarch64"* ]] || die "$OUTDIR/alprd is not an arm64 ELF: $desc"
needed=$("$CROSS_READELF" -d "$OUTDIR/alprd" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
needed_list=$(tr '\n' ' ' <<<"$needed")
for lib in libtesseract.so.5 liblept.so.5; do
	grep -qx "$lib" <<<"$needed" || die "$OUTDIR/alprd does not need $lib (NEEDED: ${needed_list% })"
done
for t in "${tools[@]}"; do
	b=$OUTDIR/${t##*/}
	[[ $(file -b "$b") == *"ARM aarch64"* ]] || die "$b is not an arm64 ELF"
done

size=$(du -h "$OUTDIR/alprd" | cut -f1)
# The one line on stdout; progress and errors go to stderr.
printf 'cross: ok in %ss: %s\n' "$((SECONDS - start))" "$OUTDIR/alprd ($size, aarch64, NEEDED ${needed_list% }) + ${#tools[@]} pure-Go tool(s) [${tools[*]##*/}], version $VERSION"
