#!/usr/bin/env bash
# Builds the .deb with tools/package_deb.sh from the already-built edgellm
# (a data dependency: no nested bazel) and checks it the way an installer
# would meet it:
#   1. dpkg-deb --info: name, VERSION, host architecture, library Depends,
#      the conffile, executable maintainer scripts;
#   2. dpkg-deb --contents: exactly the expected files, owners and modes;
#   3. dpkg -x into a scratch folder: the installed `edgellm version` is
#      VERSION, and the installed binary is stripped;
#   4. the manual page renders without groff warnings and has every command
#      of `edgellm --help` and every flag of `edgellm serve --help`;
#   5. systemd-analyze verify on the installed unit (--root at the scratch
#      folder: no running systemd is needed; MANPATH lets it find
#      edgellm(1)), and a broken copy of the unit must fail it;
#      systemd-analyze security --offline scores the hardening;
#   6. the unit, the conffile and `edgellm serve --help` agree, and the
#      unit's ExecStart, expanded from the conffile as systemd would, starts
#      the installed server on a model made here and drains on SIGTERM;
#   7. as root: dpkg --root into a scratch root (maintainer scripts run with
#      DPKG_ROOT): install, reinstall over an edited conffile, run postinst
#      again, remove, purge; the edgellm user is made once and the
#      machine's own account files are untouched.
set -euo pipefail

bin=runtime/cli/edgellm
version="$(tr -d '[:space:]' <VERSION)"
tmp="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill -KILL "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

failures=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; failures=$((failures + 1)); }
check() {  # name expected actual
  if [ "$2" == "$3" ]; then pass "$1"; else
    fail "$1"; echo "  expected: $2"; echo "  actual:   $3"; fi
}
need() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool not found (run tools/setup.sh)"; exit 1; }
  done
}
need dpkg-deb dpkg-shlibdeps systemd-analyze groff /usr/bin/python3

# --- build
export SOURCE_DATE_EPOCH=1700000000
deb="$(tools/package_deb.sh --binary "$bin" --out "$tmp/out" | tail -n 1)"
arch="$(dpkg --print-architecture)"
check "package file name" "$tmp/out/edgellm_${version}_${arch}.deb" "$deb"

# --- 1. control
field() { dpkg-deb --field "$deb" "$1"; }
check "Package" edgellm "$(field Package)"
check "Version = VERSION" "$version" "$(field Version)"
check "Architecture = host" "$arch" "$(field Architecture)"
depends="$(field Depends)"
for want in 'libgrpc++1.51' libprotobuf32 libxnnpack0 libc6 passwd; do
  if grep -q "\(^\|, \)$want\( \|,\|$\)" <<<"$depends"; then pass "Depends has $want"
  else fail "Depends lacks $want: $depends"; fi
done
dpkg-deb --ctrl-tarfile "$deb" | tar -t | sort >"$tmp/control.list"
check "control members" "$(printf './\n./conffiles\n./control\n./md5sums\n./postinst\n./postrm\n./prerm')" \
  "$(cat "$tmp/control.list")"
check "conffiles" /etc/edgellm/edgellm.conf "$(dpkg-deb --info "$deb" conffiles)"
scripts="$(dpkg-deb --ctrl-tarfile "$deb" | tar -tv | awk '$6 ~ /(postinst|prerm|postrm)$/ { print $1 }' | sort -u)"
check "maintainer scripts are rwxr-xr-x" "-rwxr-xr-x" "$scripts"

# --- 2. contents
dpkg-deb --contents "$deb" | awk '{ print $1, $2, $6 }' >"$tmp/contents"
for want in \
  "-rwxr-xr-x root/root ./usr/bin/edgellm" \
  "-rw-r--r-- root/root ./lib/systemd/system/edgellm.service" \
  "-rw-r--r-- root/root ./etc/edgellm/edgellm.conf" \
  "-rw-r--r-- root/root ./usr/share/man/man1/edgellm.1.gz" \
  "-rw-r--r-- root/root ./usr/share/doc/edgellm/copyright" \
  "drwxr-xr-x root/root ./var/lib/edgellm/models/"; do
  if grep -qxF -- "$want" "$tmp/contents"; then pass "contains $want"
  else fail "missing $want"; fi
done
files="$(awk '$1 !~ /^d/ { print $3 }' "$tmp/contents" | sort | tr '\n' ' ')"
check "no other files" "./etc/edgellm/edgellm.conf ./lib/systemd/system/edgellm.service ./usr/bin/edgellm ./usr/share/doc/edgellm/copyright ./usr/share/man/man1/edgellm.1.gz " "$files"
owners="$(awk '{ print $2 }' "$tmp/contents" | sort -u)"
check "every entry is root/root" root/root "$owners"

# --- 3. extract and run
root="$tmp/x"
dpkg -x "$deb" "$root"
installed="$root/usr/bin/edgellm"
check "installed edgellm version" "edgellm $version" "$("$installed" version | head -n 1 | cut -d' ' -f1-2)"
check "installed version output = the built binary's" "$("$bin" version)" "$("$installed" version)"
if LC_ALL=C readelf -S "$installed" | grep -q '\.symtab'; then fail "installed binary is not stripped"
else pass "installed binary is stripped"; fi

# --- 4. manual page
zcat "$root/usr/share/man/man1/edgellm.1.gz" >"$tmp/edgellm.1"
warnings="$(groff -man -Tutf8 -ww -z "$tmp/edgellm.1" 2>&1)"
check "groff -ww: no warnings" "" "$warnings"
commands="$("$bin" --help | sed -n '/^commands:/,/^$/p' | awk 'NF { print $1 }' | grep -v '^commands:')"
[ -n "$commands" ] || fail "no commands in edgellm --help"
missing=""
for c in $commands; do
  grep -qxF ".SS $(sed 's/-/\\-/g' <<<"$c")" "$tmp/edgellm.1" || missing="$missing $c"
done
check "a section per command ($(echo $commands | wc -w))" "" "$missing"
missing=""
for f in $("$bin" serve --help | sed -n 's/^ *\(-., \)\{0,1\}--\([a-z0-9-]*\).*/\2/p'); do
  grep -qF "\\fB\\-\\-$(sed 's/-/\\-/g' <<<"$f")\\fR" "$tmp/edgellm.1" || missing="$missing $f"
done
check "every serve flag documented" "" "$missing"
grep -qF ".TH EDGELLM 1 \"2023-11-14\" \"edgellm $version\"" "$tmp/edgellm.1" &&
  pass "page header: SOURCE_DATE_EPOCH date and VERSION" || fail "page header: $(head -n 1 "$tmp/edgellm.1")"

# --- 5. systemd-analyze
unit="$root/lib/systemd/system/edgellm.service"
# The unit's default dependencies (sysinit.target, ...) from the machine.
cp -n /lib/systemd/system/*.target "$root/lib/systemd/system/"
verify() {  # unit name; prints verify's complaints
  MANPATH="$root/usr/share/man" SYSTEMD_LOG_LEVEL=notice \
    systemd-analyze verify --root="$root" "$1" 2>&1 && return 0
  echo "(exit $?)"
}
check "systemd-analyze verify (unit, ExecStart binary, man:edgellm(1))" "" "$(verify edgellm.service)"
sed 's/^ProtectSystem=strict$/ProtectSystem=strictly/; s|^ExecStart=/usr/bin/edgellm|ExecStart=/usr/bin/edgellm-missing|' \
  "$unit" >"$root/lib/systemd/system/edgellm-broken.service"
broken="$(verify edgellm-broken.service)"
if grep -q "protect system value.*strictly" <<<"$broken" && grep -q "edgellm-missing is not executable" <<<"$broken"; then
  pass "verify rejects a bad value and a missing program"
else fail "verify did not reject the broken unit: $broken"; fi
rm "$root/lib/systemd/system/edgellm-broken.service"
security="$(systemd-analyze security --offline=true --root="$root" --threshold=20 edgellm.service 2>&1)" &&
  pass "systemd-analyze security: $(grep -o 'exposure level.*' <<<"$security")" ||
  fail "exposure above 2.0: $security"
for directive in User=edgellm ProtectSystem=strict ProtectHome=yes NoNewPrivileges=yes \
    PrivateTmp=yes CapabilityBoundingSet= MemoryMax= Restart=on-failure \
    EnvironmentFile=/etc/edgellm/edgellm.conf; do
  grep -q "^$directive" "$unit" && pass "unit sets $directive" || fail "unit lacks $directive"
done
check "postinst creates the unit's user" 1 "$(grep -c '^name=edgellm$' deploy/debian/postinst)"

# --- 6. the unit's command line
conf="$root/etc/edgellm/edgellm.conf"
"$bin" serve --help >"$tmp/serve.help"
if out="$(/usr/bin/python3 deploy/debian/unit_command.py check "$unit" "$conf" "$tmp/serve.help")"; then
  pass "$out"
else fail "unit, conffile and serve --help disagree: $out"; fi
"$bin" make-model --shape tiny --output "$tmp/tiny.gguf" >/dev/null 2>&1
mapfile -t argv < <(/usr/bin/python3 deploy/debian/unit_command.py argv "$unit" "$conf" \
  EDGELLM_MODEL="$tmp/tiny.gguf" EDGELLM_LISTEN=127.0.0.1:0 EDGELLM_HTTP_LISTEN=127.0.0.1:0 \
  EDGELLM_THREADS=1 EDGELLM_CONTEXT=256)
check "ExecStart runs /usr/bin/edgellm serve" "/usr/bin/edgellm serve" "${argv[0]} ${argv[1]}"
"$root${argv[0]}" "${argv[@]:1}" 2>"$tmp/server.log" &
server_pid=$!
for _ in $(seq 1 300); do
  grep -q "edgellm serve: serving " "$tmp/server.log" && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if grep -q "edgellm serve: serving " "$tmp/server.log"; then pass "the unit's command line serves"
else fail "the unit's command line did not serve: $(cat "$tmp/server.log")"; fi
grep -q "edgellm serve: http listening on 127.0.0.1:" "$tmp/server.log" &&
  pass "the unit's command line serves HTTP" || fail "no HTTP listener: $(cat "$tmp/server.log")"
kill -TERM "$server_pid" 2>/dev/null || true
wait "$server_pid" && code=0 || code=$?
server_pid=""
check "it drains and exits 0 on SIGTERM" 0 "$code"

# --- 7. dpkg --root with the maintainer scripts
if [ "$(id -u)" -ne 0 ]; then
  echo "NOTE: not root, so the dpkg --root install (maintainer scripts) was not run"
else
  r="$tmp/root"
  mkdir -p "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/updates" "$r/var/lib/dpkg/triggers" "$r/etc"
  : >"$r/var/lib/dpkg/status"
  echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
  echo 'root:x:0:' >"$r/etc/group"
  echo 'root:*:19000:0:99999:7:::' >"$r/etc/shadow"
  echo 'root:*::' >"$r/etc/gshadow"
  host_accounts="$(md5sum /etc/passwd /etc/group /etc/shadow /etc/gshadow 2>/dev/null)"
  dpkg_root() {
    dpkg --root="$r" --log="$r/dpkg.log" --force-script-chrootless --force-depends "$@" \
      >"$tmp/dpkg.out" 2>&1 || { echo "dpkg $*:"; cat "$tmp/dpkg.out"; return 1; }
  }
  status() { dpkg-query --admindir="$r/var/lib/dpkg" -W -f='${Status}' edgellm 2>/dev/null || true; }
  dpkg_root -i "$deb" && pass "dpkg --root -i" || fail "dpkg --root -i"
  check "installed" "install ok installed" "$(status)"
  user="$(grep '^edgellm:' "$r/etc/passwd" || true)"
  uid="$(cut -d: -f3 <<<"$user")"
  if [ -n "$uid" ] && [ "$uid" -lt 1000 ] && [[ "$user" == *:/var/lib/edgellm:/usr/sbin/nologin ]]; then
    pass "system user: $user"
  else fail "no edgellm system user: '$user'"; fi
  check "group edgellm" 1 "$(grep -c '^edgellm:' "$r/etc/group")"
  check "installed version (dpkg --root)" "edgellm $version" "$("$r/usr/bin/edgellm" version | head -n 1 | cut -d' ' -f1-2)"
  sed -i 's/^EDGELLM_THREADS=.*/EDGELLM_THREADS=3/' "$r/etc/edgellm/edgellm.conf"
  dpkg_root -i "$deb" && pass "reinstall (upgrade path: prerm upgrade, postinst configure VERSION)" || fail "reinstall"
  check "edited conffile kept" EDGELLM_THREADS=3 "$(grep '^EDGELLM_THREADS=' "$r/etc/edgellm/edgellm.conf")"
  DPKG_ROOT="$r" sh deploy/debian/postinst configure "$version" && pass "postinst configure again" || fail "postinst configure again"
  check "still one edgellm user" 1 "$(grep -c '^edgellm:' "$r/etc/passwd")"
  mkdir -p "$r/var/lib/edgellm/models" && echo model >"$r/var/lib/edgellm/models/mine.gguf"
  dpkg_root -r edgellm && pass "dpkg --root -r" || fail "dpkg --root -r"
  check "removed: config kept" "deinstall ok config-files" "$(status)"
  [ ! -e "$r/usr/bin/edgellm" ] && [ -f "$r/etc/edgellm/edgellm.conf" ] &&
    pass "removed: program gone, conffile kept" || fail "remove left the wrong files"
  dpkg_root --purge edgellm && pass "dpkg --root --purge" || fail "dpkg --root --purge"
  check "purged" "" "$(status)"
  [ ! -e "$r/etc/edgellm" ] && pass "purge removed /etc/edgellm" || fail "/etc/edgellm left after purge"
  [ -f "$r/var/lib/edgellm/models/mine.gguf" ] && pass "purge kept the administrator's model" ||
    fail "purge deleted a model"
  DPKG_ROOT="$r" sh deploy/debian/postrm purge && pass "postrm purge again" || fail "postrm purge again"
  check "the machine's account files are untouched" "$host_accounts" \
    "$(md5sum /etc/passwd /etc/group /etc/shadow /etc/gshadow 2>/dev/null)"
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all package checks passed"
echo "--- dpkg-deb --contents $(basename "$deb")"
dpkg-deb --contents "$deb"
