#!/usr/bin/env bash
# CLIP image-embedding throughput on an NVIDIA GPU (CUDA) against the CPU of the same machine, at
# batch 1, 32 and 256, with the full-size ViT-B/32 (random weights: same cost as the real model).
#
#   bench/gpu.sh                                  # generates target/models/vit-b32-random if missing
#   bench/gpu.sh path/to/clip-vit-base-patch32    # or any model folder (e.g. the real download)
#
# Needs: an NVIDIA driver for CUDA 12 (525 or newer; nvidia-smi works), CUDA 12.x and cuDNN 9.x
# runtime libraries on the library path (or run it inside nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04,
# the base of docker/Dockerfile.gpu), JDK 17+, Maven Central (the build fetches onnxruntime_gpu,
# about 450 MB), and to generate the model python3 with torch and onnx (Debian: python3-torch
# python3-onnx python3-numpy).
#
# Builds with -Pgpu (onnxruntime_gpu), then runs io.multimodalrag.bench.ClipThroughput (a test-scope
# program) which opens the model with ClipModel on CUDA and on the CPU and times VisionTower.embed over
# preprocessed random inputs: images/s per batch size and the CUDA/CPU ratio. When CUDA cannot be
# used it says why (driver, visible device, CUDA/cuDNN libraries) and measures the CPU only.
# Environment: BENCH_BATCHES (default 1,32,256), BENCH_SECONDS (least time per point, default 10),
# BENCH_DEVICES (default cuda,cpu), BENCH_MAVEN_PROFILE (default -Pgpu; empty for a CPU-only
# smoke run). Nothing is contacted but Maven Central.
set -euo pipefail
cd "$(dirname "$0")/.."

model=${1:-target/models/vit-b32-random}
batches=${BENCH_BATCHES:-1,32,256}
seconds=${BENCH_SECONDS:-10}
devices=${BENCH_DEVICES:-cuda,cpu}
profile=${BENCH_MAVEN_PROFILE--Pgpu}

if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/GPU: /'
else
    echo "nvidia-smi not found: no NVIDIA driver here, so CUDA will not be measured" >&2
fi

if [[ ! -f $model/vision_model.onnx && ! -f $model/onnx/vision_model.onnx ]]; then
    echo "generating the full-size ViT-B/32 with random weights into $model (about 600 MB, 20 s)"
    python3 tools/make_clip_model.py --preset vit-b32 --out "$model"
fi

classpath=target/bench.classpath
# shellcheck disable=SC2086 # the profile is one word or none
./mvnw -q -B $profile -DskipTests package dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$classpath"

java_opts=(-Dbench.seconds="$seconds" -Dbench.devices="$devices")
if java -version 2>&1 | grep -qE 'version "(2[2-9]|[3-9][0-9])'; then java_opts+=(--enable-native-access=ALL-UNNAMED); fi
echo "$(nproc) CPU cores, $(java -version 2>&1 | head -1), ONNX Runtime $(grep -o 'onnxruntime[_a-z]*-[0-9.]*\.jar' "$classpath" | head -1)"
java "${java_opts[@]}" -cp "target/test-classes:target/classes:$(cat "$classpath")" \
    io.multimodalrag.bench.ClipThroughput "$model" "$batches"
