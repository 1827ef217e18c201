#!/usr/bin/env bash
# Resident memory of the packaged service, for sizing Kubernetes requests and limits.
#
#   ./mvnw package -DskipTests
#   /usr/bin/python3 tools/make_clip_model.py --preset vit-b32 --out target/models/vit-b32-random
#   bench/memory.sh target/models/vit-b32-random            # default JVM heap sizing
#   JAVA_HEAP=-Xmx1g bench/memory.sh target/models/vit-b32-random
#   BENCH_IMAGES=big.jpg JAVA_HEAP=-Xmx1g bench/memory.sh target/models/vit-b32-random 4 3
#
# Starts java -jar target/quarkus-app/quarkus-run.jar with an empty embedding cache, waits for
# /q/health/ready (model loaded, demo knowledge base embedded), then sends CONCURRENCY parallel
# streams of POST /v1/embeddings/image and POST /v1/search (REQUESTS each, cycling through the demo
# images). Prints VmRSS (resident now) and VmHWM (peak resident) from /proc/<pid>/status after
# loading and after the load, and the JVM heap in use (jcmd GC.heap_info, when jcmd is there).
# Only 127.0.0.1 is contacted.
set -euo pipefail
cd "$(dirname "$0")/.."

model=${1:?usage: bench/memory.sh MODEL_DIR [CONCURRENCY] [REQUESTS]}
concurrency=${2:-8}
requests=${3:-40}
port=${BENCH_PORT:-18081}
heap=${JAVA_HEAP:-}
jar=target/quarkus-app/quarkus-run.jar
[ -f "$jar" ] || { echo "build first: ./mvnw package -DskipTests" >&2; exit 1; }
if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
    echo "port $port is already in use; stop that process or set BENCH_PORT" >&2; exit 1
fi
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
java_opts=()
[ -n "$heap" ] && java_opts+=("$heap")
if java -version 2>&1 | grep -qE 'version "(2[2-9]|[3-9][0-9])'; then java_opts+=(--enable-native-access=ALL-UNNAMED); fi

mib() { awk -v k="$1" 'BEGIN { printf "%.0f MiB", k / 1024 }'; }
status_kb() { awk -v key="$1:" '$1 == key { print $2 }' "/proc/$pid/status"; }
report() {
    local heap_used=""
    if command -v jcmd >/dev/null 2>&1; then
        heap_used=$(jcmd "$pid" GC.heap_info 2>/dev/null | awk '/used/ { for (i = 1; i <= NF; i++) if ($i == "used") { print $(i + 1); exit } }')
    fi
    printf '%-34s VmRSS %s, VmHWM %s%s\n' "$1" "$(mib "$(status_kb VmRSS)")" "$(mib "$(status_kb VmHWM)")" \
        "${heap_used:+, heap used $heap_used}"
}

echo "model: $model ($(du -sh "$model" | cut -f1)), $(nproc) cores, $(java -version 2>&1 | head -1)${heap:+, $heap}"
java "${java_opts[@]}" -Dquarkus.http.port="$port" -Drag.model.dir="$model" \
    -Drag.model.download.enabled=false -Drag.knowledge-base.cache-dir="$work/cache" \
    -jar "$jar" >"$work/service.log" 2>&1 &
pid=$!
until curl -sf "http://127.0.0.1:$port/q/health/ready" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { echo "service died; log:" >&2; tail -20 "$work/service.log" >&2; exit 1; }
    sleep 0.2
done
report "ready (knowledge base embedded):"

# BENCH_IMAGES: other upload files, space-separated (e.g. one near the rag.image.max-pixels limit).
read -r -a images <<<"${BENCH_IMAGES:-$(echo image_database/*.jpg image_database/*.png image_database/*.webp)}"
stream() {
    local s=$1 i
    for ((i = 0; i < requests; i++)); do
        local image=${images[(s * requests + i) % ${#images[@]}]}
        if ((i % 2 == 0)); then
            curl -s -o /dev/null -w '%{http_code}\n' -F "image=@$image" "http://127.0.0.1:$port/v1/embeddings/image"
        else
            curl -s -o /dev/null -w '%{http_code}\n' -F "image=@$image" -F k=5 "http://127.0.0.1:$port/v1/search"
        fi
    done
}
for ((s = 0; s < concurrency; s++)); do stream "$s" >"$work/codes.$s" & done
wait_streams=$(jobs -p | grep -v "^$pid\$" || true)
for job in $wait_streams; do wait "$job"; done
answers=$(cat "$work"/codes.* | sort | uniq -c | awk '{ printf "%s%s x %s", sep, $2, $1; sep = ", " }')
report "after $concurrency x $requests requests:"
echo "  answers: $answers"
