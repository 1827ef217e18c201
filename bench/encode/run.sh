#!/usr/bin/env bash
# Encoding throughput and latency of the service against raw ONNX Runtime, float32 and int8.
#
#   bench/encode/run.sh [MODEL_DIR] [SECONDS_PER_LEVEL]
#
# 1. makes what is missing: the full-size ViT-B/32 with random weights (tools/make_clip_model.py),
#    its int8 tower (tools/quantize_vision.py), the packaged service, onnxruntime-node (npm, into
#    target/bench-node, without its install script);
# 2. per variant: the service on 127.0.0.1 with that variant, driven by
#    bench/encode/LoadGenerator.java at concurrency 1, 4 and 16 with the demo images, and raw ONNX
#    Runtime (onnxruntime-node, same model file, same session settings and intra-op threads) at
#    batch 1 and 8, each run right before the service level it is compared with;
# 3. prints the ratios against issue 6's targets.
# The service is warmed up first with BENCH_WARMUP seconds (default 240) of unmeasured load, and each level
# with 50 (c=1), 100 (c=4) or 160 (c=16) unmeasured requests from its own clients on its own connections.
# Load is bounded: at most 2,000 requests and SECONDS_PER_LEVEL (default 30) per level; only
# 127.0.0.1 is contacted. Set BENCH_THREADS to change the intra-op threads (default: nproc).
set -euo pipefail
cd "$(dirname "$0")/../.."

model=${1:-target/models/vit-b32-random}
seconds=${2:-30}
threads=${BENCH_THREADS:-$(nproc)}
port=${BENCH_PORT:-18081}
jar=target/quarkus-app/quarkus-run.jar
node_dir=target/bench-node

[ -f "$model/vision_model.onnx" ] || /usr/bin/python3 tools/make_clip_model.py --preset vit-b32 --out "$model"
[ -f "$model/vision_model_quantized.onnx" ] || /usr/bin/python3 tools/quantize_vision.py "$model/vision_model.onnx"
[ -f "$jar" ] || ./mvnw -q package -DskipTests
if [ ! -d "$node_dir/node_modules/onnxruntime-node" ]; then
    mkdir -p "$node_dir"
    (cd "$node_dir" && npm init -y >/dev/null && npm install --ignore-scripts onnxruntime-node@1.23.2 >/dev/null)
fi
export ORT_NODE_DIR=$PWD/$node_dir/node_modules
if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
    echo "port $port is already in use; stop that process or set BENCH_PORT" >&2; exit 1
fi
# As the container images start it: the Vector API module loaded, for the preprocessing and search kernels.
java_opts=(--add-modules=jdk.incubator.vector)
if java -version 2>&1 | grep -qE 'version "(2[2-9]|[3-9][0-9])'; then java_opts+=(--enable-native-access=ALL-UNNAMED); fi
out=target/bench-encode
mkdir -p "$out"
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null' EXIT
images=(image_database/*.jpg image_database/*.png image_database/*.webp)
json() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" <<<"$1"; }

echo "model: $model, $(nproc) cores, intra-op threads $threads, $(java -version 2>&1 | head -1), node $(node --version)"
echo "load before: $(uptime | sed 's/.*load average/load average/')"
# Each baseline runs right before the service level it is compared with, in ROUNDS rounds
# (default 2), so that both see the same load from the rest of the machine; the service idles
# (no spinning) while onnxruntime-node runs.
rounds=${BENCH_ROUNDS:-2}
ratios=()
for variant in fp32 int8; do
    file=$model/vision_model.onnx
    [ "$variant" = int8 ] && file=$model/vision_model_quantized.onnx
    java "${java_opts[@]}" -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$port" -Drag.model.dir="$model" \
        -Drag.model.variant="$variant" -Drag.model.intra-op-threads="$threads" -Drag.model.download.enabled=false \
        -Drag.knowledge-base.cache-dir="$out/cache" -jar "$jar" >"$out/service-$variant.log" 2>&1 &
    pid=$!
    until curl -sf "http://127.0.0.1:$port/q/health/ready" >/dev/null; do
        kill -0 "$pid" 2>/dev/null || { echo "service died; log:" >&2; tail -20 "$out/service-$variant.log" >&2; exit 1; }
        sleep 0.2
    done
    # Steady state, as a service that has been up for a while: the JIT compiles decoding, preprocessing and the
    # HTTP path during BENCH_WARMUP seconds (default 240) of unmeasured load, 30 s at concurrency 4 and 30 s
    # at 1 in turn, so that both the batched and the lone-image paths are compiled. C2 settles after about
    # four minutes (its CPU per request, minute by minute at concurrency 4: 2.3, 0.7, 0.8, 0.1, 0.02 ms).
    warmed=0
    while ((warmed < ${BENCH_WARMUP:-240})); do
        for c in 4 1; do
            warm=$(java bench/encode/LoadGenerator.java "http://127.0.0.1:$port/v1/embeddings/image" "$c" 100000 30 4 "${images[@]}")
            warmed=$((warmed + 30))
        done
    done
    echo "$variant warm-up (not counted): ${warmed} s, the last 30 s at concurrency 1: $warm"
    target=0.85; [ "$variant" = int8 ] && target=0.7
    for ((round = 1; round <= rounds; round++)); do
        echo "$variant round $round, $(uptime | sed 's/.*load average/load average/')"
        raw1=$(node bench/encode/raw-ort.mjs "$file" 1 "$threads" "$((seconds / 2))")
        echo "  raw onnxruntime-node batch 1: $raw1"
        c1=$(java bench/encode/LoadGenerator.java "http://127.0.0.1:$port/v1/embeddings/image" 1 2000 "$seconds" 50 "${images[@]}")
        echo "  service over HTTP, concurrency 1: $c1"
        raw8=$(node bench/encode/raw-ort.mjs "$file" 8 "$threads" "$((seconds / 2))")
        echo "  raw onnxruntime-node batch 8: $raw8"
        c16=$(java bench/encode/LoadGenerator.java "http://127.0.0.1:$port/v1/embeddings/image" 16 2000 "$seconds" 160 "${images[@]}")
        echo "  service over HTTP, concurrency 16: $c16"
        c4=$(java bench/encode/LoadGenerator.java "http://127.0.0.1:$port/v1/embeddings/image" 4 2000 "$seconds" 100 "${images[@]}")
        echo "  service over HTTP, concurrency 4: $c4"
        ratios+=("$(awk -v v="$variant" -v r="$round" -v t="$target" -v c16="$(json "$c16" imagesPerSecond)" \
            -v r8="$(json "$raw8" imagesPerSecond)" -v c1="$(json "$c1" p50)" -v r1="$(json "$raw1" p50)" 'BEGIN {
            a = c16 / r8; b = c1 / r1
            printf "%s round %d: concurrency 16 / raw batch 8 images/s = %.2f (target >= %.2f: %s); ", v, r, a, t, (a >= t) ? "met" : "missed"
            printf "concurrency 1 p50 / raw batch 1 p50 = %.2f (target <= 1.20: %s)", b, (b <= 1.2) ? "met" : "missed" }')")
    done
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
done
echo "load after: $(uptime | sed 's/.*load average/load average/')"
echo
printf '%s\n' "${ratios[@]}"
