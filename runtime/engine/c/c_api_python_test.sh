#!/usr/bin/env bash
# The C API through Python's ctypes (Debian's /usr/bin/python3: only the
# standard library is needed).
#   c_api_python_test.sh TEST.py LIBEDGELLM.so MODEL.gguf
set -euo pipefail
# Under --config=asan the library needs the sanitizer's runtime loaded
# first, which an uninstrumented python does not do by itself; Python's own
# allocations at exit are not ours to report.
asan="$(ldd "$2" | awk '/libasan/ {print $3}')"
if [ -n "$asan" ]; then
  export LD_PRELOAD="$asan"
  export ASAN_OPTIONS="detect_leaks=0"
fi
exec /usr/bin/python3 "$1" "$2" "$3"
