#!/usr/bin/env bash
# ARM correctness on an x86 box for the Q4_0, Q4_K, Q5_K and Q6_K GEMM
# kernels, as q8_0_gemm_cross_test.sh does for Q8_0: cross-compiles the
# AArch64 kernels, the reference, the real dispatcher
# (ops/kernels/quant_dispatch.cc with cpu_features.cc) and
# quant_gemm_cross_driver.cc statically with Debian's aarch64-linux-gnu-g++
# (flags as the Bazel build on ARM: armv8-a baseline, armv8.2-a+dotprod for
# the dotprod file only, armv8.2-a+dotprod+i8mm for the i8mm file only), then
#   1. disassembles the objects: no dotprod/i8mm/bf16 instruction in baseline
#      objects; the dotprod kernel contains SDOT and no i8mm instruction; the
#      i8mm kernel contains SMMLA; each exports nothing but its own entry
#      points; in the linked binary such instructions occur only in them;
#   2. runs the driver under qemu-aarch64-static per -cpu: every supported
#      kernel of every type bit-identical to the reference, and the
#      dispatcher's pick:
#        cortex-a72 (Raspberry Pi 4; NEON only)        -> neon
#        cortex-a76 (Raspberry Pi 5; dotprod, no i8mm) -> neon_dotprod
#        max (dotprod + i8mm)                          -> neon_i8mm
#   3. shows the emulated CPU is real: forcing the dotprod kernels dies by
#      SIGILL on cortex-a72 and completes on cortex-a76; forcing the i8mm
#      kernels (batch 3, so SMMLA runs) dies on cortex-a76 and completes on
#      max.
# Without the cross compiler or qemu it skips (exit 0, "SKIP: ..."), except
# under CI=true, where that is a failure (tools/setup.sh installs
# g++-aarch64-linux-gnu and qemu-user-static).
set -euo pipefail

fail() {
  echo "FAIL: $*"
  exit 1
}
skip() {
  if [ "${CI:-}" = true ]; then
    fail "$* (CI=true: the ARM kernels must be tested)"
  fi
  echo "SKIP: $*"
  exit 0
}

for tool in aarch64-linux-gnu-g++ aarch64-linux-gnu-objdump aarch64-linux-gnu-nm \
  qemu-aarch64-static; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    skip "$tool not found (run tools/setup.sh: it installs g++-aarch64-linux-gnu and qemu-user-static)"
  fi
done
# quant_dispatch.h and runtime/gguf/types.h include abseil headers
# (header-only parts); Debian's are architecture-independent, so the cross
# compiler may read them, but not the rest of the host's /usr/include.
if [ ! -f /usr/include/absl/types/span.h ]; then
  skip "/usr/include/absl not found (install libabsl-dev)"
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
quant="${baseline[*]} -ffp-contract=off"  # quant/BUILD.bazel's QUANT_COPTS

# name:source:flags (flags as ops/BUILD.bazel, quant/BUILD.bazel and the
# rules_cc shim give them).
objects=(
  "ref:ops/kernels/quant_gemm_ref.cc:$quant"
  "q8_0_quantize:ops/kernels/q8_0_quantize.cc:${baseline[*]}"
  "neon:ops/kernels/quant_gemm_neon.cc:${baseline[*]}"
  "neon_dotprod:ops/kernels/quant_gemm_neon_dotprod.cc:-march=armv8.2-a+dotprod"
  "neon_i8mm:ops/kernels/quant_gemm_neon_i8mm.cc:-march=armv8.2-a+dotprod+i8mm"
  "cpu_features:ops/kernels/cpu_features.cc:${baseline[*]}"
  "dispatch:ops/kernels/quant_dispatch.cc:${baseline[*]}"
  "q4_q5:quant/q4_q5.cc:$quant"
  "q8_1:quant/q8_1.cc:$quant"
  "q8_k:quant/q8_k.cc:$quant"
  "iq4:quant/iq4.cc:$quant"
  "k_quant_search:quant/k_quant_search.cc:$quant"
  "q2_k:quant/q2_k.cc:$quant"
  "q3_k:quant/q3_k.cc:$quant"
  "q4_k_q5_k:quant/q4_k_q5_k.cc:$quant"
  "q6_k:quant/q6_k.cc:$quant"
  "driver:tests/arm/quant_gemm_cross_driver.cc:${baseline[*]}"
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
bin="$work/quant_gemm_cross_driver"
"${cxx[@]}" -static -o "$bin" "$work"/*.o || fail "linking"
echo "built $bin (static aarch64)"

# --- 1. Disassembly ----------------------------------------------------------
# FEAT_DotProd (sdot, udot), FEAT_I8MM (smmla, ummla, usmmla, usdot, sudot),
# FEAT_BF16 (bfdot, bfmmla): none exists on a Cortex-A72; a Cortex-A76 has
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
      [ "$m" -eq 0 ] || fail "neon_dotprod.o contains $m i8mm/bf16 instruction(s) (Cortex-A76 lacks them)"
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
# Everything the dotprod and i8mm objects export must be their own entry
# points.
for spec in neon_dotprod:NeonDotprod neon_i8mm:NeonI8mm; do
  IFS=: read -r name entry <<<"$spec"
  exported="$(aarch64-linux-gnu-nm --defined-only "$work/$name.o" |
    awk '$2 ~ /^[TWVu]$/ {print $3}')"
  [ -n "$exported" ] || fail "$name.o exports nothing (check nm)"
  for sym in $exported; do
    case "$sym" in
      *"$entry"*) ;;
      *) fail "$name.o exports $sym: a baseline caller could link to this copy" ;;
    esac
  done
done
# In the linked binary (incl. libc), dotprod instructions only in the
# dotprod and i8mm kernels' functions (entry points QuantGemm*NeonDotprod and
# QuantGemm*NeonI8mm; their local loops are instantiated with
# QuantDotNeonDotprod, or named *I8mm*: the i8mm kernel takes the dotprod loop
# for a batch of 1), i8mm ones only in the i8mm kernel's, bf16 nowhere.
outside="$(aarch64-linux-gnu-objdump -d --no-show-raw-insn "$bin" |
  awk -v dp="^($dotprod)\$" -v mm="^($i8mm)\$" -v bf='^(bfdot|bfmmla)$' '
    /^[0-9a-f]+ <.*>:$/ {fn = $2}
    /^ +[0-9a-f]+:/ && (($2 ~ dp && fn !~ /NeonDotprod|I8mm/) ||
                        ($2 ~ mm && fn !~ /I8mm/) || $2 ~ bf) {print fn, $2}' |
  sort -u)"
[ -z "$outside" ] || fail "dotprod/i8mm instructions outside their kernels: $outside"
echo "disasm: linked binary has dotprod instructions only in the dotprod/i8mm kernels, i8mm ones only in the i8mm kernels"

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
types=(q4_0 q4_k q5_k q6_k)
run_cpu cortex-a72 neon
for t in "${types[@]}"; do
  grep -q "kernel $t neon: ran" <<<"$out" || fail "$t neon did not run on cortex-a72"
  for k in neon_dotprod neon_i8mm; do
    grep -q "kernel $t $k: not supported by this CPU, not run" <<<"$out" ||
      fail "$t $k was not reported as skipped on cortex-a72"
  done
done
run_cpu cortex-a76 neon_dotprod
for t in "${types[@]}"; do
  grep -q "kernel $t neon_i8mm: not supported by this CPU, not run" <<<"$out" ||
    fail "$t neon_i8mm was not reported as skipped on cortex-a76"
done
run_cpu max neon_i8mm
for t in "${types[@]}"; do
  for k in neon neon_dotprod neon_i8mm; do
    grep -q "kernel $t $k: ran" <<<"$out" || fail "$t $k did not run on max"
  done
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
force_ok cortex-a76 neon_dotprod
force_sigill cortex-a76 neon_i8mm
force_ok max neon_i8mm

echo "PASS: ARM quant kernels and dispatch (cortex-a72, cortex-a76, max)"
