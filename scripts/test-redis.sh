#!/usr/bin/env bash
# `make test-redis`: the package's redisStore against a real redis-server (Debian's, installed by
# scripts/tools.sh when missing), with node-redis 5 and ioredis 5 (tests/js/redis/package.json,
# installed from its lockfile when missing). The server runs on a free loopback port with no
# persistence and is stopped at the end, whatever happens. Needs pkg/ (built when missing).
# Ends with "N passed, M failed".
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash scripts/tools.sh redis pkg
if [ ! -d tests/js/redis/node_modules/redis ] || [ ! -d tests/js/redis/node_modules/ioredis ]; then
  echo "==> npm ci in tests/js/redis (node-redis 5, ioredis 5)"
  (cd tests/js/redis && npm ci --no-audit --no-fund)
fi

port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
stop() { redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; }
trap stop EXIT
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes >/dev/null
for _ in $(seq 1 100); do
  [ "$(redis-cli -p "$port" ping 2>/dev/null)" = "PONG" ] && break
  sleep 0.05
done
echo "==> $(redis-server --version | cut -d' ' -f1-3) on 127.0.0.1:$port"
start=$(date +%s)
set +e
REDIS_PORT="$port" node tests/js/redis/run.mjs
status=$?
set -e
echo "redis: $(( $(date +%s) - start )) s"
exit "$status"
