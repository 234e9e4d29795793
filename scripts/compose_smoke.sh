#!/usr/bin/env bash
# End-to-end check of docker-compose.yml, for a machine with Docker (CI here has none).
# Builds the image, starts the stack under its own project name, checks what the
# README's deployment section promises, and removes everything it created (volumes
# included) when it ends, pass or fail:
#   1. the stack refuses to start without STRANGLER_ADMIN_TOKEN;
#   2. every service becomes healthy (`up --wait`), MongoDB as a replica-set primary;
#   3. only the proxy is published; the admin API needs the token;
#   4. a request through the proxy reaches the apps, and a routes.yaml renamed over
#      the mounted one is reloaded (the status API's revision changes);
#   5. Redis keeps its data across a restart (append-only file on the volume);
#   6. stopping the proxy drains and exits 0.
# Usage: scripts/compose_smoke.sh   (needs docker compose v2 and curl)
set -euo pipefail
cd "$(dirname "$0")/.."

project="strangler-smoke-$$"
routes_dir="$(mktemp -d)"
cp routes.yaml "$routes_dir/routes.yaml"
export STRANGLER_ROUTES_DIR="$routes_dir"
export STRANGLER_PUBLISH="127.0.0.1:${SMOKE_PORT:-18000}"
proxy="http://$STRANGLER_PUBLISH"
compose() { docker compose -p "$project" "$@"; }
cleanup() { compose down -v --remove-orphans >/dev/null 2>&1 || true; rm -rf "$routes_dir"; }
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

step "1. no admin token, no stack"
if env -u STRANGLER_ADMIN_TOKEN docker compose -p "$project" config -q 2>/dev/null; then
  fail "compose accepted a missing STRANGLER_ADMIN_TOKEN"
fi
export STRANGLER_ADMIN_TOKEN="smoke-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
auth=(-H "Authorization: Bearer $STRANGLER_ADMIN_TOKEN")

step "2. build and start; wait until every service is healthy"
compose up -d --build --wait --wait-timeout 300
[ "$(compose exec -T mongo mongosh --quiet --eval 'db.hello().isWritablePrimary')" = "true" ] \
  || fail "MongoDB is not a replica-set primary"

step "3. only the proxy is published; the admin API needs the token"
for service in legacy:8001 modern:8002 mongo:27017 redis:6379; do
  if compose port "${service%%:*}" "${service##*:}" 2>/dev/null | grep -q .; then
    fail "${service%%:*} is published"
  fi
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "$proxy/_strangler/api/status")" = 401 ] \
  || fail "the status API answered without the token"
curl -fsS "$proxy/_strangler/readyz" >/dev/null || fail "the proxy is not ready"

step "4. a request through the proxy; a renamed routes.yaml is reloaded"
curl -fsS "$proxy/healthz" >/dev/null || fail "no answer through the proxy"
before="$(curl -fsS "${auth[@]}" "$proxy/_strangler/api/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["revision"])')"
{ cat "$routes_dir/routes.yaml"; echo "# smoke edit"; } > "$routes_dir/routes.yaml.new"
mv "$routes_dir/routes.yaml.new" "$routes_dir/routes.yaml"
for _ in $(seq 1 30); do
  after="$(curl -fsS "${auth[@]}" "$proxy/_strangler/api/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["revision"])')"
  [ "$after" != "$before" ] && break
  sleep 1
done
[ "$after" != "$before" ] || fail "the proxy did not reload the renamed routes.yaml"

step "5. Redis keeps its data across a restart"
compose exec -T redis redis-cli set strangler-smoke:kept yes >/dev/null
compose restart redis >/dev/null
compose up -d --wait redis >/dev/null
[ "$(compose exec -T redis redis-cli get strangler-smoke:kept)" = "yes" ] \
  || fail "Redis lost its data on a restart"

step "6. stopping the proxy drains and exits 0"
compose stop proxy >/dev/null
code="$(docker inspect -f '{{.State.ExitCode}}' "$(compose ps -aq proxy)")"
[ "$code" = 0 ] || fail "the proxy exited $code"

printf '\nok: the compose stack does what the README says\n'
