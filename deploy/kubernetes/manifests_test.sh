#!/usr/bin/env bash
# Parses deploy/kubernetes/*.yaml and the Dockerfile (no cluster, no
# Docker) and checks they fit each other, the package's edgellm.conf,
# VERSION and `edgellm serve --help` (deploy/kubernetes/check_manifests.py
# says what it checks, and breaks a copy in each way to prove it notices).
set -euo pipefail
if ! /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
  echo "FAIL: /usr/bin/python3 has no yaml module (tools/setup.sh installs python3-yaml)"
  exit 1
fi
help="$(mktemp)"
trap 'rm -f "$help"' EXIT
runtime/cli/edgellm serve --help >"$help"
/usr/bin/python3 deploy/kubernetes/check_manifests.py deploy/kubernetes "$help" \
  deploy/debian/edgellm.conf VERSION
