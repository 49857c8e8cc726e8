#!/usr/bin/env bash
# The C API through Python's ctypes (Debian's /usr/bin/python3: only the
# standard library is needed).
#   c_api_python_test.sh TEST.py LIBEDGELLM.so MODEL.gguf PYTHON_LSAN.supp
set -euo pipefail
# Under --config=asan the library needs the sanitizer's runtime loaded
# first, which an uninstrumented python does not do by itself. Leak checking
# stays on (ASAN_OPTIONS from .bazelrc); the suppressions hide only the
# interpreter's own allocations left at exit (python_lsan.supp says how a
# leak of ours is still told apart).
asan="$(ldd "$2" | awk '/libasan/ {print $3}')"
if [ -n "$asan" ]; then
  export LD_PRELOAD="$asan"
  export LSAN_OPTIONS="suppressions=$(readlink -f "$4")${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
fi
exec /usr/bin/python3 "$1" "$2" "$3"
