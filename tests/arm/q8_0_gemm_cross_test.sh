#!/usr/bin/env bash
# ARM correctness on an x86 box (the steps shared with
# quant_gemm_cross_test.sh are in cross_common.sh): cross-compiles the
# AArch64 Q8_0 GEMM kernels, the real dispatcher (ops/kernels/dispatch.cc
# with cpu_features.cc) and q8_0_gemm_cross_driver.cc statically with
# Debian's aarch64-linux-gnu-g++ (flags as the Bazel build on ARM: armv8-a
# baseline, armv8.2-a+dotprod for the dotprod file only,
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
source tests/arm/cross_common.sh

arm_cross_setup
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
bin="$work/q8_0_gemm_cross_driver"
arm_cross_build "$bin" "${objects[@]}"

# --- 1. Disassembly ----------------------------------------------------------
arm_check_objects "${objects[@]}"
arm_check_exports neon_dotprod NeonDotprod
arm_check_exports neon_i8mm NeonI8mm
arm_check_linked "$bin"

# --- 2. Kernels and dispatch per CPU -----------------------------------------
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
force_sigill cortex-a72 neon_dotprod
force_ok max neon_dotprod
force_sigill neoverse-n1 neon_i8mm
force_ok max neon_i8mm

echo "PASS: ARM kernels and dispatch (cortex-a53, cortex-a72, neoverse-n1, max)"
