#!/usr/bin/python3
"""Streams a generation from an edgellm server and prints tokens as they arrive.

    /usr/bin/python3 examples/python/client.py --server 127.0.0.1:50051 \
        --prompt "Once upon a time" --max-tokens 64 --temperature 0

With --embed it calls Embed instead and prints one line per text: the
vector's values separated by spaces (--text may be repeated; without it the
--prompt is embedded):

    /usr/bin/python3 examples/python/client.py --embed --normalize \
        --pooling mean --text "a red ball" --text "the little dog"

With --rerank it calls Rerank on a reranker model: how relevant each
--document is to the --query, one line per document in input order, the
score (the cross-encoder's logit), a tab, the document:

    /usr/bin/python3 examples/python/client.py --rerank --query "what is red" \
        --document "a red ball" --document "a car"

With --rag it runs a small retrieval-augmented generation: it embeds the
passages (--passage, repeatable; default a built-in handful) and the
--prompt as the question on an embedding model (--embed-server), ranks the
passages by cosine similarity, reranks the --top best with a cross-encoder
(--rerank-server; skipped when not given, and the cosine order decides) and
asks the generation model (--server) through Chat to answer from the best
passage. The reply streams to stdout; the scores and the chosen passage are
logged to stderr ("# passage: INDEX: TEXT"). Three servers, as one edgellm
server serves one model:

    edgellm serve --model bge-small-en-v1.5-q8_0.gguf --listen 127.0.0.1:50052 &
    edgellm serve --model ms-marco-MiniLM-L6-q8_0.gguf --listen 127.0.0.1:50053 &
    edgellm serve --model qwen2.5-0.5b-instruct-q8_0.gguf --listen 127.0.0.1:50051 &
    /usr/bin/python3 examples/python/client.py --rag \
        --embed-server 127.0.0.1:50052 --rerank-server 127.0.0.1:50053 \
        --server 127.0.0.1:50051 --prompt "Which river flows through Paris?"

With --weather-tool it runs a tool-calling round trip through Chat: the
--prompt as the user's question with a `get_weather` tool; each call the
model makes is answered by the local get_weather() below and sent back as a
"tool" message, and the model's answer is streamed to stdout (reasoning and
calls are logged to stderr):

    /usr/bin/python3 examples/python/client.py --weather-tool \
        --prompt "What is the weather in Paris?"

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
import json
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


def make_channel(grpc, args, server=None):
    server = server or args.server
    if args.tls_ca:
        with open(args.tls_ca, "rb") as f:
            creds = grpc.ssl_channel_credentials(root_certificates=f.read())
        return grpc.secure_channel(server, creds)
    return grpc.insecure_channel(server)


def embed(pb2, stub, args, metadata):
    """Embed: one line of space-separated floats per text on stdout."""
    request = pb2.EmbedRequest(texts=args.text or [args.prompt],
                               normalize=args.normalize)
    if args.pooling:
        request.pooling = pb2.Pooling.Value("POOLING_" + args.pooling.upper())
    response = stub.Embed(request, metadata=metadata, timeout=args.timeout)
    for e in response.embeddings:
        print(" ".join("%.9g" % v for v in e.values))
    print("# embeddings: %d x %d, tokens %s" % (
        len(response.embeddings), response.dimensions,
        [e.tokens for e in response.embeddings]), file=sys.stderr)
    return 0


WEATHER_TOOL = {
    "name": "get_weather",
    "description": "The current weather at a place.",
    "parameters": json.dumps({
        "type": "object",
        "properties": {
            "location": {"type": "string", "description": "a city"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["location"],
    }),
}


def rerank(pb2, stub, args, metadata):
    """Rerank: "score<TAB>document" per document, in input order."""
    response = stub.Rerank(
        pb2.RerankRequest(query=args.query, documents=args.document),
        metadata=metadata, timeout=args.timeout)
    for score, document in zip(response.scores, args.document):
        print("%.9g\t%s" % (score, document))
    return 0


# The --rag demo's passages when none are given.
RAG_PASSAGES = [
    "The Seine is a river in the north of France. It flows through Paris "
    "and into the English Channel at Le Havre.",
    "Mount Everest, in the Himalayas, is the highest mountain on Earth "
    "above sea level, 8,849 metres high.",
    "A vector database stores embeddings and finds the ones nearest to a "
    "query vector, which is how retrieval for language models works.",
    "The violin is a string instrument played with a bow; it is the "
    "smallest and highest-pitched member of its family.",
    "Paris is the capital and largest city of France, known for the "
    "Eiffel Tower and the Louvre museum.",
]


def rag(pb2, pb2_grpc, grpc, args, metadata):
    """Embed -> cosine top passages -> rerank -> Chat with the best one."""
    question = args.prompt
    passages = args.passage or RAG_PASSAGES
    embedder = pb2_grpc.EdgeLlmStub(make_channel(grpc, args,
                                                 args.embed_server))
    response = embedder.Embed(
        pb2.EmbedRequest(texts=[question] + passages, normalize=True),
        metadata=metadata, timeout=args.timeout)
    vectors = [list(e.values) for e in response.embeddings]
    # Unit vectors: the cosine is the dot product.
    cosines = [sum(q * p for q, p in zip(vectors[0], v)) for v in vectors[1:]]
    top = sorted(range(len(passages)), key=lambda i: -cosines[i])[:args.top]
    for i in top:
        print("# cosine: %.6f [%d] %s" % (cosines[i], i, passages[i]),
              file=sys.stderr)
    best = top[0]
    if args.rerank_server:
        reranker = pb2_grpc.EdgeLlmStub(make_channel(grpc, args,
                                                     args.rerank_server))
        scores = reranker.Rerank(
            pb2.RerankRequest(query=question,
                              documents=[passages[i] for i in top]),
            metadata=metadata, timeout=args.timeout).scores
        for i, score in zip(top, scores):
            print("# rerank: %.6f [%d] %s" % (score, i, passages[i]),
                  file=sys.stderr)
        # The highest score; ties go to the better cosine.
        best = top[max(range(len(top)), key=lambda k: (scores[k], -k))]
    print("# passage: %d: %s" % (best, passages[best]), file=sys.stderr)
    chat = pb2_grpc.EdgeLlmStub(make_channel(grpc, args))
    request = pb2.ChatRequest(messages=[pb2.ChatMessage(
        role="user",
        content="Answer the question from this passage.\n\nPassage: %s\n\n"
                "Question: %s" % (passages[best], question))])
    request.limits.max_tokens = args.max_tokens
    if args.temperature is not None:
        request.sampling.temperature = args.temperature
    stream_chat(pb2, chat, request, metadata, args)
    sys.stdout.write("\n")
    return 0


def get_weather(location, unit="celsius"):
    """The tool: a stand-in for a weather service."""
    temperature = 18 if unit == "celsius" else 64
    return {"location": location, "temperature": temperature, "unit": unit,
            "sky": "rain"}


def stream_chat(pb2, stub, request, metadata, args):
    """One Chat call: content to stdout; returns (reasoning, calls, final)."""
    reasoning, calls, final = "", [], None
    for response in stub.Chat(request, metadata=metadata,
                              timeout=args.timeout):
        sys.stdout.write(response.text)
        sys.stdout.flush()
        reasoning += response.reasoning
        calls.extend(response.tool_calls)
        if response.finish_reason:
            final = response
    print("# finish=%s" % pb2.FinishReason.Name(final.finish_reason),
          file=sys.stderr)
    return reasoning, calls, final


def weather_round_trip(pb2, stub, args, metadata):
    """tools -> the model's calls -> their results -> the model's answer."""
    request = pb2.ChatRequest(
        messages=[pb2.ChatMessage(role="user", content=args.prompt)],
        tools=[pb2.Tool(**WEATHER_TOOL)])
    request.limits.max_tokens = args.max_tokens
    if args.temperature is not None:
        request.sampling.temperature = args.temperature
    reasoning, calls, final = stream_chat(pb2, stub, request, metadata, args)
    if reasoning:
        print("# reasoning: %s" % reasoning.strip(), file=sys.stderr)
    if final.finish_reason != pb2.FINISH_REASON_TOOL_CALLS:
        sys.stdout.write("\n")
        return 0  # the model answered without the tool
    # The assistant's turn goes back as it was, then one result per call.
    request.messages.add(role="assistant", reasoning_content=reasoning,
                         tool_calls=calls)
    for call in calls:
        print("# tool call: %s %s" % (call.name, call.arguments),
              file=sys.stderr)
        if call.name == "get_weather":
            a = json.loads(call.arguments)  # the server sends valid JSON
            result = json.dumps(get_weather(a.get("location", ""),
                                            a.get("unit", "celsius")))
        else:
            result = json.dumps({"error": "no tool named " + call.name})
        print("# tool result: %s" % result, file=sys.stderr)
        request.messages.add(role="tool", tool_call_id=call.id,
                             name=call.name, content=result)
    stream_chat(pb2, stub, request, metadata, args)
    sys.stdout.write("\n")
    return 0


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
    parser.add_argument("--embed", action="store_true",
                        help="call Embed on the texts instead of Generate")
    parser.add_argument("--text", action="append", default=[],
                        help="a text to embed (repeatable; default --prompt)")
    parser.add_argument("--pooling", default="",
                        choices=["", "mean", "last", "cls"],
                        help="Embed pooling; empty = the model's default")
    parser.add_argument("--normalize", action="store_true",
                        help="Embed: scale vectors to unit L2 norm")
    parser.add_argument("--rerank", action="store_true",
                        help="call Rerank: score each --document for --query")
    parser.add_argument("--query", default="", help="Rerank: the query")
    parser.add_argument("--document", action="append", default=[],
                        help="Rerank: a document (repeatable)")
    parser.add_argument("--rag", action="store_true",
                        help="retrieval-augmented Chat: --prompt as the "
                             "question over the --passage texts")
    parser.add_argument("--passage", action="append", default=[],
                        help="--rag: a passage (repeatable; default a "
                             "built-in handful)")
    parser.add_argument("--embed-server", default="",
                        help="--rag: HOST:PORT of the embedding model")
    parser.add_argument("--rerank-server", default="",
                        help="--rag: HOST:PORT of the reranker (optional)")
    parser.add_argument("--top", type=int, default=3,
                        help="--rag: passages the reranker sees")
    parser.add_argument("--weather-tool", action="store_true",
                        help="a Chat tool round trip: --prompt as the "
                             "question, a get_weather tool")
    args = parser.parse_args()
    if args.rag and not args.embed_server:
        parser.error("--rag needs --embed-server")
    if args.top < 1:
        parser.error("--top must be at least 1")

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
        if args.embed:
            return embed(pb2, stub, args, metadata)
        if args.rerank:
            return rerank(pb2, stub, args, metadata)
        if args.rag:
            return rag(pb2, pb2_grpc, grpc, args, metadata)
        if args.weather_tool:
            return weather_round_trip(pb2, stub, args, metadata)
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
