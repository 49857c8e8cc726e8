#!/usr/bin/python3
"""Checks the structure of deploy/kubernetes/ without a cluster.

    check_manifests.py DIR SERVE_HELP CONF VERSION

DIR holds the manifests (*.yaml) and the Dockerfile; SERVE_HELP is the text
of `edgellm serve --help`, CONF the package's edgellm.conf, VERSION the
repository's. Checks that the pieces fit each other and the program: the
ConfigMap's keys are the conffile's; the image tag and the Dockerfile's .deb
carry VERSION; the container's arguments, expanded from the ConfigMap as
Kubernetes expands $(KEY), are flags `edgellm serve` has; the port the
server will open (--listen) is the container port and every gRPC probe's
port; the HTTP port (--http-listen, if set) is a container port, every
HTTP probe's port (path /health) and exposed by the image; each Service port
targets one of the two; the Service (headless) and the PodDisruptionBudget
select the Deployment's pods; the model path is on a read-only volume; the
memory request and limit are set; the pod's user is the Dockerfile's; the
grace period covers the preStop pause and the server's drain. Then it breaks
a copy of the manifests in each of those ways and requires every break to be
reported, so the checks cannot pass vacuously. Exit status 1 on any error.
"""

import copy
import glob
import os
import re
import sys

import yaml

SERVE_FLAG = re.compile(r"^\s+(?:-\S, )?--([\w-]+)")
K8S_VAR = re.compile(r"\$\((\w+)\)")


def load(directory):
    docs = {}
    for path in sorted(glob.glob(os.path.join(directory, "*.yaml"))):
        with open(path) as f:
            for doc in yaml.safe_load_all(f):
                if doc is None:
                    continue
                kind = doc.get("kind")
                if kind in docs:
                    raise SystemExit("%s: a second %s" % (path, kind))
                docs[kind] = doc
    with open(os.path.join(directory, "Dockerfile")) as f:
        docs["Dockerfile"] = f.read()
    return docs


def selects(selector, labels):
    return bool(selector) and all(labels.get(k) == v
                                  for k, v in selector.items())


def port_of(value, ports):
    """A probe/Service port: a number or the name of a container port."""
    if isinstance(value, int):
        return value
    return next((p["containerPort"] for p in ports if p.get("name") == value),
                None)


def dockerfile_facts(text):
    # Joins continuation lines; instruction -> list of arguments.
    facts = {}
    for line in text.replace("\\\n", " ").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            facts.setdefault(word.upper(), []).append(rest.strip())
    return facts


def check(docs, serve_flags, conf_keys, version):
    """Returns a list of errors (empty = all fit)."""
    errors = []
    for kind in ("ConfigMap", "Deployment", "Service", "PodDisruptionBudget"):
        if kind not in docs:
            return ["no %s manifest" % kind]
    config = docs["ConfigMap"].get("data", {})
    deployment = docs["Deployment"]
    pod = deployment["spec"]["template"]
    pod_labels = pod["metadata"].get("labels", {})
    spec = pod["spec"]
    containers = spec.get("containers", [])
    if len(containers) != 1:
        return ["the pod should run one container, has %d" % len(containers)]
    c = containers[0]

    if not selects(deployment["spec"]["selector"].get("matchLabels"),
                   pod_labels):
        errors.append("the Deployment's selector does not match its pods")
    service = docs["Service"]["spec"]
    if service.get("clusterIP") != "None":
        errors.append("the Service is not headless (clusterIP: None): "
                      "clients could not balance per call")
    if not selects(service.get("selector"), pod_labels):
        errors.append("the Service does not select the Deployment's pods")
    pdb = docs["PodDisruptionBudget"]["spec"]
    if not selects(pdb.get("selector", {}).get("matchLabels"), pod_labels):
        errors.append("the PodDisruptionBudget does not select the pods")
    if "maxUnavailable" not in pdb and "minAvailable" not in pdb:
        errors.append("the PodDisruptionBudget sets no budget")

    # The command line, as Kubernetes builds it from the ConfigMap.
    for key in sorted(set(config) - conf_keys):
        errors.append("ConfigMap key %s is not a key of the package's "
                      "edgellm.conf" % key)
    if c.get("image", "").rpartition(":")[2] != version:
        errors.append("the image %r is not tagged VERSION %s" % (
            c.get("image"), version))
    refs = [e.get("configMapRef", {}).get("name") for e in c.get("envFrom", [])]
    if docs["ConfigMap"]["metadata"]["name"] not in refs:
        errors.append("the container does not take its environment from "
                      "the ConfigMap")
    args = c.get("args", [])
    if args[:1] != ["serve"]:
        errors.append("the container does not run `edgellm serve`: %s"
                      % args[:1])
    used = {m for a in args for m in K8S_VAR.findall(str(a))}
    for key in sorted(used - set(config)):
        errors.append("args use $(%s), which the ConfigMap lacks" % key)
    for key in sorted(set(config) - used):
        errors.append("ConfigMap key %s is used by no argument" % key)
    argv = [K8S_VAR.sub(lambda m: str(config.get(m[1], m[0])), str(a))
            for a in args]
    flags = {}
    for i, a in enumerate(argv):
        if a.startswith("--"):
            if a[2:] not in serve_flags:
                errors.append("`edgellm serve` has no flag %s" % a)
            flags[a[2:]] = argv[i + 1] if i + 1 < len(argv) else ""

    listen = flags.get("listen", "")
    host, _, port = listen.rpartition(":")
    if host not in ("0.0.0.0", "[::]"):
        errors.append("--listen %r is not all interfaces: the kubelet's "
                      "probes and other pods could not reach it" % listen)
    server_port = int(port) if port.isdigit() else None
    ports = c.get("ports", [])
    if server_port not in [p.get("containerPort") for p in ports]:
        errors.append("the server listens on %s, not a container port %s"
                      % (server_port, [p.get("containerPort") for p in ports]))
    http_port = None
    if flags.get("http-listen"):
        http_host, _, port = flags["http-listen"].rpartition(":")
        http_port = int(port) if port.isdigit() else None
        if http_host not in ("0.0.0.0", "[::]"):
            errors.append("--http-listen %r is not all interfaces"
                          % flags["http-listen"])
        if http_port not in [p.get("containerPort") for p in ports]:
            errors.append("the HTTP server listens on %s, not a container "
                          "port" % http_port)
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        grpc = c.get(probe, {}).get("grpc")
        http_get = c.get(probe, {}).get("httpGet")
        if grpc is not None:
            if port_of(grpc.get("port"), ports) != server_port:
                errors.append("%s asks port %s; the server listens on %s" % (
                    probe, grpc.get("port"), server_port))
        elif http_get is not None:
            if (http_port is None or
                    port_of(http_get.get("port"), ports) != http_port or
                    http_get.get("path") != "/health"):
                errors.append("%s asks HTTP %s%s; the server answers "
                              "/health on %s" % (
                                  probe, http_get.get("port"),
                                  http_get.get("path"), http_port))
        else:
            errors.append("%s is neither a native gRPC probe nor HTTP "
                          "/health" % probe)
    served = {server_port, http_port} - {None}
    for p in service.get("ports", []):
        if port_of(p.get("targetPort", p.get("port")), ports) not in served:
            errors.append("the Service targets %s; the server listens on %s"
                          % (p.get("targetPort"), sorted(served)))

    # The model on a read-only volume of the pod.
    model = flags.get("model", "")
    volumes = {v["name"] for v in spec.get("volumes", [])}
    mounts = [m for m in c.get("volumeMounts", [])
              if model.startswith(m["mountPath"].rstrip("/") + "/")]
    if not mounts:
        errors.append("the model %r is on no volume mount" % model)
    for m in mounts:
        if m["name"] not in volumes:
            errors.append("mount %s names no volume of the pod" % m["name"])
        if not m.get("readOnly"):
            errors.append("the model volume is not mounted read-only")

    resources = c.get("resources", {})
    if not resources.get("requests", {}).get("memory"):
        errors.append("no memory request (the scheduler could overcommit)")
    if not resources.get("limits", {}).get("memory"):
        errors.append("no memory limit")

    # The image's user, the pod's user, the grace period.
    facts = dockerfile_facts(docs["Dockerfile"])
    if facts.get("FROM") != ["debian:bookworm-slim"]:
        errors.append("the Dockerfile is not FROM debian:bookworm-slim: %s"
                      % facts.get("FROM"))
    if not any(a.startswith("DEB=edgellm_%s_" % version)
               for a in facts.get("ARG", [])):
        errors.append("the Dockerfile's ARG DEB is not a VERSION %s .deb: %s"
                      % (version, facts.get("ARG")))
    if not any(re.search(r"apt-get install .*\.deb\b", r)
               for r in facts.get("RUN", [])):
        errors.append("the Dockerfile does not apt-get install the .deb")
    user = (facts.get("USER") or [""])[-1].split(":")[0]
    run_as = spec.get("securityContext", {}).get("runAsUser")
    if not user.isdigit() or int(user) == 0 or int(user) != run_as:
        errors.append("the image's USER %r is not the pod's runAsUser %s "
                      "(a non-root number)" % (user, run_as))
    if not spec.get("securityContext", {}).get("runAsNonRoot"):
        errors.append("runAsNonRoot is not set")
    for port in sorted(served):
        if str(port) not in " ".join(facts.get("EXPOSE", [])).split():
            errors.append("the Dockerfile does not EXPOSE %s" % port)
    if not facts.get("ENTRYPOINT") or "/usr/bin/edgellm" not in \
            facts["ENTRYPOINT"][-1]:
        errors.append("the image's ENTRYPOINT is not /usr/bin/edgellm")
    pause = 0
    pre_stop = c.get("lifecycle", {}).get("preStop", {}).get("exec", {})
    if pre_stop.get("command", [""])[0] == "sleep":
        pause = float(pre_stop["command"][1])
    grace = float(flags.get("grace-seconds", "0") or 0)
    period = spec.get("terminationGracePeriodSeconds", 30)
    if pause + grace >= period:
        errors.append("terminationGracePeriodSeconds %s does not cover the "
                      "preStop pause %s + --grace-seconds %s" % (
                          period, pause, grace))
    return errors


def breakages(docs):
    """(what, broken copy) for each kind of mistake check() must report."""
    def broken(edit):
        d = copy.deepcopy(docs)
        edit(d)
        return d

    def container(d):
        return d["Deployment"]["spec"]["template"]["spec"]["containers"][0]

    def set_key(d, path, value):
        node = d
        for p in path[:-1]:
            node = node[p]
        node[path[-1]] = value

    return [
        ("probe on another port", broken(lambda d: set_key(
            container(d), ["readinessProbe", "grpc", "port"], 50052))),
        ("server on another port", broken(lambda d: set_key(
            d["ConfigMap"]["data"], ["EDGELLM_LISTEN"], "0.0.0.0:50052"))),
        ("loopback only", broken(lambda d: set_key(
            d["ConfigMap"]["data"], ["EDGELLM_LISTEN"], "127.0.0.1:50051"))),
        ("TCP probe", broken(lambda d: set_key(
            container(d), ["livenessProbe"], {"tcpSocket": {"port": 50051}}))),
        ("HTTP probe off /health", broken(lambda d: set_key(
            container(d), ["readinessProbe"],
            {"httpGet": {"path": "/", "port": "http"}}))),
        ("HTTP on another port", broken(lambda d: set_key(
            d["ConfigMap"]["data"], ["EDGELLM_HTTP_LISTEN"], "0.0.0.0:8081"))),
        ("Service port to nothing", broken(lambda d: d["Service"]["spec"][
            "ports"].append({"name": "x", "port": 9, "targetPort": 9}))),
        ("Service selects other pods", broken(lambda d: set_key(
            d["Service"]["spec"], ["selector"], {"app": "other"}))),
        ("Service not headless", broken(lambda d: d["Service"]["spec"].pop(
            "clusterIP"))),
        ("PDB selects other pods", broken(lambda d: set_key(
            d["PodDisruptionBudget"]["spec"], ["selector"],
            {"matchLabels": {"app": "other"}}))),
        ("missing config key", broken(lambda d: d["ConfigMap"]["data"].pop(
            "EDGELLM_MODEL"))),
        ("unknown flag", broken(lambda d: container(d)["args"].extend(
            ["--no-such-flag", "1"]))),
        ("model off the volume", broken(lambda d: set_key(
            d["ConfigMap"]["data"], ["EDGELLM_MODEL"], "/srv/model.gguf"))),
        ("no memory limit", broken(lambda d: container(d)["resources"].pop(
            "limits"))),
        ("another user", broken(lambda d: set_key(
            d["Deployment"]["spec"]["template"]["spec"], ["securityContext",
                                                          "runAsUser"], 1000))),
        ("short grace period", broken(lambda d: set_key(
            d["Deployment"]["spec"]["template"]["spec"],
            ["terminationGracePeriodSeconds"], 12))),
        ("a config key the package lacks", broken(lambda d: set_key(
            d["ConfigMap"]["data"], ["EDGELLM_MODLE"], "x"))),
        ("an old image", broken(lambda d: set_key(
            container(d), ["image"], "edgellm:0.0.9"))),
        ("another base image", broken(lambda d: set_key(
            d, ["Dockerfile"], d["Dockerfile"].replace(
                "debian:bookworm-slim", "ubuntu:24.04")))),
    ]


def alternatives(docs):
    """(what, changed copy) for each variant check() must accept."""
    d = copy.deepcopy(docs)
    c = d["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    c["readinessProbe"] = {"httpGet": {"path": "/health", "port": "http"}}
    return [("HTTP /health readiness probe", d)]


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    docs = load(sys.argv[1])
    with open(sys.argv[2]) as f:
        serve_flags = {m[1] for m in map(SERVE_FLAG.match, f) if m}
    with open(sys.argv[3]) as f:
        conf_keys = {l.split("=")[0].strip() for l in f
                     if "=" in l and not l.lstrip().startswith(("#", ";"))}
    with open(sys.argv[4]) as f:
        version = f.read().strip()
    failures = 0
    errors = check(docs, serve_flags, conf_keys, version)
    for e in errors:
        print("FAIL: " + e)
    failures += len(errors)
    if not errors:
        print("PASS: the manifests fit each other, the Dockerfile and "
              "`edgellm serve --help` (%s)" % ", ".join(
                  sorted(k for k in docs if k != "Dockerfile")))
    for what, broken in breakages(docs):
        found = check(broken, serve_flags, conf_keys, version)
        if found:
            print("PASS: a broken copy (%s) is reported: %s" % (what, found[0]))
        else:
            print("FAIL: a broken copy (%s) passed the checks" % what)
            failures += 1
    for what, variant in alternatives(docs):
        found = check(variant, serve_flags, conf_keys, version)
        if found:
            print("FAIL: a valid variant (%s) is reported: %s" % (what, found))
            failures += 1
        else:
            print("PASS: a valid variant (%s) passes the checks" % what)
    print("%d check(s), %d failure(s)" % (
        1 + len(breakages(docs)) + len(alternatives(docs)), failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
