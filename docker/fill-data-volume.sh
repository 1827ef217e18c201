#!/usr/bin/env bash
# Init container of the Kubernetes Deployment (docker/kubernetes/): fills the shared data volume
# before the service starts, so that the service itself never downloads.
#
#   1. the CLIP model into $RAG_MODEL_DIR, by onnx-models/download.sh (verified, resumable,
#      skips files already there and verified), and with RAG_MODEL_TEXT_TOWER=multilingual the
#      multilingual text tower into $RAG_MODEL_TEXT_DIR: from the pinned manifest
#      $RAG_MODEL_DOWNLOAD_TEXT_MANIFEST when set (a ConfigMap, say), else from the shipped one, which
#      the script resolves through the Hub's API (that needs python3) and pins beside the tower;
#   2. the demo knowledge base beside $RAG_KNOWLEDGE_BASE_DESCRIPTIONS, only when that file does not
#      exist yet (a knowledge base already on the volume is never touched).
#
# Reads the service's own variables (the same ConfigMap feeds both containers): RAG_MODEL_DIR,
# RAG_MODEL_VARIANT, RAG_MODEL_TEXT_TOWER, RAG_MODEL_TEXT_DIR, RAG_MODEL_DOWNLOAD_TEXT_MANIFEST,
# RAG_KNOWLEDGE_BASE_DESCRIPTIONS, RAG_MODEL_DOWNLOAD_BASE_URL (a mirror, as
# HF_ENDPOINT), RAG_MODEL_DOWNLOAD_TOKEN (as HF_TOKEN). DEMO_KNOWLEDGE_BASE: where the image keeps
# the demo (default /deployments/demo-knowledge-base).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The images put download.sh beside this script; the repository keeps it in onnx-models/.
if [[ -f $here/download.sh ]]; then download=$here/download.sh; else download=$here/../onnx-models/download.sh; fi
model_dir=${RAG_MODEL_DIR:?set RAG_MODEL_DIR to the model folder on the data volume}
variant=${RAG_MODEL_VARIANT:-fp32}
descriptions=${RAG_KNOWLEDGE_BASE_DESCRIPTIONS:?set RAG_KNOWLEDGE_BASE_DESCRIPTIONS to description.jsonl on the data volume}
demo=${DEMO_KNOWLEDGE_BASE:-/deployments/demo-knowledge-base}

# Replicas start together on a ReadWriteMany volume and download.sh resumes into one .part file per
# model file, so only one pod may fill the volume at a time. mkdir is atomic on every file system,
# NFS included; a lock older than 30 minutes was left by a pod killed while holding it.
lock="$(dirname "$model_dir")/.fill-data-volume.lock"
mkdir -p "$(dirname "$model_dir")"
until mkdir "$lock" 2>/dev/null; do
    locked_at=$(stat -c %Y "$lock" 2>/dev/null || date +%s)
    if (($(date +%s) - locked_at > 1800)); then
        echo "removing a stale lock $lock (older than 30 minutes)"
        rmdir "$lock" 2>/dev/null || true
        continue
    fi
    echo "another pod is filling the data volume; waiting"
    sleep 5
done
trap 'rmdir "$lock" 2>/dev/null || true' EXIT

export HF_ENDPOINT=${RAG_MODEL_DOWNLOAD_BASE_URL:-${HF_ENDPOINT:-}} HF_TOKEN=${RAG_MODEL_DOWNLOAD_TOKEN:-${HF_TOKEN:-}}
[[ -n $HF_ENDPOINT ]] || unset HF_ENDPOINT
[[ -n $HF_TOKEN ]] || unset HF_TOKEN
bash "$download" --variant "$variant" --dir "$model_dir"
if [[ ${RAG_MODEL_TEXT_TOWER:-clip} == multilingual ]]; then
    text_dir=${RAG_MODEL_TEXT_DIR:?set RAG_MODEL_TEXT_DIR to the multilingual text tower folder on the data volume}
    if [[ -n ${RAG_MODEL_DOWNLOAD_TEXT_MANIFEST:-} ]]; then
        bash "$download" --manifest "$RAG_MODEL_DOWNLOAD_TEXT_MANIFEST" --dir "$text_dir"
    else
        bash "$download" --multilingual --dir "$text_dir"
    fi
fi

kb_dir=$(dirname "$descriptions")
if [[ -e $descriptions ]]; then
    echo "knowledge base: $descriptions is there; left as it is"
elif [[ -f $demo/description.jsonl ]]; then
    mkdir -p "$kb_dir"
    cp -R "$demo"/. "$kb_dir"/
    if [[ $(basename "$descriptions") != description.jsonl ]]; then
        mv "$kb_dir/description.jsonl" "$descriptions"
    fi
    echo "knowledge base: no $descriptions yet; copied the demo knowledge base ($(wc -l <"$descriptions") lines)"
else
    echo "knowledge base: no $descriptions and no demo at $demo; the service will report it in /q/health/ready" >&2
fi
