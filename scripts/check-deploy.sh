#!/usr/bin/env bash
# Validates what deploys ordermail, on a machine without a Docker engine: alert rules (promtool),
# the compose file (docker compose, or Debian's docker-compose), the Kubernetes manifests (kubernetes-models).
set -euo pipefail
cd "$(dirname "$0")/.."

need() { # command, Debian package
  command -v "$1" >/dev/null && return
  echo "check-deploy: installing $2 for $1"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; } ||
    { echo "check-deploy: $1 is missing and could not be installed: apt-get install $2" >&2; exit 1; }
}

echo "== Prometheus alert rules (promtool)"
need promtool prometheus
promtool check rules deploy/prometheus/alerts.yml
(cd deploy/prometheus && promtool test rules alerts.test.yml)

echo "== docker-compose.yml"
if docker compose version >/dev/null 2>&1; then
  docker compose config -q && echo "valid (docker compose config)"
else
  need docker-compose docker-compose
  docker-compose config -q && echo "valid against the Compose specification (Debian docker-compose config)"
fi

echo "== Kubernetes manifests (kubernetes-models schemas)"
npx --no-install tsx scripts/check-k8s.ts
