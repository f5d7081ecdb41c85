#!/usr/bin/env bash
# Validates what deploys ordermail, on a machine without a Docker engine: alert rules (promtool),
# the compose file (docker compose, or Debian's docker-compose), the Kubernetes manifests (kubernetes-models),
# and the image's runtime stage (production dependencies only).
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

echo "== the image's runtime stage: production dependencies only (as the Dockerfile installs them)"
# No Docker engine here, so the runtime stage is rebuilt in a folder: every module dist/ imports must
# resolve without devDependencies, or each role would crash in the image on start.
[ -f dist/main.js ] || npm run --silent build
runtime=$(mktemp -d)
trap 'rm -rf "$runtime"' EXIT
cp package.json package-lock.json "$runtime/"
cp -r dist schemas templates "$runtime/"
(cd "$runtime" && npm ci --omit=dev --no-audit --no-fund --loglevel=error >/dev/null)
status=0
(cd "$runtime" && NODE_ENV=production node dist/main.js --role=none >/dev/null 2>"$runtime/stderr") || status=$?
if [ "$status" -ne 2 ]; then
  echo "check-deploy: node dist/main.js did not reach its usage check on production dependencies (exit $status):" >&2
  cat "$runtime/stderr" >&2
  exit 1
fi
echo "every role's imports resolve on production dependencies"
