#!/usr/bin/env bash
# ARM correctness on an x86 box: cross-compiles the AArch64 Q8_0 GEMM kernels,
# the real dispatcher (ops/kernels/dispatch.cc with cpu_features.cc) and
# q8_0_gemm_cross_driver.cc statically with Debian's aarch64-linux-gnu-g++ (flags as the Bazel build on
# ARM: armv8-a baseline, armv8.2-a+dotprod for the dotprod file only,
# armv8.2-a+dotprod+i8mm for the i8mm file only), then
#   1. disassembles the objects: no dotprod/i8mm/bf16 instruction in baseline
#      objects; the dotprod kernel contains SDOT and no i8mm instruction; the
#      i8mm kernel contains SMMLA; each exports nothing but its own entry
#      point (a shared inline copy could be picked by the linker for baseline
#      callers); in the linked binary such instructions occur only in them;
#   2. runs the driver under qemu-aarch64-static per -cpu: every supported
#      kernel bit-identical to the reference, and the dispatcher's pick:
#        cortex-a53, cortex-a72 (Raspberry Pi 3/4; NEON only) -> neon
#        neoverse-n1 (dotprod, no i8mm)                       -> neon_dotprod
#        max (dotprod + i8mm)                                 -> neon_i8mm
#   3. shows the emulated CPU is real: forcing the dotprod kernel dies by
#      SIGILL on cortex-a72, forcing the i8mm kernel dies by SIGILL on
#      neoverse-n1 (which has dotprod), and both complete on max.
# Skips (tests/testing/skip.sh; a failure under CI=true) where the cross
# compiler or qemu is missing (tools/setup.sh installs g++-aarch64-linux-gnu
# and qemu-user-static).
set -euo pipefail
source tests/testing/skip.sh

for tool in aarch64-linux-gnu-g++ aarch64-linux-gnu-objdump aarch64-linux-gnu-nm \
  qemu-aarch64-static; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    skip_test "$tool not found (run tools/setup.sh: it installs g++-aarch64-linux-gnu and qemu-user-static)"
  fi
done
# dispatch.h uses absl::Span (header-only); Debian's abseil headers are
# architecture-independent, so the cross compiler may read them, but not the
# rest of the host's /usr/include.
if [ ! -f /usr/include/absl/types/span.h ]; then
  skip_test "/usr/include/absl not found (install libabsl-dev)"
fi

if [ -n "${TEST_TMPDIR:-}" ]; then
  work="$TEST_TMPDIR/arm"
else  # run by hand from the workspace root
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
fi
rm -rf "$work"
mkdir -p "$work/include"
ln -s /usr/include/absl "$work/include/absl"
ulimit -c 0  # qemu would write a core file for the intended SIGILL

cxx=(aarch64-linux-gnu-g++ -std=c++20 -O2 -Wall -Werror -I. -isystem "$work/include")
baseline=(-march=armv8-a)
fail() {
  echo "FAIL: $*"
  exit 1
}

# name:source:flags (flags as ops/BUILD.bazel and the rules_cc shim give them).
objects=(
  "ref:ops/kernels/q8_0_gemm_ref.cc:${baseline[*]} -ffp-contract=off"
  "quantize:ops/kernels/q8_0_quantize.cc:${baseline[*]}"
  "neon:ops/kernels/q8_0_gemm_neon.cc:${baseline[*]}"
  "neon_dotprod:ops/kernels/q8_0_gemm_neon_dotprod.cc:-march=armv8.2-a+dotprod"
  "neon_i8mm:ops/kernels/q8_0_gemm_neon_i8mm.cc:-march=armv8.2-a+dotprod+i8mm"
  "cpu_features:ops/kernels/cpu_features.cc:${baseline[*]}"
  "dispatch:ops/kernels/dispatch.cc:${baseline[*]}"
  "driver:tests/arm/q8_0_gemm_cross_driver.cc:${baseline[*]}"
)
pids=()
for spec in "${objects[@]}"; do
  IFS=: read -r name src flags <<<"$spec"
  read -ra flagv <<<"$flags"
  "${cxx[@]}" "${flagv[@]}" -c "$src" -o "$work/$name.o" 2>"$work/$name.log" &
  pids+=($!)
done
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then
    cat "$work"/*.log
    fail "compiling ${objects[$i]%%:*}"
  fi
done
bin="$work/q8_0_gemm_cross_driver"
"${cxx[@]}" -static -o "$bin" "$work"/*.o || fail "linking"
echo "built $bin (static aarch64)"

# --- 1. Disassembly ----------------------------------------------------------
# FEAT_DotProd (sdot, udot), FEAT_I8MM (smmla, ummla, usmmla, usdot, sudot),
# FEAT_BF16 (bfdot, bfmmla): none exists on a Cortex-A72; a Neoverse-N1 has
# only the first two.
dotprod='sdot|udot'
i8mm='usdot|sudot|smmla|ummla|usmmla'
extra="$dotprod|$i8mm|bfdot|bfmmla"
count_insns() {  # object, regex of mnemonics
  aarch64-linux-gnu-objdump -d --no-show-raw-insn "$1" |
    grep -cE "^\s+[0-9a-f]+:\s+($2)\s" || true
}
for spec in "${objects[@]}"; do
  name="${spec%%:*}"
  o="$work/$name.o"
  case "$name" in
    neon_dotprod)
      n="$(count_insns "$o" "$dotprod")"
      [ "$n" -gt 0 ] || fail "no dotprod instruction in the dotprod kernel (check the disassembler)"
      m="$(count_insns "$o" "$i8mm|bfdot|bfmmla")"
      [ "$m" -eq 0 ] || fail "neon_dotprod.o contains $m i8mm/bf16 instruction(s) (Neoverse-N1 lacks them)"
      echo "disasm: neon_dotprod.o has $n dotprod and no i8mm/bf16 instruction"
      ;;
    neon_i8mm)
      n="$(count_insns "$o" smmla)"
      [ "$n" -gt 0 ] || fail "no smmla instruction in the i8mm kernel (check the disassembler)"
      m="$(count_insns "$o" "bfdot|bfmmla")"
      [ "$m" -eq 0 ] || fail "neon_i8mm.o contains $m bf16 instruction(s)"
      echo "disasm: neon_i8mm.o has $n smmla, $(count_insns "$o" "$dotprod") dotprod, no bf16 instruction"
      ;;
    *)
      n="$(count_insns "$o" "$extra")"
      [ "$n" -eq 0 ] || fail "$name.o (baseline armv8-a) contains $n dotprod/i8mm instruction(s)"
      echo "disasm: $name.o has no dotprod/i8mm instruction"
      ;;
  esac
done
# Everything the dotprod and i8mm objects export must be their own code.
for spec in neon_dotprod:NeonDotprod neon_i8mm:NeonI8mm; do
  IFS=: read -r name entry <<<"$spec"
  exported="$(aarch64-linux-gnu-nm --defined-only "$work/$name.o" |
    awk '$2 ~ /^[TWVu]$/ {print $3}')"
  for sym in $exported; do
    case "$sym" in
      *"$entry"*) ;;
      *) fail "$name.o exports $sym: a baseline caller could link to this copy" ;;
    esac
  done
done
# In the linked binary (incl. libc), dotprod instructions only in the two
# kernels' functions (the i8mm kernel takes the dotprod loop for a batch of 1;
# its local helpers are named *I8mm*, the shared loop instantiated with
# BlockDotNeonDotprod), i8mm ones only in the i8mm kernel's, bf16 nowhere.
outside="$(aarch64-linux-gnu-objdump -d --no-show-raw-insn "$bin" |
  awk -v dp="^($dotprod)\$" -v mm="^($i8mm)\$" -v bf='^(bfdot|bfmmla)$' '
    /^[0-9a-f]+ <.*>:$/ {fn = $2}
    /^ +[0-9a-f]+:/ && (($2 ~ dp && fn !~ /NeonDotprod|I8mm/) ||
                        ($2 ~ mm && fn !~ /I8mm/) || $2 ~ bf) {print fn, $2}' |
  sort -u)"
[ -z "$outside" ] || fail "dotprod/i8mm instructions outside their kernels: $outside"
echo "disasm: linked binary has dotprod instructions only in the dotprod/i8mm kernels, i8mm ones only in Q8_0GemmNeonI8mm"

# --- 2. Kernels and dispatch per CPU -----------------------------------------
run_cpu() {
  local cpu="$1" expect="$2"
  # Sets the global out for the callers' greps.
  echo "== qemu-aarch64-static -cpu $cpu (dispatch must pick $expect)"
  if ! out="$(qemu-aarch64-static -cpu "$cpu" "$bin" --expect-best="$expect" 2>&1)"; then
    echo "$out"
    fail "-cpu $cpu"
  fi
  echo "$out"
}
run_cpu cortex-a53 neon
run_cpu cortex-a72 neon
grep -q "kernel neon_dotprod: not supported by this CPU, not run" <<<"$out" ||
  fail "neon_dotprod was not reported as skipped on cortex-a72"
grep -q "kernel neon_i8mm: not supported by this CPU, not run" <<<"$out" ||
  fail "neon_i8mm was not reported as skipped on cortex-a72"
run_cpu neoverse-n1 neon_dotprod
grep -q "kernel neon_i8mm: not supported by this CPU, not run" <<<"$out" ||
  fail "neon_i8mm was not reported as skipped on neoverse-n1"
run_cpu max neon_i8mm
for k in neon neon_dotprod neon_i8mm; do
  grep -q "kernel $k: ran" <<<"$out" || fail "$k did not run on max"
done

# --- 3. The -cpu setting is real ---------------------------------------------
force_sigill() {  # cpu kernel
  echo "== forcing $2 on $1 (must die by SIGILL)"
  local status=0
  qemu-aarch64-static -cpu "$1" "$bin" --force="$2" >"$work/force.log" 2>&1 ||
    status=$?
  cat "$work/force.log"
  [ "$status" -eq $((128 + 4)) ] || fail "$2 on $1: expected SIGILL (exit 132), got exit $status"
}
force_ok() {  # cpu kernel
  echo "== forcing $2 on $1 (must complete)"
  qemu-aarch64-static -cpu "$1" "$bin" --force="$2" || fail "$2 kernel on -cpu $1"
}
force_sigill cortex-a72 neon_dotprod
force_ok max neon_dotprod
force_sigill neoverse-n1 neon_i8mm
force_ok max neon_i8mm

echo "PASS: ARM kernels and dispatch (cortex-a53, cortex-a72, neoverse-n1, max)"
