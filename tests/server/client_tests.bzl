"""One sh_test per example client (C++, Python, Node.js) running a script."""

# What every client test runs: the three clients, the proto they read, the
# server binary and the skip helper.
_CLIENT_DATA = [
    "//examples/cpp:client",
    "//examples/node:client.js",
    "//examples/node:package.json",
    "//examples/python:client.py",
    "//proto:edgellm/v1/edgellm.proto",
    "//runtime/cli:edgellm",
    "//tests/testing:skip.sh",
]

def client_tests(kind, script, args = [], data = []):
    """Declares cpp_<kind>, python_<kind> and node_<kind>.

    Each runs `script` with the client's language as its first argument,
    then `args`.

    Args:
      kind: the targets' name after the language ("client_tool_test").
      script: the sh_test's script.
      args: more arguments after the language.
      data: more runfiles beside the clients and the server.
    """
    for lang in ["cpp", "python", "node"]:
        native.sh_test(
            name = lang + "_" + kind,
            size = "medium",
            srcs = [script],
            args = [lang] + args,
            data = _CLIENT_DATA + data,
            # node resolves @grpc/* from examples/node/node_modules in the
            # source tree (installed by tools/setup.sh), outside the
            # sandbox's inputs.
            tags = ["local"] if lang == "node" else [],
        )
