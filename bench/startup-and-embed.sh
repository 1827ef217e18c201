#!/usr/bin/env bash
# Start-up time and per-image embedding latency of the packaged service, for one model folder.
#
#   ./mvnw package -DskipTests
#   bench/startup-and-embed.sh src/test/resources/clip-tiny            # the tiny test model
#   /usr/bin/python3 tools/make_clip_model.py --preset vit-b32 --out target/models/vit-b32-random
#   bench/startup-and-embed.sh target/models/vit-b32-random            # full ViT-B/32 shape
#
# Prints: time from process launch to /q/health/ready UP with an empty embedding cache (the demo
# knowledge base is embedded) and again with a warm cache; the knowledge-base embedding rate from
# the service log; and the latency of N sequential POST /v1/embeddings/image calls over loopback
# (decode + preprocess + ONNX Runtime + JSON), cycling through the demo images.
# Only 127.0.0.1 is contacted; requests are bounded by N.
set -euo pipefail
cd "$(dirname "$0")/.."

model=${1:?usage: bench/startup-and-embed.sh MODEL_DIR [REQUESTS]}
requests=${2:-100}
port=${BENCH_PORT:-18080}
jar=target/quarkus-app/quarkus-run.jar
[ -f "$jar" ] || { echo "build first: ./mvnw package -DskipTests" >&2; exit 1; }
work=$(mktemp -d)
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
    echo "port $port is already in use; stop that process or set BENCH_PORT" >&2; exit 1
fi
java_opts=()
if java -version 2>&1 | grep -qE 'version "(2[2-9]|[3-9][0-9])'; then java_opts+=(--enable-native-access=ALL-UNNAMED); fi

now() { date +%s.%N; }

pid=
# Launches the service and waits for readiness; sets $pid and $elapsed (seconds since launch).
start() {
    local log=$1 t0
    t0=$(now)
    java "${java_opts[@]}" -Dquarkus.http.port="$port" -Drag.model.dir="$model" \
        -Drag.model.download.enabled=false -Drag.knowledge-base.cache-dir="$work/cache" \
        -jar "$jar" >"$log" 2>&1 &
    pid=$!
    until curl -sf "http://127.0.0.1:$port/q/health/ready" >/dev/null; do
        kill -0 "$pid" 2>/dev/null || { echo "service died; log:" >&2; tail -20 "$log" >&2; exit 1; }
        sleep 0.05
    done
    elapsed=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
}

stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }

echo "model: $model ($(du -sh "$model" | cut -f1)), $(nproc) cores, $(java -version 2>&1 | head -1)"
start "$work/cold.log"
echo "start-up to ready, empty cache: ${elapsed} s"
grep -o 'embedded [0-9]*/[0-9]* images ([0-9.]* images/s)' "$work/cold.log" | tail -1 | sed 's/^/  knowledge base: /'

images=(image_database/*.jpg image_database/*.png image_database/*.webp)
for ((i = 0; i < 5; i++)); do   # warm-up: JIT, ONNX Runtime's first runs
    curl -sf -o /dev/null -F "image=@${images[i % ${#images[@]}]}" "http://127.0.0.1:$port/v1/embeddings/image"
done
for ((i = 0; i < requests; i++)); do
    curl -sf -o /dev/null -w '%{time_total}\n' -F "image=@${images[i % ${#images[@]}]}" \
        "http://127.0.0.1:$port/v1/embeddings/image"
done | sort -n | awk '{ t[NR] = $1 * 1000; s += $1 * 1000 } END {
    printf "POST /v1/embeddings/image, %d sequential requests: mean %.1f ms, p50 %.1f ms, p95 %.1f ms\n",
        NR, s / NR, t[int(NR * 0.5) + 1], t[int(NR * 0.95) + 1] }'
stop

start "$work/warm.log"
echo "start-up to ready, warm cache: ${elapsed} s"
grep -o 'knowledge base ready: .*' "$work/warm.log" | sed 's/^/  /'
stop
