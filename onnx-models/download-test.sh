#!/usr/bin/env bash
# Tests onnx-models/download.sh against a fake Hugging Face Hub on 127.0.0.1: fake files, a temporary
# manifest with their checksums (given to the script through MODEL_MANIFEST), nothing from the real
# Hub. Needs python3 for the fake server only. Run: bash onnx-models/download-test.sh
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
script="$here/download.sh"
work=$(mktemp -d)
server_pids=()
cleanup() {
    for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0
check() { # description, then a command that must succeed
    local what=$1; shift
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what" >&2; fi
}
contains() { grep -qF -- "$2" "$1"; }
lacks() { ! grep -qF -- "$2" "$1"; }

# --- the fake hub ------------------------------------------------------------------------------
# /<repo>/resolve/<rev>/<path>: .onnx files answer 302 to http://localhost:<port>/cdn/<path> with
# X-Linked-Etag (sha256),
# as the Hub does for LFS files; other files answer 200 with ETag = git blob SHA-1. /cdn/ serves
# bytes with Range support (unless --no-range). The API answers /api/models/<repo>/revision/<rev> with
# the commit $FAKE_COMMIT, and /api/models/<repo>/tree/<rev>/<folder>?recursive=true with the files
# under that folder (a wrong sha256 for those named in $root/.list-wrong), two to a page, linked by a Link header as the Hub pages. Each request is logged as
# "METHOD PATH RANGE AUTHORIZATION". Files named in $root/.publish-wrong get a wrong checksum header.
cat >"$work/fake_hub.py" <<'PY'
import hashlib, http.server, os, sys

root, log_path, port_file = sys.argv[1], sys.argv[2], sys.argv[3]
ranges = "--no-range" not in sys.argv

class Hub(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self.answer(body=False)

    def do_GET(self):
        self.answer(body=True)

    def answer(self, body):
        path = self.path.split("?")[0]
        with open(log_path, "a") as log:
            log.write("%s %s %s %s\n" % (self.command, path, self.headers.get("Range", "-"),
                                         self.headers.get("Authorization", "-").replace(" ", "_")))
        wrong = set()
        if os.path.exists(os.path.join(root, ".publish-wrong")):
            wrong = set(open(os.path.join(root, ".publish-wrong")).read().split())
        if path.startswith("/cdn/"):
            return self.send_file(path[len("/cdn/"):], body, {})
        if path.startswith("/api/models/"):
            return self.api(path[len("/api/models/"):], body)
        parts = path.lstrip("/").split("/", 4)
        if len(parts) < 5 or parts[2] != "resolve":
            return self.fail(404)
        rel = parts[4]
        file = os.path.join(root, rel)
        if not os.path.isfile(file):
            return self.fail(404)
        data = open(file, "rb").read()
        if rel.endswith(".onnx"):
            sha = hashlib.sha256(b"wrong" if rel in wrong else data).hexdigest()
            self.send_response(302)
            # another host name for the same server, as the Hub's CDN is another host
            cdn = "http://localhost:%d" % self.server.server_address[1]
            self.send_header("Location", cdn + "/cdn/" + rel + "?signature=xyz")
            self.send_header("X-Linked-Etag", '"%s"' % sha)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        blob = b"wrong" if rel in wrong else data
        sha1 = hashlib.sha1(b"blob %d\0" % len(blob) + blob).hexdigest()
        self.send_file(rel, body, {"ETag": '"%s"' % sha1})

    def send_file(self, rel, body, headers):
        file = os.path.join(root, rel)
        if not os.path.isfile(file):
            return self.fail(404)
        data = open(file, "rb").read()
        start = 0
        rng = self.headers.get("Range")
        if ranges and rng and rng.startswith("bytes="):
            start = int(rng[len("bytes="):].split("-")[0])
            if start >= len(data):
                return self.fail(416)
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        else:
            self.send_response(200)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        if body:
            self.wfile.write(data[start:])

    def api(self, rest, body):
        import json, urllib.parse
        parts = rest.split("/", 4)
        if len(parts) >= 4 and parts[2] == "revision":
            return self.send_json({"id": parts[0] + "/" + parts[1], "sha": os.environ["FAKE_COMMIT"]}, body, {})
        if len(parts) < 5 or parts[2] != "tree":
            return self.fail(404)
        folder = parts[4]
        listing = []
        for dirpath, _, names in os.walk(os.path.join(root, folder)):
            for n in sorted(names):
                rel = os.path.relpath(os.path.join(dirpath, n), root)
                data = open(os.path.join(root, rel), "rb").read()
                item = {"type": "file", "path": rel, "size": len(data),
                        "oid": hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()}
                if not rel.endswith(".json"):
                    listed = os.path.join(root, ".list-wrong")
                    wrong = os.path.exists(listed) and rel in open(listed).read().split()
                    item["lfs"] = {"oid": hashlib.sha256(b"wrong" if wrong else data).hexdigest(), "size": len(data)}
                listing.append(item)
        listing.append({"type": "directory", "path": folder + "/sub", "oid": "0" * 40, "size": 0})
        listing.sort(key=lambda item: item["path"])
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        cursor = int(query.get("cursor", ["0"])[0])
        headers = {}
        if cursor + 2 < len(listing):
            headers["Link"] = '<http://127.0.0.1:%d/api/models/%s?recursive=true&cursor=%d>; rel="next"' % (
                self.server.server_address[1], rest, cursor + 2)
        return self.send_json(listing[cursor:cursor + 2], body, headers)

    def send_json(self, value, body, headers):
        import json
        data = json.dumps(value).encode()
        self.send_response(200)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def fail(self, status):
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hub)
with open(port_file, "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
PY

start_hub() { # root, log, extra args...; sets $endpoint to the server's URL
    local root=$1 log=$2; shift 2
    rm -f "$work/port"
    python3 "$work/fake_hub.py" "$root" "$log" "$work/port" "$@" >>"$work/server.out" 2>&1 &
    server_pids+=($!)
    for _ in $(seq 50); do [[ -s $work/port ]] && break; sleep 0.1; done
    [[ -s $work/port ]] || { cat "$work/server.out" >&2; exit 1; }
    endpoint="http://127.0.0.1:$(cat "$work/port")"
}

# --- fake model --------------------------------------------------------------------------------
files="$work/files"
mkdir -p "$files/onnx"
head -c 3000000 /dev/urandom >"$files/onnx/vision_model.onnx"
head -c 1000000 /dev/urandom >"$files/onnx/text_model.onnx"
head -c 700000 /dev/urandom >"$files/onnx/vision_model_quantized.onnx"
head -c 400000 /dev/urandom >"$files/onnx/text_model_quantized.onnx"
printf '{"model": "fake"}\n' >"$files/tokenizer.json"
printf '{"crop_size": 224}\n' >"$files/preprocessor_config.json"

make_manifest() { # pinned|unpinned, output
    local mode=$1 out=$2 t=$'\t'
    {
        echo "# fake manifest for download-test.sh; checksums of random test files, not of any model"
        echo "name${t}fake-clip"
        echo "repo${t}test/fake-clip"
        echo "revision${t}0000000000000000000000000000000000000001"
        echo "endpoint${t}http://127.0.0.1:9"
        echo "url${t}{endpoint}/{repo}/resolve/{revision}/{path}"
        echo "default_variant${t}fp32"
        local row
        for row in fp32:vision:onnx/vision_model.onnx fp32:text:onnx/text_model.onnx \
            int8:vision:onnx/vision_model_quantized.onnx int8:text:onnx/text_model_quantized.onnx \
            all:tokenizer:tokenizer.json all:preprocessor_config:preprocessor_config.json; do
            IFS=: read -r v role p <<<"$row"
            local size sha
            size=$(wc -c <"$files/$p"); size=$((size))
            sha=$(sha256sum "$files/$p" | cut -d' ' -f1)
            [[ $mode == unpinned ]] && sha=-
            echo "file${t}$v${t}$role${t}$p${t}$p${t}$size${t}$sha"
        done
    } >"$out"
}

make_manifest pinned "$work/pinned.tsv"
make_manifest unpinned "$work/unpinned.tsv"
start_hub "$files" "$work/hub.log"
hub=$endpoint
run() { # log file, then arguments; returns the script's status
    local out=$1; shift
    local status=0
    HF_ENDPOINT=$hub bash "$script" "$@" >"$out" 2>&1 || status=$?
    return $status
}
same() { cmp -s "$files/$2" "$1/$2"; }
no_parts() { [[ -z $(find "$1" -name '*.part' 2>/dev/null) ]]; }

# 1. fresh download of fp32, with a token: everything verified, only fp32 and shared files.
d="$work/m1"; : >"$work/hub.log"
check "fresh download succeeds" env MODEL_MANIFEST="$work/pinned.tsv" HF_TOKEN=hf_test_secret \
    bash -c "HF_ENDPOINT=$hub bash '$script' --dir '$d' >'$work/o1' 2>&1"
for p in onnx/vision_model.onnx onnx/text_model.onnx tokenizer.json preprocessor_config.json; do
    check "fp32 file $p downloaded intact" same "$d" "$p"
done
check "int8 tower not downloaded" test ! -e "$d/onnx/vision_model_quantized.onnx"
check "no .part left" no_parts "$d"
check "token sent to the hub" grep -q "GET /test/fake-clip/resolve/.* Bearer_hf_test_secret" "$work/hub.log"
check "token never sent to the CDN" bash -c "! grep '^GET /cdn/' '$work/hub.log' | grep -q Bearer"
check "token never printed" lacks "$work/o1" hf_test_secret
check "says files are verified" contains "$work/o1" "onnx/vision_model.onnx: verified"

# 2. run again: nothing fetched.
: >"$work/hub.log"
check "second run succeeds" run "$work/o2" --manifest "$work/pinned.tsv" --dir "$d"
check "second run skips verified files" contains "$work/o2" "onnx/vision_model.onnx: already there, verified"
check "second run fetches nothing" test ! -s "$work/hub.log"

# 3. resume: half a vision tower in .part, the rest is fetched with a Range request.
rm "$d/onnx/vision_model.onnx"
head -c 1500000 "$files/onnx/vision_model.onnx" >"$d/onnx/vision_model.onnx.part"
: >"$work/hub.log"
check "resumed download succeeds" run "$work/o3" --manifest "$work/pinned.tsv" --dir "$d"
check "resume asks for the rest only" grep -q "^GET /cdn/onnx/vision_model.onnx bytes=1500000-" "$work/hub.log"
check "resumed file intact" same "$d" onnx/vision_model.onnx
check "no .part after resume" no_parts "$d"

# 4. a server without Range support: the script starts the file again.
start_hub "$files" "$work/plain.log" --no-range
plain=$endpoint
rm "$d/onnx/text_model.onnx"
head -c 1000 "$files/onnx/text_model.onnx" >"$d/onnx/text_model.onnx.part"
check "download from a server without ranges succeeds" \
    bash -c "MODEL_MANIFEST='$work/pinned.tsv' HF_ENDPOINT=$plain bash '$script' --dir '$d' >'$work/o4' 2>&1"
check "file intact after starting again" same "$d" onnx/text_model.onnx

# 5. a corrupt .part of the right size is discarded, and the next run succeeds.
rm "$d/onnx/text_model.onnx"
head -c 1000000 /dev/zero >"$d/onnx/text_model.onnx.part"
check "corrupt download fails" bash -c "! MODEL_MANIFEST='$work/pinned.tsv' HF_ENDPOINT=$hub bash '$script' --dir '$d' >'$work/o5' 2>&1"
check "corrupt download reported" contains "$work/o5" "checksum mismatch, download discarded"
check "corrupt file not in place" test ! -e "$d/onnx/text_model.onnx"
check "corrupt .part removed" no_parts "$d"
check "next run repairs it" run "$work/o5b" --manifest "$work/pinned.tsv" --dir "$d"
check "repaired file intact" same "$d" onnx/text_model.onnx

# 6. a replaced file on disk (right size, wrong bytes) is downloaded again.
head -c 1000000 /dev/zero >"$d/onnx/text_model.onnx"
check "run with a damaged file succeeds" run "$work/o6" --manifest "$work/pinned.tsv" --dir "$d"
check "damaged file replaced" same "$d" onnx/text_model.onnx

# 7. --verify.
check "--verify passes on a good folder" run "$work/o7" --manifest "$work/pinned.tsv" --dir "$d" --verify
head -c 1000000 /dev/zero >"$d/onnx/text_model.onnx"
check "--verify fails on a damaged file" bash -c "! bash '$script' --manifest '$work/pinned.tsv' --dir '$d' --verify >'$work/o7b' 2>&1"
check "--verify names the damaged file" contains "$work/o7b" "onnx/text_model.onnx: sha256"

# 8. the int8 variant; an unknown variant.
d8="$work/m8"
check "int8 download succeeds" run "$work/o8" --manifest "$work/pinned.tsv" --dir "$d8" --variant int8
check "int8 vision tower intact" same "$d8" onnx/vision_model_quantized.onnx
check "int8 text tower intact" same "$d8" onnx/text_model_quantized.onnx
check "fp32 tower not in int8 folder" test ! -e "$d8/onnx/vision_model.onnx"
check "unknown variant refused" bash -c "! bash '$script' --manifest '$work/pinned.tsv' --dir '$d8' --variant fp16 >'$work/o8b' 2>&1"
check "unknown variant names the known ones" contains "$work/o8b" "unknown variant 'fp16'; fake-clip has: fp32 int8"

# 9. a pinned checksum that does not match what the server sends.
sed 's/\(vision_model\.onnx\t[0-9]*\t\)[0-9a-f]*/\1'"$(printf 'f%.0s' $(seq 64))"'/' "$work/pinned.tsv" >"$work/wrong.tsv"
d9="$work/m9"
check "wrong pinned checksum fails" bash -c "! MODEL_MANIFEST='$work/wrong.tsv' HF_ENDPOINT=$hub bash '$script' --dir '$d9' >'$work/o9' 2>&1"
check "wrong checksum reported" contains "$work/o9" "is not the pinned ffff"
check "nothing left under the final name" test ! -e "$d9/onnx/vision_model.onnx"
check "no .part after mismatch" no_parts "$d9"

# 10. a file missing from the server.
sed 's#onnx/text_model.onnx\tonnx/text_model.onnx#onnx/missing.onnx\tonnx/text_model.onnx#' "$work/pinned.tsv" >"$work/missing.tsv"
check "404 fails" bash -c "! MODEL_MANIFEST='$work/missing.tsv' HF_ENDPOINT=$hub bash '$script' --dir '$work/m10' >'$work/o10' 2>&1"
check "404 names the file and what to do" contains "$work/o10" "onnx/missing.onnx: download from $hub/test/fake-clip/resolve/0000000000000000000000000000000000000001/onnx/missing.onnx failed"

# 11. unpinned manifest: verified against what the server publishes, refused when it differs.
d11="$work/m11"
check "unpinned download succeeds" run "$work/o11" --manifest "$work/unpinned.tsv" --dir "$d11"
check "unpinned vision tower intact (X-Linked-Etag)" same "$d11" onnx/vision_model.onnx
check "unpinned tokenizer intact (git blob ETag)" same "$d11" tokenizer.json
check "unpinned rerun verifies against the server" run "$work/o11b" --manifest "$work/unpinned.tsv" --dir "$d11"
check "unpinned rerun skips" contains "$work/o11b" "tokenizer.json: already there, verified"
printf 'onnx/text_model.onnx\ntokenizer.json\n' >"$files/.publish-wrong"
d11c="$work/m11c"
check "unpinned download with a wrong published sha256 fails" \
    bash -c "! MODEL_MANIFEST='$work/unpinned.tsv' HF_ENDPOINT=$hub bash '$script' --dir '$d11c' >'$work/o11c' 2>&1"
check "wrong published sha256 reported" contains "$work/o11c" "the server publishes"
check "no unverified file in place" test ! -e "$d11c/onnx/text_model.onnx"
rm "$files/.publish-wrong"

# 12. a manifest with a target outside the model folder is refused.
sed 's#\ttokenizer.json\ttokenizer.json#\ttokenizer.json\t../escape.json#' "$work/pinned.tsv" >"$work/escape.tsv"
check "target outside the folder refused" bash -c "! bash '$script' --manifest '$work/escape.tsv' --dir '$work/m12' >'$work/o12' 2>&1"
check "nothing written outside" test ! -e "$work/escape.json"

# 13. --list prints URLs of the pinned revision.
check "--list works" run "$work/o13" --manifest "$work/pinned.tsv" --list --variant int8
check "--list prints the int8 vision URL" contains "$work/o13" "$hub/test/fake-clip/resolve/0000000000000000000000000000000000000001/onnx/vision_model_quantized.onnx"

# 14. the real manifest parses, and lists the pinned Hugging Face URLs.
check "real manifest lists fp32" bash -c "bash '$script' --list >'$work/o14' 2>&1"
check "real manifest URL" contains "$work/o14" "https://huggingface.co/Xenova/clip-vit-base-patch32/resolve/d15189d7028b43f1d3e65039190477f6af591c2a/onnx/vision_model.onnx"

# 15. a manifest naming a branch and listing a folder (as the multilingual tower's does): the branch is
# resolved to its commit, every file the API lists (over several pages) is fetched from that commit
# and verified, and a pinned manifest is written that later runs follow without the API.
export FAKE_COMMIT=00000000000000000000000000000000000000f5
tree_files="$work/tree"
mkdir -p "$tree_files/textual/sub"
head -c 500000 /dev/urandom >"$tree_files/textual/model.onnx"
head -c 300000 /dev/urandom >"$tree_files/textual/onnx::MatMul_1234"
head -c 200000 /dev/urandom >"$tree_files/textual/sub/embeddings.weight"
printf '{"model": {"type": "Unigram"}}\n' >"$tree_files/textual/tokenizer.json"
head -c 100 /dev/urandom >"$tree_files/elsewhere.bin"
start_hub "$tree_files" "$work/tree.log"
tree_hub=$endpoint
t=$'\t'
{
    echo "name${t}fake-tower"
    echo "repo${t}test/fake-tower"
    echo "revision${t}main"
    echo "endpoint${t}http://127.0.0.1:9"
    echo "url${t}{endpoint}/{repo}/resolve/{revision}/{path}"
    echo "default_variant${t}fp32"
    echo "tree${t}fp32${t}textual${t}textual${t}textual"
} >"$work/tree.tsv"
d15="$work/m15"
check "a branch and a folder download" bash -c "HF_ENDPOINT=$tree_hub bash '$script' --manifest '$work/tree.tsv' --dir '$d15' >'$work/o15' 2>&1"
for p in textual/model.onnx "textual/onnx::MatMul_1234" textual/sub/embeddings.weight textual/tokenizer.json; do
    check "listed file $p intact" cmp -s "$tree_files/$p" "$d15/$p"
done
check "nothing outside the folder" test ! -e "$d15/elsewhere.bin"
check "the branch is named as its commit" contains "$work/o15" "Revision main of test/fake-tower is commit $FAKE_COMMIT"
check "files come from the commit" bash -c "grep '/resolve/' '$work/tree.log' | grep -qv '/resolve/$FAKE_COMMIT/' && exit 1 || exit 0"
check "every page is read" bash -c "[[ \$(grep -c '^GET /api/models/test/fake-tower/tree/' '$work/tree.log') -eq 3 ]]"
pinned15="$d15/pinned.manifest.tsv"
check "a pinned manifest is written" test -s "$pinned15"
check "it pins the commit" grep -q "^revision${t}$FAKE_COMMIT\$" "$pinned15"
check "it pins each file's sha256" grep -qF "file${t}fp32${t}textual${t}textual/onnx::MatMul_1234${t}textual/onnx::MatMul_1234${t}300000${t}$(sha256sum "$tree_files/textual/onnx::MatMul_1234" | cut -d' ' -f1)" "$pinned15"
check "and the small git file's" grep -qF "textual/tokenizer.json${t}$(wc -c <"$tree_files/textual/tokenizer.json" | tr -d ' ')${t}$(sha256sum "$tree_files/textual/tokenizer.json" | cut -d' ' -f1)" "$pinned15"
check "the pinned manifest verifies the folder" run "$work/o15b" --manifest "$pinned15" --dir "$d15" --verify
: >"$work/tree.log"
d15c="$work/m15c"
check "the pinned manifest downloads on another machine" \
    bash -c "HF_ENDPOINT=$tree_hub bash '$script' --manifest '$pinned15' --dir '$d15c' >'$work/o15c' 2>&1"
check "without the API" bash -c "! grep -q '^GET /api/' '$work/tree.log'"
check "the same bytes" cmp -s "$tree_files/textual/sub/embeddings.weight" "$d15c/textual/sub/embeddings.weight"
check "and writes no pin of its own" test ! -e "$d15c/pinned.manifest.tsv"
check "--verify refuses a folder line" bash -c "! bash '$script' --manifest '$work/tree.tsv' --dir '$d15' --verify >'$work/o15d' 2>&1"
check "and says what to verify with" contains "$work/o15d" "pinned.manifest.tsv --verify"
printf 'textual/sub/embeddings.weight\n' >"$tree_files/.list-wrong"   # the API lists another sha256
d15e="$work/m15e"
check "a file whose bytes are not those the API lists is refused" \
    bash -c "! HF_ENDPOINT=$tree_hub bash '$script' --manifest '$work/tree.tsv' --dir '$d15e' >'$work/o15e' 2>&1"
check "as a mismatch" contains "$work/o15e" "checksum mismatch, download discarded"
check "not in place" test ! -e "$d15e/textual/sub/embeddings.weight"
check "and no pin written" test ! -e "$d15e/pinned.manifest.tsv"
rm "$tree_files/.list-wrong"
# the multilingual tower's own manifest parses and names its folder
check "--multilingual lists the tower's folder" bash -c "bash '$script' --multilingual --list >'$work/o15f' 2>&1"
check "from Immich's export" contains "$work/o15f" "https://huggingface.co/immich-app/XLM-Roberta-Large-Vit-B-32/resolve/main/textual/"

# 16. the Kubernetes init container (docker/fill-data-volume.sh) fills a volume with the CLIP model and,
# with RAG_MODEL_TEXT_TOWER=multilingual, the text tower from the pinned manifest given to it.
volume="$work/volume"
cp -R "$files"/. "$tree_files"/   # one mirror serves both, as one base URL does in the cluster
check "the init container fills the volume" env -u HF_ENDPOINT MODEL_MANIFEST="$work/pinned.tsv" \
    RAG_MODEL_DIR="$volume/model" RAG_KNOWLEDGE_BASE_DESCRIPTIONS="$volume/kb/description.jsonl" \
    RAG_MODEL_TEXT_TOWER=multilingual RAG_MODEL_TEXT_DIR="$volume/text" RAG_MODEL_DOWNLOAD_TEXT_MANIFEST="$pinned15" \
    RAG_MODEL_DOWNLOAD_BASE_URL="$tree_hub" DEMO_KNOWLEDGE_BASE="$work/no-demo" \
    bash -c "bash '$here/../docker/fill-data-volume.sh' >'$work/o16' 2>&1"
check "with the text tower" cmp -s "$tree_files/textual/model.onnx" "$volume/text/textual/model.onnx"
check "and the CLIP model" test -s "$volume/model/onnx/vision_model.onnx"
check "a second fill fetches nothing new" env MODEL_MANIFEST="$work/pinned.tsv" \
    RAG_MODEL_DIR="$volume/model" RAG_KNOWLEDGE_BASE_DESCRIPTIONS="$volume/kb/description.jsonl" \
    RAG_MODEL_TEXT_TOWER=multilingual RAG_MODEL_TEXT_DIR="$volume/text" RAG_MODEL_DOWNLOAD_TEXT_MANIFEST="$pinned15" \
    RAG_MODEL_DOWNLOAD_BASE_URL="$tree_hub" DEMO_KNOWLEDGE_BASE="$work/no-demo" \
    bash -c "bash '$here/../docker/fill-data-volume.sh' >'$work/o16b' 2>&1"
check "the tower is verified in place" contains "$work/o16b" "textual/model.onnx: already there, verified"

echo "$passed passed, $failed failed"
((failed == 0))
