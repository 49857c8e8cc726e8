#!/usr/bin/python3
"""Streams a generation from an edgellm server and prints tokens as they arrive.

    /usr/bin/python3 examples/python/client.py --server 127.0.0.1:50051 \
        --prompt "Once upon a time" --max-tokens 64 --temperature 0

Uses Debian's python3-grpcio and python3-protobuf. The edgellm.v1 stubs are
generated from proto/edgellm/v1/edgellm.proto at run time (protoc with
--python_out plus Debian's grpc_python_plugin, package
protobuf-compiler-grpc) into a temporary folder, so nothing generated is
checked in. Run it with /usr/bin/python3: another python3 on PATH may lack
grpc.

Exit status: 0 on success; 1 with the gRPC status on stderr otherwise.
"""

import argparse
import importlib
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.realpath(__file__))
PROTO_ROOT = os.path.join(HERE, "..", "..", "proto")
PROTO_FILE = "edgellm/v1/edgellm.proto"


def load_stubs(proto_root=PROTO_ROOT):
    """Generates and imports edgellm_pb2 / edgellm_pb2_grpc; returns both."""
    out = tempfile.mkdtemp(prefix="edgellm_stubs_")
    plugin = shutil.which("grpc_python_plugin") or "/usr/bin/grpc_python_plugin"
    protoc = shutil.which("protoc") or "/usr/bin/protoc"
    cmd = [protoc, "--proto_path=" + proto_root, "--python_out=" + out,
           "--grpc_out=" + out, "--plugin=protoc-gen-grpc=" + plugin,
           os.path.join(proto_root, PROTO_FILE)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit("cannot generate stubs (install protobuf-compiler and "
                 "protobuf-compiler-grpc): " + result.stderr.strip())
    sys.path.insert(0, out)
    pb2 = importlib.import_module("edgellm.v1.edgellm_pb2")
    pb2_grpc = importlib.import_module("edgellm.v1.edgellm_pb2_grpc")
    return pb2, pb2_grpc


def make_channel(grpc, args):
    if args.tls_ca:
        with open(args.tls_ca, "rb") as f:
            creds = grpc.ssl_channel_credentials(root_certificates=f.read())
        return grpc.secure_channel(args.server, creds)
    return grpc.insecure_channel(args.server)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="127.0.0.1:50051")
    parser.add_argument("--prompt", default="Once upon a time")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--temperature", type=float, default=None,
                        help="0 = greedy; unset = the server default")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--stop", action="append", default=[])
    parser.add_argument("--token", default="",
                        help="bearer token for `authorization`")
    parser.add_argument("--tls-ca", default="",
                        help="PEM file of the CA (or self-signed cert) to trust")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="call deadline in seconds")
    parser.add_argument("--info", action="store_true",
                        help="print GetModelInfo first")
    args = parser.parse_args()

    import grpc  # Debian's python3-grpcio
    pb2, pb2_grpc = load_stubs()
    stub = pb2_grpc.EdgeLlmStub(make_channel(grpc, args))
    metadata = [("authorization", "Bearer " + args.token)] if args.token else []

    request = pb2.GenerateRequest(prompt=args.prompt)
    request.limits.max_tokens = args.max_tokens
    request.limits.stop.extend(args.stop)
    if args.temperature is not None:
        request.sampling.temperature = args.temperature
    if args.seed is not None:
        request.sampling.seed = args.seed
    try:
        if args.info:
            info = stub.GetModelInfo(pb2.GetModelInfoRequest(),
                                     metadata=metadata, timeout=args.timeout)
            print("# model: %s (%s), context %d, vocab %d, %s" % (
                info.name, info.architecture, info.context_length,
                info.vocab_size, info.quantization), file=sys.stderr)
        final = None
        for response in stub.Generate(request, metadata=metadata,
                                      timeout=args.timeout):
            sys.stdout.write(response.text)
            sys.stdout.flush()
            if response.finish_reason:
                final = response
        sys.stdout.write("\n")
    except grpc.RpcError as e:
        print("\nerror: %s: %s" % (e.code().name, e.details()), file=sys.stderr)
        return 1
    if final is not None:
        u = final.usage
        print("# finish=%s prompt_tokens=%d generated_tokens=%d "
              "ttft_ms=%.1f tokens_per_s=%.1f" % (
                  pb2.FinishReason.Name(final.finish_reason), u.prompt_tokens,
                  u.generated_tokens, u.time_to_first_token_ms,
                  u.tokens_per_second), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
