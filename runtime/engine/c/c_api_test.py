"""The C API (libedgellm.so) from Python through ctypes: load, generate with
a callback, cancel from another thread, embed, the KV cache's settings,
errors, the KV cache's type.

Usage: c_api_test.py LIBEDGELLM.so MODEL.gguf
"""
import ctypes
import math
import sys
import threading
import unittest

LIB, MODEL = sys.argv[1], sys.argv[2]


class Options(ctypes.Structure):
    _fields_ = [(name, ctypes.c_int32) for name in (
        "threads", "context", "parallel", "queue", "max_batch", "kv_f16",
        "embeddings")]


class KvOptions(ctypes.Structure):
    _fields_ = [(name, ctypes.c_int32) for name in (
        "block_size", "blocks", "prefix_cache", "context_shift")]


class KvOptionsV2(ctypes.Structure):
    _fields_ = [("kv", KvOptions), ("type", ctypes.c_int32)]


class KvBlocks(ctypes.Structure):
    _fields_ = [(name, ctypes.c_int32) for name in ("total", "free", "cached")]


class GenerateOptions(ctypes.Structure):
    _fields_ = [
        ("temperature", ctypes.c_float),
        ("top_k", ctypes.c_int32),
        ("top_p", ctypes.c_float),
        ("min_p", ctypes.c_float),
        ("repetition_penalty", ctypes.c_float),
        ("seed", ctypes.c_uint64),
        ("max_tokens", ctypes.c_int32),
        ("ignore_eos", ctypes.c_int32),
        ("stop", ctypes.POINTER(ctypes.c_char_p)),
        ("stop_count", ctypes.c_size_t),
    ]


class Result(ctypes.Structure):
    _fields_ = [
        ("prompt_tokens", ctypes.c_int32),
        ("generated_tokens", ctypes.c_int32),
        ("finish_reason", ctypes.c_int),
        ("time_to_first_token_ms", ctypes.c_double),
        ("tokens_per_second", ctypes.c_double),
    ]


CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_int32,
                            ctypes.POINTER(ctypes.c_char), ctypes.c_size_t)
OK, INVALID_ARGUMENT = 0, 3
KV_DEFAULT, KV_F32, KV_F16, KV_Q8_0 = -1, 0, 1, 2
FINISH_LENGTH, FINISH_STOP, FINISH_CANCELLED = 2, 1, 5

lib = ctypes.CDLL(LIB)
lib.edgellm_version.restype = ctypes.c_char_p
lib.edgellm_last_error.restype = ctypes.c_char_p
lib.edgellm_load.argtypes = [ctypes.c_char_p, ctypes.POINTER(Options),
                             ctypes.POINTER(ctypes.c_void_p)]
lib.edgellm_load_kv.argtypes = [ctypes.c_char_p, ctypes.POINTER(Options),
                                ctypes.POINTER(KvOptions),
                                ctypes.POINTER(ctypes.c_void_p)]
lib.edgellm_load_kv_v2.argtypes = [ctypes.c_char_p, ctypes.POINTER(Options),
                                   ctypes.POINTER(KvOptionsV2),
                                   ctypes.POINTER(ctypes.c_void_p)]
lib.edgellm_get_kv_blocks.argtypes = [ctypes.c_void_p,
                                      ctypes.POINTER(KvBlocks)]
lib.edgellm_free.argtypes = [ctypes.c_void_p]
lib.edgellm_generate.argtypes = [
    ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(GenerateOptions),
    CALLBACK, ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(Result)]
lib.edgellm_request_new.restype = ctypes.c_void_p
lib.edgellm_request_cancel.argtypes = [ctypes.c_void_p]
lib.edgellm_request_free.argtypes = [ctypes.c_void_p]
lib.edgellm_embedding_size.argtypes = [ctypes.c_void_p]
lib.edgellm_embed.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int,
                              ctypes.POINTER(ctypes.c_float), ctypes.c_size_t]


def generate_options(max_tokens, stop=()):
    o = GenerateOptions()
    lib.edgellm_generate_options_init(ctypes.byref(o))
    o.temperature = 0.0
    o.max_tokens = max_tokens
    o.ignore_eos = 1
    if stop:
        arr = (ctypes.c_char_p * len(stop))(*[s.encode() for s in stop])
        o.stop = ctypes.cast(arr, ctypes.POINTER(ctypes.c_char_p))
        o.stop_count = len(stop)
        o._keep = arr
    return o


class CApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        options = Options()
        lib.edgellm_options_init(ctypes.byref(options))
        options.threads = 1
        options.parallel = 2
        options.context = 256
        engine = ctypes.c_void_p()
        status = lib.edgellm_load(MODEL.encode(), ctypes.byref(options),
                                  ctypes.byref(engine))
        assert status == OK, lib.edgellm_last_error()
        cls.engine = engine

    @classmethod
    def tearDownClass(cls):
        lib.edgellm_free(cls.engine)

    def generate(self, prompt, options, stop_after=0, request=None):
        pieces = []

        def on_token(_, token, text, length):
            pieces.append(ctypes.string_at(text, length))
            return 1 if stop_after and len(pieces) >= stop_after else 0

        result = Result()
        status = lib.edgellm_generate(self.engine, prompt.encode(),
                                      ctypes.byref(options), CALLBACK(on_token),
                                      None, request, ctypes.byref(result))
        return status, b"".join(pieces), len(pieces), result

    def test_version(self):
        self.assertTrue(lib.edgellm_version())

    def test_greedy_is_deterministic(self):
        s1, text1, n1, r1 = self.generate("once upon a time",
                                          generate_options(20))
        s2, text2, _, _ = self.generate("once upon a time",
                                        generate_options(20))
        self.assertEqual((s1, s2), (OK, OK))
        self.assertEqual(n1, 20)
        self.assertEqual(r1.generated_tokens, 20)
        self.assertEqual(r1.finish_reason, FINISH_LENGTH)
        self.assertEqual(text1, text2)

    def test_callback_stops(self):
        status, _, n, result = self.generate("the cat", generate_options(200),
                                             stop_after=4)
        self.assertEqual(status, OK)
        self.assertEqual(n, 4)
        self.assertEqual(result.finish_reason, FINISH_CANCELLED)

    def test_cancel_from_another_thread(self):
        request = lib.edgellm_request_new()
        started = threading.Event()
        pieces = []

        def on_token(_, token, text, length):
            pieces.append(token)
            started.set()
            threading.Event().wait(0.002)
            return 0

        def cancel():
            started.wait(10)
            lib.edgellm_request_cancel(request)

        canceller = threading.Thread(target=cancel)
        canceller.start()
        result = Result()
        status = lib.edgellm_generate(self.engine, b"the dog",
                                      ctypes.byref(generate_options(400)),
                                      CALLBACK(on_token), None, request,
                                      ctypes.byref(result))
        canceller.join()
        lib.edgellm_request_free(request)
        self.assertEqual(status, OK)
        self.assertEqual(result.finish_reason, FINISH_CANCELLED)
        self.assertLess(len(pieces), 400)

    def test_errors_name_the_field(self):
        options = generate_options(4)
        options.top_p = 2.0
        status, _, _, _ = self.generate("x", options)
        self.assertEqual(status, INVALID_ARGUMENT)
        self.assertIn(b"sampling.top_p", lib.edgellm_last_error())
        status, _, _, _ = self.generate("x", generate_options(4, stop=[""]))
        self.assertEqual(status, INVALID_ARGUMENT)
        self.assertIn(b"limits.stop[0]", lib.edgellm_last_error())

    def test_embed(self):
        dims = lib.edgellm_embedding_size(self.engine)
        self.assertGreater(dims, 0)
        out = (ctypes.c_float * dims)()
        self.assertEqual(
            lib.edgellm_embed(self.engine, b"a red ball", 1, out, dims), OK)
        self.assertAlmostEqual(math.sqrt(sum(x * x for x in out)), 1.0,
                               places=4)
        self.assertEqual(
            lib.edgellm_embed(self.engine, b"a red ball", 1, out, dims - 1),
            INVALID_ARGUMENT)


class KvOptionsTest(unittest.TestCase):
    """The KV cache's settings (edgellm_kv_options, edgellm_load_kv)."""

    def load(self, context=128, **settings):
        options = Options()
        lib.edgellm_options_init(ctypes.byref(options))
        options.threads = 1
        options.context = context
        kv = KvOptions()
        lib.edgellm_kv_options_init(ctypes.byref(kv))
        for name, value in settings.items():
            setattr(kv, name, value)
        engine = ctypes.c_void_p()
        status = lib.edgellm_load_kv(MODEL.encode(), ctypes.byref(options),
                                     ctypes.byref(kv), ctypes.byref(engine))
        if status == OK:
            self.addCleanup(lib.edgellm_free, engine)
        return status, engine

    def greedy(self, engine, prompt, max_tokens):
        ids = []

        def on_token(_, token, text, length):
            ids.append(token)
            return 0

        result = Result()
        status = lib.edgellm_generate(engine, prompt.encode(),
                                      ctypes.byref(generate_options(max_tokens)),
                                      CALLBACK(on_token), None, None,
                                      ctypes.byref(result))
        return status, ids, result

    def idle_blocks(self, engine):
        # Counted after each step: a moment after the generation ended.
        blocks = KvBlocks()
        for _ in range(200):
            self.assertEqual(
                lib.edgellm_get_kv_blocks(engine, ctypes.byref(blocks)), OK)
            if blocks.free == blocks.total:
                break
            threading.Event().wait(0.005)
        return blocks

    def test_defaults(self):
        kv = KvOptions()
        lib.edgellm_kv_options_init(ctypes.byref(kv))
        self.assertEqual((kv.block_size, kv.blocks, kv.prefix_cache,
                          kv.context_shift), (16, 0, 1, -1))

    def test_slab_and_paged_give_the_same_ids(self):
        prompt = "once upon a time there was a little cat"
        runs = {}
        for name, settings in {
                "slab": dict(block_size=0),
                "paged": dict(block_size=8, blocks=40),
                "uncached": dict(block_size=8, blocks=40, prefix_cache=0),
        }.items():
            status, engine = self.load(**settings)
            self.assertEqual(status, OK, lib.edgellm_last_error())
            status, ids, _ = self.greedy(engine, prompt, 24)
            self.assertEqual(status, OK)
            self.assertEqual(len(ids), 24)
            runs[name] = (ids, self.idle_blocks(engine))
        self.assertEqual(runs["paged"][0], runs["slab"][0])
        self.assertEqual(runs["uncached"][0], runs["slab"][0])
        slab, paged, uncached = (runs[n][1] for n in ("slab", "paged",
                                                      "uncached"))
        self.assertEqual((slab.total, slab.cached), (0, 0))
        self.assertEqual((paged.total, paged.free), (40, 40))
        self.assertGreater(paged.cached, 0)
        self.assertEqual((uncached.total, uncached.cached), (40, 0))

    def test_context_shift(self):
        prompt = "the cat sat on a mat " * 40
        status, engine = self.load(context=32)
        self.assertEqual(status, OK)
        status, _, _ = self.greedy(engine, prompt, 8)
        self.assertEqual(status, INVALID_ARGUMENT)
        self.assertIn(b"context", lib.edgellm_last_error())
        status, engine = self.load(context=32, context_shift=4)
        self.assertEqual(status, OK)
        status, ids, result = self.greedy(engine, prompt, 8)
        self.assertEqual(status, OK)
        self.assertEqual((len(ids), result.finish_reason), (8, FINISH_LENGTH))

    def test_bad_settings_name_the_field(self):
        self.assertEqual(self.load(context_shift=-2)[0], INVALID_ARGUMENT)
        self.assertIn(b"context_shift", lib.edgellm_last_error())
        self.assertEqual(self.load(blocks=-1)[0], INVALID_ARGUMENT)
        self.assertIn(b"kv_blocks", lib.edgellm_last_error())


class KvTypeTest(unittest.TestCase):
    """The KV cache's type (edgellm_kv_options_v2, edgellm_load_kv_v2)."""

    def load(self, kv_type, kv_f16=0, context_shift=None):
        options = Options()
        lib.edgellm_options_init(ctypes.byref(options))
        options.threads = 1
        options.context = 128
        options.kv_f16 = kv_f16
        kv = KvOptionsV2()
        lib.edgellm_kv_options_v2_init(ctypes.byref(kv))
        kv.type = kv_type
        if context_shift is not None:
            kv.kv.context_shift = context_shift
        engine = ctypes.c_void_p()
        status = lib.edgellm_load_kv_v2(MODEL.encode(), ctypes.byref(options),
                                        ctypes.byref(kv), ctypes.byref(engine))
        if status == OK:
            self.addCleanup(lib.edgellm_free, engine)
        return status, engine

    def greedy_ids(self, kv_type, kv_f16=0):
        status, engine = self.load(kv_type, kv_f16)
        self.assertEqual(status, OK, lib.edgellm_last_error())
        ids = []

        def on_token(_, token, text, length):
            ids.append(token)
            return 0

        status = lib.edgellm_generate(
            engine, b"once upon a time there was a little cat",
            ctypes.byref(generate_options(24)), CALLBACK(on_token), None,
            None, None)
        self.assertEqual(status, OK)
        self.assertEqual(len(ids), 24)
        return ids

    def test_defaults(self):
        kv = KvOptionsV2()
        lib.edgellm_kv_options_v2_init(ctypes.byref(kv))
        self.assertEqual((kv.kv.block_size, kv.kv.blocks, kv.kv.prefix_cache,
                          kv.kv.context_shift, kv.type), (16, 0, 1, -1,
                                                          KV_DEFAULT))

    def test_types(self):
        # The default follows kv_f16; F16 is what kv_f16 gives; q8_0 runs
        # (the tiny model's head_dim 32 is whole Q8_0 blocks).
        self.assertEqual(self.greedy_ids(KV_F32), self.greedy_ids(KV_DEFAULT))
        f16 = self.greedy_ids(KV_F16)
        self.assertEqual(self.greedy_ids(KV_DEFAULT, kv_f16=1), f16)
        self.assertEqual(self.greedy_ids(KV_F16, kv_f16=1), f16)
        self.greedy_ids(KV_Q8_0)

    def test_bad_types_name_the_field(self):
        self.assertEqual(self.load(KV_Q8_0, kv_f16=1)[0], INVALID_ARGUMENT)
        self.assertIn(b"kv_f16", lib.edgellm_last_error())
        self.assertEqual(self.load(7)[0], INVALID_ARGUMENT)
        self.assertIn(b"kv.type 7", lib.edgellm_last_error())
        self.assertEqual(self.load(KV_F32, context_shift=-2)[0],
                         INVALID_ARGUMENT)
        self.assertIn(b"context_shift", lib.edgellm_last_error())


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
