#!/usr/bin/env bash
# Builds the Debian package edgellm_<version>_<arch>.deb: the edgellm
# program, the hardened systemd unit, /etc/edgellm/edgellm.conf (a
# conffile), the edgellm(1) manual page made from the program's --help, the
# copyright file and the maintainer scripts (all from deploy/debian/).
#
#   tools/package_deb.sh                    bazel build //:edgellm, package it
#   tools/package_deb.sh --binary PATH      package an edgellm already built
#       [--help-binary PATH]  a program of the same sources that runs here,
#                             for the manual page (a cross-built --binary)
#       [--depends LIST]      Depends for a binary dpkg-shlibdeps cannot
#                             resolve here (cross builds)
#       [--out DIR]           where the .deb goes (default: out/)
#
# The version is the repository's VERSION file, which the binary compiles in
# (//util:version_h); a binary that says otherwise is refused. The
# architecture is read from the binary's ELF header (x86-64 = amd64,
# AArch64 = arm64), so the same script packages on a Raspberry Pi. Depends
# comes from dpkg-shlibdeps (dpkg-dev): the Debian packages of the shared
# libraries the binary links. Needs dpkg-deb, dpkg-shlibdeps, /usr/bin/python3,
# gzip, strip (tools/setup.sh installs them). Prints the .deb's path last.
set -euo pipefail
umask 022

repo="$(cd "$(dirname "$0")/.." && pwd)"
src="$repo/deploy/debian"
binary=""
help_binary=""
depends=""
out="$repo/out"

usage() { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary="$2"; shift 2 ;;
    --help-binary) help_binary="$2"; shift 2 ;;
    --depends) depends="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h | --help) usage ;;
    *) echo "package_deb: unknown argument '$1'" >&2; usage ;;
  esac
done

die() { echo "package_deb: $*" >&2; exit 1; }

version="$(tr -d '[:space:]' <"$repo/VERSION")"
# Debian policy 5.6.12: an upstream version starts with a digit and holds
# alphanumerics and . + ~ (no hyphen: there is no Debian revision here).
[[ "$version" =~ ^[0-9][A-Za-z0-9.+~]*$ ]] ||
  die "VERSION '$version' is not a Debian upstream version"

if [ -z "$binary" ]; then
  (cd "$repo" && bazel build //:edgellm)
  binary="$repo/bazel-bin/runtime/cli/edgellm"
fi
[ -f "$binary" ] || die "no binary at $binary"
help_binary="${help_binary:-$binary}"

# e_machine, bytes 18-19 of the ELF header (little-endian on both targets).
[ "$(head -c 4 "$binary" | od -An -c | tr -d ' ')" = '177ELF' ] ||
  die "$binary is not an ELF program"
machine="$(od -An -tu2 -j18 -N2 "$binary" | tr -d ' ')"
case "$machine" in
  62) arch=amd64; strip_tool=strip ;;
  183) arch=arm64; strip_tool=aarch64-linux-gnu-strip ;;
  *) die "$binary: ELF machine $machine is neither x86-64 nor AArch64" ;;
esac
if [ "$(dpkg --print-architecture)" = "$arch" ]; then strip_tool=strip; fi

# The binary must carry this version: the literal `edgellm version` prints.
grep -aq "edgellm $version (C++" "$binary" ||
  die "$binary is not version $version (rebuild it after changing VERSION)"
help_version="$("$help_binary" version | head -n 1 | cut -d' ' -f2)" ||
  die "cannot run $help_binary (for a cross-built --binary pass --help-binary)"
[ "$help_version" = "$version" ] ||
  die "$help_binary says version $help_version, VERSION says $version"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
stage="$work/edgellm"
mkdir -p "$stage/DEBIAN"

install -D -m 0755 "$binary" "$stage/usr/bin/edgellm"
if command -v "$strip_tool" >/dev/null; then
  "$strip_tool" --strip-unneeded --remove-section=.comment "$stage/usr/bin/edgellm"
else
  echo "package_deb: $strip_tool not found: the binary keeps its symbols" >&2
fi
install -D -m 0644 "$src/edgellm.service" "$stage/lib/systemd/system/edgellm.service"
install -D -m 0644 "$src/edgellm.conf" "$stage/etc/edgellm/edgellm.conf"
install -d -m 0755 "$stage/var/lib/edgellm/models"
install -D -m 0644 "$src/copyright" "$stage/usr/share/doc/edgellm/copyright"

# Reproducible: file times and the page's date come from SOURCE_DATE_EPOCH
# (the last commit when building from git), which dpkg-deb also honours.
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH="$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)"
fi
export SOURCE_DATE_EPOCH
date="$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)"
install -d "$stage/usr/share/man/man1"
/usr/bin/python3 "$src/make_manpage.py" --binary "$help_binary" --date "$date" |
  gzip -9n >"$stage/usr/share/man/man1/edgellm.1.gz"

for script in postinst prerm postrm; do
  install -m 0755 "$src/$script" "$stage/DEBIAN/$script"
done
echo /etc/edgellm/edgellm.conf >"$stage/DEBIAN/conffiles"

if [ -z "$depends" ]; then
  # dpkg-shlibdeps reads debian/control from the current folder.
  mkdir -p "$work/src/debian"
  printf 'Source: edgellm\n\nPackage: edgellm\nArchitecture: any\n' \
    >"$work/src/debian/control"
  shlibs="$(cd "$work/src" && dpkg-shlibdeps -O -e"$stage/usr/bin/edgellm" 2>"$work/shlibdeps.err")" || {
    cat "$work/shlibdeps.err" >&2
    die "dpkg-shlibdeps failed (install dpkg-dev; for a cross build pass --depends)"
  }
  depends="${shlibs#shlibs:Depends=}"
fi
# useradd/groupadd (postinst) and deb-systemd-helper/-invoke.
depends="$depends, passwd, init-system-helpers"

installed_size="$(du -sk --exclude=DEBIAN "$stage" | cut -f1)"
cat >"$stage/DEBIAN/control" <<EOF
Package: edgellm
Version: $version
Architecture: $arch
Maintainer: ${EDGELLM_MAINTAINER:-edgellm maintainers <maintainers@edgellm.invalid>}
Installed-Size: $installed_size
Depends: $depends
Section: net
Priority: optional
Description: on-device LLM inference server (gRPC and OpenAI-compatible HTTP)
 edgellm loads GGUF models as the model hubs publish them (Llama, Qwen,
 Gemma 3, Phi, SmolLM decoders; BERT and nomic-bert embedding and rerank
 encoders; F32/F16/BF16, Q8_0, Q4_0..Q6_K and IQ4 weights), runs them on ARM
 and x86 CPUs, and streams generated text over gRPC (edgellm.v1.EdgeLlm,
 grpc.health.v1, reflection) and an OpenAI-compatible HTTP API, with
 Prometheus metrics.
 .
 This package installs the edgellm program, the edgellm.service systemd
 unit (hardened, as the edgellm user) configured in
 /etc/edgellm/edgellm.conf, and the edgellm(1) manual page. The service
 starts once a model is at the configured path (by default
 /var/lib/edgellm/models/model.gguf).
EOF
(cd "$stage" && find usr lib -type f -print0 | sort -z |
  xargs -0 md5sum) >"$stage/DEBIAN/md5sums"

mkdir -p "$out"
deb="$out/edgellm_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
