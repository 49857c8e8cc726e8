# Sourced by the ARM cross tests (q8_0_gemm_cross_test.sh,
# quant_gemm_cross_test.sh), from the workspace root: the steps they share. Each test lists its own objects, runs its own
# driver and greps its own report.
#
#   arm_cross_setup          skips (tests/testing/skip.sh: a failure under
#                            CI=true) without the cross tools; sets work, cxx
#                            and baseline
#   arm_cross_build BIN SPEC...
#                            compiles each "name:source:flags" SPEC to
#                            $work/name.o in parallel, links BIN statically
#   arm_check_objects SPEC...
#                            baseline objects have no dotprod/i8mm/bf16
#                            instruction; neon_dotprod.o has SDOT and no
#                            i8mm/bf16 one; neon_i8mm.o has SMMLA and no bf16
#   arm_check_exports NAME ENTRY
#                            NAME.o exports only symbols containing ENTRY
#   arm_check_linked BIN     in the linked binary (libc included), dotprod
#                            instructions only in functions named *NeonDotprod*
#                            or *I8mm*, i8mm ones only in *I8mm*, bf16 nowhere
#   run_cpu CPU EXPECT       runs BIN --expect-best=EXPECT under qemu -cpu
#                            CPU; sets out to its output
#   force_sigill CPU KERNEL, force_ok CPU KERNEL
#                            BIN --force=KERNEL must die by SIGILL / complete
#   arm_count_insns CPU SPEC...
#                            instructions of one kernel call per BIN
#                            --count=SPEC (quant_gemm_cross_driver.cc)
source tests/testing/skip.sh

fail() {
  echo "FAIL: $*"
  exit 1
}

# FEAT_DotProd (sdot, udot), FEAT_I8MM (smmla, ummla, usmmla, usdot, sudot),
# FEAT_BF16 (bfdot, bfmmla): none exists on a Cortex-A72; a Cortex-A76 or
# Neoverse-N1 has only the first two.
dotprod='sdot|udot'
i8mm='usdot|sudot|smmla|ummla|usmmla'
bf16='bfdot|bfmmla'

arm_cross_setup() {
  local tool
  for tool in aarch64-linux-gnu-g++ aarch64-linux-gnu-objdump aarch64-linux-gnu-nm \
    qemu-aarch64-static; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      skip_test "$tool not found (run tools/setup.sh: it installs g++-aarch64-linux-gnu and qemu-user-static)"
    fi
  done
  # The dispatchers' headers use header-only abseil parts (absl::Span);
  # Debian's abseil headers are architecture-independent, so the cross
  # compiler may read them, but not the rest of the host's /usr/include.
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
}

arm_cross_build() {
  local bin="$1" spec name src flags i
  shift
  local specs=("$@") pids=() flagv
  for spec in "${specs[@]}"; do
    IFS=: read -r name src flags <<<"$spec"
    read -ra flagv <<<"$flags"
    "${cxx[@]}" "${flagv[@]}" -c "$src" -o "$work/$name.o" 2>"$work/$name.log" &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then
      cat "$work"/*.log
      fail "compiling ${specs[$i]%%:*}"
    fi
  done
  "${cxx[@]}" -static -o "$bin" "$work"/*.o || fail "linking"
  echo "built $bin (static aarch64)"
}

count_insns() {  # object, regex of mnemonics
  aarch64-linux-gnu-objdump -d --no-show-raw-insn "$1" |
    grep -cE "^\s+[0-9a-f]+:\s+($2)\s" || true
}

arm_check_objects() {
  local spec name o n m
  for spec in "$@"; do
    name="${spec%%:*}"
    o="$work/$name.o"
    case "$name" in
      neon_dotprod)
        n="$(count_insns "$o" "$dotprod")"
        [ "$n" -gt 0 ] || fail "no dotprod instruction in the dotprod kernel (check the disassembler)"
        m="$(count_insns "$o" "$i8mm|$bf16")"
        [ "$m" -eq 0 ] || fail "neon_dotprod.o contains $m i8mm/bf16 instruction(s) (Cortex-A76 and Neoverse-N1 lack them)"
        echo "disasm: neon_dotprod.o has $n dotprod and no i8mm/bf16 instruction"
        ;;
      neon_i8mm)
        n="$(count_insns "$o" smmla)"
        [ "$n" -gt 0 ] || fail "no smmla instruction in the i8mm kernel (check the disassembler)"
        m="$(count_insns "$o" "$bf16")"
        [ "$m" -eq 0 ] || fail "neon_i8mm.o contains $m bf16 instruction(s)"
        echo "disasm: neon_i8mm.o has $n smmla, $(count_insns "$o" "$dotprod") dotprod, no bf16 instruction"
        ;;
      *)
        n="$(count_insns "$o" "$dotprod|$i8mm|$bf16")"
        [ "$n" -eq 0 ] || fail "$name.o (baseline armv8-a) contains $n dotprod/i8mm/bf16 instruction(s)"
        echo "disasm: $name.o has no dotprod/i8mm instruction"
        ;;
    esac
  done
}

# A symbol the dotprod or i8mm object exports besides its entry points (an
# inline function emitted there) could be picked by the linker for baseline
# callers.
arm_check_exports() {
  local name="$1" entry="$2" exported sym
  exported="$(aarch64-linux-gnu-nm --defined-only "$work/$name.o" |
    awk '$2 ~ /^[TWVu]$/ {print $3}')"
  [ -n "$exported" ] || fail "$name.o exports nothing (check nm)"
  for sym in $exported; do
    case "$sym" in
      *"$entry"*) ;;
      *) fail "$name.o exports $sym: a baseline caller could link to this copy" ;;
    esac
  done
}

# The kernels' local functions are named after them: the dotprod loops are
# instantiated with a *NeonDotprod* policy, and every i8mm kernel's own
# helpers (and its dotprod loop for a batch of one) carry I8mm.
arm_check_linked() {
  local bin="$1" outside
  outside="$(aarch64-linux-gnu-objdump -d --no-show-raw-insn "$bin" |
    awk -v dp="^($dotprod)\$" -v mm="^($i8mm)\$" -v bf="^($bf16)\$" '
      /^[0-9a-f]+ <.*>:$/ {fn = $2}
      /^ +[0-9a-f]+:/ && (($2 ~ dp && fn !~ /NeonDotprod|I8mm/) ||
                          ($2 ~ mm && fn !~ /I8mm/) || $2 ~ bf) {print fn, $2}' |
    sort -u)"
  [ -z "$outside" ] || fail "dotprod/i8mm instructions outside their kernels: $outside"
  echo "disasm: linked binary has dotprod instructions only in the dotprod/i8mm kernels, i8mm ones only in the i8mm kernels"
}

run_cpu() {  # cpu expected-best; uses bin, sets out
  local cpu="$1" expect="$2"
  echo "== qemu-aarch64-static -cpu $cpu (dispatch must pick $expect)"
  if ! out="$(qemu-aarch64-static -cpu "$cpu" "$bin" --expect-best="$expect" 2>&1)"; then
    echo "$out"
    fail "-cpu $cpu"
  fi
  echo "$out"
}

force_sigill() {  # cpu kernel; uses bin
  echo "== forcing $2 on $1 (must die by SIGILL)"
  local status=0
  qemu-aarch64-static -cpu "$1" "$bin" --force="$2" >"$work/force.log" 2>&1 ||
    status=$?
  cat "$work/force.log"
  [ "$status" -eq $((128 + 4)) ] || fail "$2 on $1: expected SIGILL (exit 132), got exit $status"
}

force_ok() {  # cpu kernel; uses bin
  echo "== forcing $2 on $1 (must complete)"
  qemu-aarch64-static -cpu "$1" "$bin" --force="$2" || fail "$2 kernel on -cpu $1"
}

# arm_count_insns CPU SPEC...: for each driver --count=SPEC, the guest
# instructions executed between its two marker calls (one kernel call),
# from qemu's log of every translated and every executed block
# (qemu_insn_count.py). For comparisons only: qemu says nothing about time.
arm_count_insns() {
  local cpu="$1" spec begin end
  shift
  begin="$(aarch64-linux-gnu-nm "$bin" | awk '$3 == "EdgellmCountBegin" {print $1}')"
  end="$(aarch64-linux-gnu-nm "$bin" | awk '$3 == "EdgellmCountEnd" {print $1}')"
  [ -n "$begin" ] && [ -n "$end" ] || fail "no count markers in $bin"
  for spec in "$@"; do
    echo "$cpu $spec: $(qemu-aarch64-static -cpu "$cpu" -d in_asm,exec,nochain \
      "$bin" --count="$spec" 2>&1 >/dev/null |
      /usr/bin/python3 tests/arm/qemu_insn_count.py "$begin" "$end")"
  done
}
