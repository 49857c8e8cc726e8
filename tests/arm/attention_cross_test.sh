#!/usr/bin/env bash
# ARM correctness of the attention tile kernels on an x86 box: cross-compiles
# ops/attention_kernel_neon.cc, the portable kernel and
# attention_cross_driver.cc statically with Debian's aarch64-linux-gnu-g++
# (armv8-a, the Bazel build's baseline on ARM), then
#   1. disassembles the NEON kernel: vector FMAs (fmla on .4s) and the f16
#      widening (fcvtl) are there, and no instruction beyond armv8-a
#      (dotprod, i8mm, bf16, SVE: a Raspberry Pi 4's Cortex-A72 has none);
#   2. runs the driver under qemu-aarch64-static on cortex-a53, cortex-a72
#      and max: both kernels' tiles within tolerance of a double reference,
#      their f16 / Q8_0 conversions exact.
# Skips (tests/testing/skip.sh; a failure under CI=true) where the cross
# compiler or qemu is missing (tools/setup.sh installs g++-aarch64-linux-gnu
# and qemu-user-static).
set -euo pipefail
source tests/testing/skip.sh

for tool in aarch64-linux-gnu-g++ aarch64-linux-gnu-objdump qemu-aarch64-static; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    skip_test "$tool not found (run tools/setup.sh: it installs g++-aarch64-linux-gnu and qemu-user-static)"
  fi
done

if [ -n "${TEST_TMPDIR:-}" ]; then
  work="$TEST_TMPDIR/arm_attention"
else  # run by hand from the workspace root
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
fi
rm -rf "$work"
mkdir -p "$work"

cxx=(aarch64-linux-gnu-g++ -std=c++20 -O2 -Wall -Werror -I. -march=armv8-a)
fail() {
  echo "FAIL: $*"
  exit 1
}

for spec in neon:ops/attention_kernel_neon.cc \
  portable:ops/attention_kernel_portable.cc \
  driver:tests/arm/attention_cross_driver.cc; do
  IFS=: read -r name src <<<"$spec"
  "${cxx[@]}" -c "$src" -o "$work/$name.o" 2>"$work/$name.log" ||
    { cat "$work/$name.log"; fail "compiling $src"; }
done
bin="$work/attention_cross_driver"
"${cxx[@]}" -static -o "$bin" "$work"/*.o || fail "linking"
echo "built $bin (static aarch64)"

# --- 1. Disassembly ----------------------------------------------------------
dis="$(aarch64-linux-gnu-objdump -d --no-show-raw-insn "$work/neon.o")"
fmla="$(grep -cE '^\s+[0-9a-f]+:\s+fmla\s+v[0-9]+\.4s' <<<"$dis" || true)"
fcvtl="$(grep -cE '^\s+[0-9a-f]+:\s+fcvtl\s' <<<"$dis" || true)"
beyond="$(grep -cE '^\s+[0-9a-f]+:\s+(sdot|udot|usdot|sudot|smmla|ummla|usmmla|bfdot|bfmmla|whilelo|ptrue|ld1w|st1w)\s' <<<"$dis" || true)"
[ "$fmla" -gt 0 ] || fail "no vector fmla in the NEON kernel (check the disassembler)"
[ "$fcvtl" -gt 0 ] || fail "no fcvtl (f16 widening) in the NEON kernel"
[ "$beyond" -eq 0 ] || fail "the NEON kernel has $beyond instruction(s) beyond armv8-a"
echo "disasm: attention_kernel_neon.o has $fmla fmla .4s, $fcvtl fcvtl, nothing beyond armv8-a"

# --- 2. Run per CPU ----------------------------------------------------------
for cpu in cortex-a53 cortex-a72 max; do
  echo "== qemu-aarch64-static -cpu $cpu"
  out="$(qemu-aarch64-static -cpu "$cpu" "$bin" 2>&1)" || { echo "$out"; fail "-cpu $cpu"; }
  echo "$out"
  for k in portable neon; do
    grep -q "kernel $k: ran, all equal within tolerance" <<<"$out" ||
      fail "kernel $k on $cpu"
  done
done
echo "PASS: ARM attention kernels (cortex-a53, cortex-a72, max)"
