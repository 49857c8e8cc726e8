#!/usr/bin/env bash
# ARM correctness on an x86 box for the Q4_0, Q5_0, Q4_K, Q5_K and Q6_K GEMM
# kernels, as q8_0_gemm_cross_test.sh does for Q8_0 (the shared steps are in
# cross_common.sh): cross-compiles the AArch64 kernels, the reference, the
# real dispatcher (ops/kernels/quant_dispatch.cc with cpu_features.cc) and
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
# Skips (tests/testing/skip.sh; a failure under CI=true) where the cross
# compiler or qemu is missing (tools/setup.sh installs g++-aarch64-linux-gnu
# and qemu-user-static).
#
# By hand, from the workspace root, it also counts the guest instructions of
# single kernel calls (qemu has no timing; docs/arm.md):
#   tests/arm/quant_gemm_cross_test.sh --count CPU KERNEL:TYPE:IN:OUT:BATCH...
set -euo pipefail
source tests/arm/cross_common.sh

arm_cross_setup
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
  "pack16:ops/kernels/quant_pack16.cc:${baseline[*]}"
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
bin="$work/quant_gemm_cross_driver"
arm_cross_build "$bin" "${objects[@]}"

if [ "${1:-}" = --count ]; then
  cpu="$2"
  shift 2
  arm_count_insns "$cpu" "$@"
  exit 0
fi

# --- 1. Disassembly ----------------------------------------------------------
arm_check_objects "${objects[@]}"
arm_check_exports neon_dotprod NeonDotprod
arm_check_exports neon_i8mm NeonI8mm
arm_check_linked "$bin"

# --- 2. Kernels and dispatch per CPU -----------------------------------------
types=(q4_0 q5_0 q4_k q5_k q6_k)
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
  grep -q "kernel $t neon_dotprod: ran" <<<"$out" || fail "$t neon_dotprod did not run on cortex-a76"
  grep -q "kernel $t neon_i8mm: not supported by this CPU, not run" <<<"$out" ||
    fail "$t neon_i8mm was not reported as skipped on cortex-a76"
done
# The dotprod kernels that repack at load ran on packed weights too.
for t in q4_0 q4_k; do
  grep -qE "kernel $t neon_dotprod: packed layout; [1-9][0-9]* of them packed" <<<"$out" ||
    fail "$t neon_dotprod was not run on packed weights"
done
run_cpu max neon_i8mm
for t in "${types[@]}"; do
  for k in neon neon_dotprod neon_i8mm; do
    grep -q "kernel $t $k: ran" <<<"$out" || fail "$t $k did not run on max"
  done
done
for t in q4_0 q4_k; do
  for k in neon_dotprod neon_i8mm; do
    grep -qE "kernel $t $k: packed layout; [1-9][0-9]* of them packed" <<<"$out" ||
      fail "$t $k was not run on packed weights on max"
  done
done

# --- 3. The -cpu setting is real ---------------------------------------------
force_sigill cortex-a72 neon_dotprod
force_ok cortex-a76 neon_dotprod
force_sigill cortex-a76 neon_i8mm
force_ok max neon_i8mm

echo "PASS: ARM quant kernels and dispatch (cortex-a72, cortex-a76, max)"
