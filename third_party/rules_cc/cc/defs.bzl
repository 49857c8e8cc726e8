"""Offline shim: forwards the C++ rules to Bazel 4.2.3's native ones.

Debian's bazel-rules-cc is too new for Bazel 4.2.3. Besides forwarding, the
shim adds the project's portable instruction-set baseline to every compiled
C++ target: x86-64-v2 on x86-64 (SSE4.2, POPCNT; every x86 box of the last
decade) and armv8-a on ARM (Raspberry Pi 3/4: NEON, no dotprod). Never
-march=native: a binary built on one box must run on another. Kernels that
need more (AVX2, AVX-512, dotprod, i8mm) set their own flags per file and are
chosen at run time by CPU feature dispatch.
"""

_BASELINE_COPTS = select({
    "@rules_cc//cc:x86_64": ["-march=x86-64-v2"],
    "@rules_cc//cc:aarch64": ["-march=armv8-a"],
    "//conditions:default": [],
})

def cc_library(copts = [], **kwargs):
    native.cc_library(copts = _BASELINE_COPTS + copts, **kwargs)

def cc_binary(copts = [], **kwargs):
    native.cc_binary(copts = _BASELINE_COPTS + copts, **kwargs)

def cc_test(copts = [], **kwargs):
    native.cc_test(copts = _BASELINE_COPTS + copts, **kwargs)

def cc_import(**kwargs):
    native.cc_import(**kwargs)

def cc_toolchain(**kwargs):
    native.cc_toolchain(**kwargs)

def cc_toolchain_suite(**kwargs):
    native.cc_toolchain_suite(**kwargs)

def cc_proto_library(**kwargs):
    native.cc_proto_library(**kwargs)

def objc_library(**kwargs):
    native.objc_library(**kwargs)

def objc_import(**kwargs):
    native.objc_import(**kwargs)
