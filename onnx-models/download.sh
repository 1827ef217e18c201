#!/usr/bin/env bash
# Downloads the CLIP ViT-B/32 ONNX model that multimodal-rag runs, as the manifest lists it
# (src/main/resources/model/clip-vit-base-patch32.manifest.tsv, the one list the service's own
# downloader reads too), and verifies every file's SHA-256 before moving it into place. With
# --multilingual, the multilingual text tower instead (onnx-models/XLM-Roberta-Large-Vit-B-32.manifest.tsv).
#
# Needs bash, curl (or wget, without HF_TOKEN) and sha256sum (or shasum); python3 as well for a
# manifest that names a branch or lists a folder, which is resolved through the Hub's API. Resumable:
# an interrupted download continues from its .part file. Idempotent: files already there and
# verified are skipped. See onnx-models/README.md.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
    cat <<EOF
Usage: ${0##*/} [--variant fp32|int8] [--dir DIR] [--manifest FILE | --multilingual] [--pin FILE]
       [--verify | --list]

Downloads the model files of one variant into DIR and checks their SHA-256.

  --variant V      fp32 (float32 towers, default) or int8 (quantised towers)
  --dir DIR        model folder (default: $script_dir/<model name>, the service's
                   default rag.model.dir (or rag.model.text-dir) when it runs from the
                   repository root)
  --manifest FILE  manifest to follow (default: \$MODEL_MANIFEST, else the service's own)
  --multilingual   follow the multilingual text tower's manifest
                   ($script_dir/XLM-Roberta-Large-Vit-B-32.manifest.tsv)
  --pin FILE       where to write the pinned manifest of what was downloaded (default, for a
                   manifest naming a branch, a folder or an unknown checksum:
                   DIR/pinned.manifest.tsv): the commit, and every file with its size and sha256
  --verify         download nothing; check the files already in DIR (exit 1 if any is bad)
  --list           print the files, sizes, checksums and URLs of the variant, and exit
  -h, --help       this text

Environment:
  HF_ENDPOINT      mirror with the Hugging Face Hub's layout (default: the manifest's endpoint,
                   https://huggingface.co)
  HF_TOKEN         access token, sent as "Authorization: Bearer" to HF_ENDPOINT only (needs curl)
  MODEL_MANIFEST   manifest to follow, when --manifest is not given
EOF
}

die() { printf '%s: %s\n' "${0##*/}" "$*" >&2; exit 1; }
say() { printf '%s\n' "$*"; }

variant=""
model_dir=""
manifest="${MODEL_MANIFEST:-$script_dir/../src/main/resources/model/clip-vit-base-patch32.manifest.tsv}"
mode=download
pin_file=""
while (($#)); do
    case "$1" in
        --variant) [[ $# -ge 2 ]] || die "--variant needs a value"; variant=$2; shift 2 ;;
        --variant=*) variant=${1#*=}; shift ;;
        --dir) [[ $# -ge 2 ]] || die "--dir needs a value"; model_dir=$2; shift 2 ;;
        --dir=*) model_dir=${1#*=}; shift ;;
        --manifest) [[ $# -ge 2 ]] || die "--manifest needs a value"; manifest=$2; shift 2 ;;
        --manifest=*) manifest=${1#*=}; shift ;;
        --multilingual) manifest=$script_dir/XLM-Roberta-Large-Vit-B-32.manifest.tsv; shift ;;
        --pin) [[ $# -ge 2 ]] || die "--pin needs a value"; pin_file=$2; shift 2 ;;
        --pin=*) pin_file=${1#*=}; shift ;;
        --verify) mode=verify; shift ;;
        --list) mode=list; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done

# --- tools ------------------------------------------------------------------------------------

if command -v sha256sum >/dev/null 2>&1; then
    sha256_of() { sha256sum "$1" | cut -d' ' -f1; }
elif command -v shasum >/dev/null 2>&1; then
    sha256_of() { shasum -a 256 "$1" | cut -d' ' -f1; }
else
    die "needs sha256sum (coreutils) or shasum"
fi
if command -v sha1sum >/dev/null 2>&1; then
    sha1_stdin() { sha1sum | cut -d' ' -f1; }
else
    sha1_stdin() { shasum -a 1 | cut -d' ' -f1; }
fi
if command -v curl >/dev/null 2>&1; then
    fetcher=curl
elif command -v wget >/dev/null 2>&1; then
    fetcher=wget
else
    fetcher=none
fi

size_of() { local n; n=$(wc -c <"$1"); echo $((n)); }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }

# The Hub stores small files in git: their ETag is the git blob SHA-1 of the content.
git_blob_sha1_of() { { printf 'blob %s\0' "$(size_of "$1")"; cat "$1"; } | sha1_stdin; }

# --- manifest ---------------------------------------------------------------------------------

[[ -f $manifest ]] || die "manifest $manifest not found (give one with --manifest or MODEL_MANIFEST)"

name="" repo="" revision="" endpoint="" url_template="" default_variant=""
files=()       # one "variant<TAB>role<TAB>path<TAB>target<TAB>size<TAB>sha256" per file
trees=()       # one "variant<TAB>role<TAB>folder<TAB>target folder" per folder listed at download time
safe_path='^[A-Za-z0-9_][A-Za-z0-9._:-]*(/[A-Za-z0-9_][A-Za-z0-9._:-]*)*$'
line_no=0
while IFS= read -r line || [[ -n $line ]]; do
    line_no=$((line_no + 1))
    line=${line%$'\r'}
    [[ -z ${line//[[:space:]]/} || $line == \#* ]] && continue
    IFS=$'\t' read -r -a f <<<"$line"
    where="$manifest line $line_no"
    case "${f[0]}" in
        name) name=${f[1]:-} ;;
        repo) repo=${f[1]:-} ;;
        revision) revision=${f[1]:-} ;;
        endpoint) endpoint=${f[1]:-} ;;
        url) url_template=${f[1]:-} ;;
        default_variant) default_variant=${f[1]:-} ;;
        file)
            [[ ${#f[@]} -eq 7 ]] || die "$where: a file line has 7 tab-separated fields"
            [[ ${f[3]} =~ $safe_path && ${f[4]} =~ $safe_path ]] \
                || die "$where: path and target must be relative paths without '..'"
            [[ ${f[5]} == - || ${f[5]} =~ ^[0-9]+$ ]] || die "$where: size is a number of bytes or '-'"
            [[ ${f[6]} == - || ${f[6]} =~ ^[0-9a-f]{64}$ ]] || die "$where: sha256 is 64 lower-case hex digits or '-'"
            files+=("${f[1]}"$'\t'"${f[2]}"$'\t'"${f[3]}"$'\t'"${f[4]}"$'\t'"${f[5]}"$'\t'"${f[6]}")
            ;;
        tree)
            [[ ${#f[@]} -eq 5 ]] || die "$where: a tree line has 5 tab-separated fields"
            [[ ${f[3]} =~ $safe_path && ${f[4]} =~ $safe_path ]] \
                || die "$where: folder and target must be relative paths without '..'"
            trees+=("${f[1]}"$'\t'"${f[2]}"$'\t'"${f[3]}"$'\t'"${f[4]}")
            ;;
        *) die "$where: unknown key '${f[0]}'" ;;
    esac
done <"$manifest"
[[ -n $name && -n $repo && -n $revision && -n $endpoint && -n $url_template && -n $default_variant ]] \
    || die "$manifest: name, repo, revision, endpoint, url and default_variant are all needed"

variant=${variant:-$default_variant}
selected=()
known_variants=""
selected_trees=()
for entry in "${files[@]}" "${trees[@]}"; do
    v=${entry%%$'\t'*}
    [[ $v != all && " $known_variants " != *" $v "* ]] && known_variants="${known_variants:+$known_variants }$v"
done
[[ " $known_variants " == *" $variant "* ]] || die "unknown variant '$variant'; $name has: $known_variants"
for entry in "${files[@]}"; do
    v=${entry%%$'\t'*}
    [[ $v == all || $v == "$variant" ]] && selected+=("$entry")
done
for entry in "${trees[@]}"; do
    v=${entry%%$'\t'*}
    [[ $v == all || $v == "$variant" ]] && selected_trees+=("$entry")
done

model_dir=${model_dir:-$script_dir/$name}
base=${HF_ENDPOINT:-$endpoint}
base=${base%/}
revision_in_url=${revision//\//%2F}

url_of() {
    local u=$url_template
    u=${u//\{endpoint\}/$base}
    u=${u//\{repo\}/$repo}
    u=${u//\{revision\}/$revision_in_url}
    u=${u//\{path\}/$1}
    printf '%s' "$u"
}

# --- HTTP -------------------------------------------------------------------------------------

token=${HF_TOKEN:-}
if [[ -n $token && $fetcher == wget ]]; then
    die "HF_TOKEN needs curl: curl sends the token to HF_ENDPOINT only, wget may pass it on to the CDN it redirects to"
fi

# curl reads the token from a config on stdin, so that it never shows in the process list; curl
# itself drops a custom Authorization header when a redirect leads to another host.
curl_config() {
    [[ -n $token ]] || return 0
    local escaped=${token//\\/\\\\}
    escaped=${escaped//\"/\\\"}
    printf 'header = "Authorization: Bearer %s"\n' "$escaped"
}

# Prints "sha256 HEX" or "gitsha1 HEX" as the server publishes it for a file (the Hub's answer
# itself, before any redirect to a CDN), or nothing.
published_checksum() {
    local url=$1 headers status linked etag
    if [[ $fetcher == curl ]]; then
        headers=$(curl_config | curl -K - -sS -I --max-redirs 0 --connect-timeout 30 --max-time 60 "$url" 2>/dev/null) || true
    else
        headers=$(wget -S --spider --max-redirect=0 --timeout=60 "$url" 2>&1 | sed 's/^ *//') || true
    fi
    headers=$(printf '%s\n' "$headers" | tr -d '\r')
    status=$(printf '%s\n' "$headers" | awk '/^HTTP\//{ s = $2 } END { print s }')
    linked=$(printf '%s\n' "$headers" | awk -F': *' 'tolower($1) == "x-linked-etag" { print $2; exit }')
    etag=$(printf '%s\n' "$headers" | awk -F': *' 'tolower($1) == "etag" { print $2; exit }')
    linked=$(printf '%s' "${linked#W/}" | tr -d '"' | tr 'A-F' 'a-f')
    etag=$(printf '%s' "${etag#W/}" | tr -d '"' | tr 'A-F' 'a-f')
    if [[ $linked =~ ^[0-9a-f]{64}$ ]]; then
        echo "sha256 $linked"
    elif [[ $etag =~ ^[0-9a-f]{64}$ ]]; then
        echo "sha256 $etag"
    elif [[ $status == 200 && $etag =~ ^[0-9a-f]{40}$ ]]; then
        echo "gitsha1 $etag"
    fi
}

# Appends the body of $1 to $2 from where $2 ends (resuming); returns the fetcher's status.
fetch_into() {
    local url=$1 part=$2 progress=(-sS)
    [[ -t 2 ]] && progress=(--progress-bar)
    if [[ $fetcher == curl ]]; then
        curl_config | curl -K - "${progress[@]}" --fail --location --max-redirs 10 \
            --connect-timeout 30 --speed-limit 1 --speed-time 60 \
            --retry 3 --retry-delay 2 --continue-at - --output "$part" "$url"
    else
        wget -q --show-progress --tries=3 --timeout=60 --continue -O "$part" "$url"
    fi
}

# --- revision and folders, from the Hub's API ---------------------------------------------------

# Prints the body of an API URL ($1); with $2, writes the response headers there (curl only).
api_get() {
    local url=$1 headers=${2:-/dev/null}
    if [[ $fetcher == curl ]]; then
        curl_config | curl -K - -sS --fail --location --max-redirs 5 --connect-timeout 30 --max-time 120 \
            -D "$headers" "$url"
    else
        wget -q --timeout=60 -O - "$url"
    fi
}

need_python() {
    command -v python3 >/dev/null 2>&1 \
        || die "$manifest names a branch or lists a folder: reading the Hub's API needs python3 (or pin the manifest)"
}

# Sets $revision to the commit the manifest's branch or tag points at now.
resolve_revision() {
    [[ $revision =~ ^[0-9a-f]{40}$ ]] && return 0
    need_python
    local api="$base/api/models/$repo/revision/$revision_in_url" body commit
    body=$(api_get "$api") || die "cannot resolve revision '$revision' of $repo at $api; check the network, HF_ENDPOINT or HF_TOKEN"
    commit=$(printf '%s' "$body" | python3 -c 'import json, sys; print(json.load(sys.stdin).get("sha", ""))' 2>/dev/null) || true
    [[ $commit =~ ^[0-9a-f]{40}$ ]] || die "$api did not name a commit for revision '$revision'"
    say "Revision $revision of $repo is commit $commit"
    revision=$commit
    revision_in_url=$commit
}

# Prints one "path<TAB>size<TAB>sha256 or -" per file under folder $1 at $revision, as the Hub's API
# lists it: the size and, for an LFS file, its sha256 (lfs.oid). Small git-stored files get "-" and
# are verified against the ETag the Hub publishes when they are fetched. Follows the API's pages.
list_tree() {
    local folder=$1 url="$base/api/models/$repo/tree/$revision_in_url/$1?recursive=true" headers body page=0
    headers=$(mktemp)
    while [[ -n $url ]]; do
        page=$((page + 1))
        ((page <= 100)) || { rm -f "$headers"; die "$repo: more than 100 pages listing $folder"; }
        body=$(api_get "$url" "$headers") \
            || { rm -f "$headers"; die "cannot list $folder of $repo at $url; check the network, HF_ENDPOINT or HF_TOKEN"; }
        printf '%s' "$body" | python3 -c '
import json, sys
for item in json.load(sys.stdin):
    if item.get("type") != "file":
        continue
    lfs = item.get("lfs") or {}
    sha = lfs.get("oid") or lfs.get("sha256") or "-"
    print("%s\t%d\t%s" % (item["path"], int(item["size"]), sha))
' || { rm -f "$headers"; die "$url did not answer a file listing"; }
        url=$(tr -d '\r' <"$headers" | awk 'tolower($1) == "link:" && /rel="next"/ { sub(/^[^<]*</, ""); sub(/>.*/, ""); print; exit }')
    done
    rm -f "$headers"
}

# Adds every file of the selected folders to $selected, checking what the API lists.
expand_trees() {
    ((${#selected_trees[@]})) || return 0
    need_python
    local entry v role folder target listing path size sha n
    for entry in "${selected_trees[@]}"; do
        IFS=$'\t' read -r v role folder target <<<"$entry"
        listing=$(list_tree "$folder") || exit 1
        n=0
        while IFS=$'\t' read -r path size sha; do
            [[ -n $path ]] || continue
            [[ $path == "$folder"/* && $path =~ $safe_path ]] || die "$repo lists '$path' under $folder: refused"
            [[ $size =~ ^[0-9]+$ && ( $sha == - || $sha =~ ^[0-9a-f]{64}$ ) ]] || die "$repo lists '$path' with a malformed size or sha256"
            selected+=("$v"$'\t'"$role"$'\t'"$path"$'\t'"$target${path#"$folder"}"$'\t'"$size"$'\t'"$sha")
            n=$((n + 1))
        done <<<"$listing"
        ((n > 0)) || die "$repo has no file under $folder at $revision"
        say "$folder: $n files at $revision"
    done
}

# Writes the manifest of what is now in $model_dir to $1: the commit, every file with its size and sha256.
write_pinned() {
    local out=$1 t=$'\t' tmp entry v role path target size
    mkdir -p "$(dirname "$out")"
    tmp="$out.tmp.$$"
    {
        echo "# $name pinned by ${0##*/} on $(date -u +%Y-%m-%dT%H:%M:%SZ) from $base: the commit the manifest's"
        echo "# revision named then, and the size and sha256 of every file verified in $model_dir."
        echo "# The service downloads from it (rag.model.download.text-manifest for a text tower)."
        echo "name${t}$name"
        echo "repo${t}$repo"
        echo "revision${t}$revision"
        echo "endpoint${t}$endpoint"
        echo "url${t}$url_template"
        echo "default_variant${t}$variant"
        for entry in "${selected[@]}"; do
            IFS=$'\t' read -r v role path target _ _ <<<"$entry"
            size=$(size_of "$model_dir/$target")
            echo "file${t}$v${t}$role${t}$path${t}$target${t}$size${t}$(sha256_of "$model_dir/$target")"
        done
    } >"$tmp"
    mv -f "$tmp" "$out"
    say "Pinned manifest: $out"
}

# --- one file ---------------------------------------------------------------------------------

# Whether $1 (the file at $2) is the expected one: $3 = pinned sha256 or "-", $4 = the published
# checksum line or "" (looked up when needed and the file is not pinned).
matches() {
    local what=$1 file=$2 pinned=$3 published=$4
    if [[ $pinned != - ]]; then
        [[ $(sha256_of "$file") == "$pinned" ]] && return 0
        say "  $what: sha256 $(sha256_of "$file") is not the pinned $pinned" >&2
        return 1
    fi
    case "$published" in
        "sha256 "*)
            [[ $(sha256_of "$file") == "${published#sha256 }" ]] && return 0
            say "  $what: sha256 $(sha256_of "$file") is not the ${published#sha256 } the server publishes" >&2 ;;
        "gitsha1 "*)
            [[ $(git_blob_sha1_of "$file") == "${published#gitsha1 }" ]] && return 0
            say "  $what: git blob SHA-1 $(git_blob_sha1_of "$file") is not the ${published#gitsha1 } the server publishes" >&2 ;;
        *)
            say "  $what: no sha256 is pinned in the manifest and the server publishes none; cannot verify" >&2 ;;
    esac
    return 1
}

download_one() {
    local path=$1 target=$2 size=$3 pinned=$4
    local dest="$model_dir/$target" part="$model_dir/$target.part" url published="" have
    url=$(url_of "$path")
    mkdir -p "$(dirname "$dest")"

    if [[ -f $dest ]] && [[ $size == - || $(size_of "$dest") == "$size" ]]; then
        [[ $pinned == - ]] && published=$(published_checksum "$url")
        if matches "$path" "$dest" "$pinned" "$published" 2>/dev/null; then
            say "  $path: already there, verified"
            return 0
        fi
        say "  $path: present but not the expected file; downloading it again"
    fi

    if [[ $pinned == - && -z $published ]]; then
        published=$(published_checksum "$url")
        [[ -n $published ]] || die "$path: no sha256 is pinned in $manifest and $base publishes none for $url, so it cannot be verified. Pin its sha256 in the manifest (the Hub API lists it as lfs.oid)."
    fi

    if [[ -f $part && $size != - ]]; then
        have=$(size_of "$part")
        if ((have > size)); then
            rm -f "$part"
        fi
    fi
    if [[ ! -f $part || $size == - || $(size_of "$part") != "$size" ]]; then
        [[ -f $part ]] && say "  $path: resuming at $(mb "$(size_of "$part")")"
        say "  $path: $( [[ $size == - ]] && echo "size unknown" || mb "$size" ) from $url"
        local status=0
        fetch_into "$url" "$part" || status=$?
        if ((status == 33 || status == 36)); then
            # The server cannot resume (curl 33: no byte ranges; 36: bad resume point): start over.
            say "  $path: the server cannot resume; starting again"
            rm -f "$part"
            status=0
            fetch_into "$url" "$part" || status=$?
        fi
        if ((status != 0)); then
            die "$path: download from $url failed (${fetcher} exit $status). The partial file $part is kept: run this again to resume. Check the network, HF_ENDPOINT, or HF_TOKEN for a gated mirror."
        fi
    fi

    if [[ $size != - && $(size_of "$part") != "$size" ]]; then
        die "$path: received $(size_of "$part") bytes, expected $size; run this again to resume (delete $part to start over)"
    fi
    if ! matches "$path" "$part" "$pinned" "$published"; then
        rm -f "$part"
        die "$path: checksum mismatch, download discarded. The server may hold another revision, or the transfer was corrupted: run this again."
    fi
    mv -f "$part" "$dest"   # same folder: an atomic rename
    say "  $path: verified"
}

verify_one() {
    local path=$1 target=$2 size=$3 pinned=$4 dest="$model_dir/$2"
    if [[ ! -f $dest ]]; then
        say "  $target: missing"
        return 1
    fi
    if [[ $size != - && $(size_of "$dest") != "$size" ]]; then
        say "  $target: $(size_of "$dest") bytes, expected $size"
        return 1
    fi
    if [[ $pinned == - ]]; then
        say "  $target: present (no sha256 pinned; checked only when downloaded)"
        return 0
    fi
    matches "$target" "$dest" "$pinned" "" || return 1
    say "  $target: verified"
}

# --- main -------------------------------------------------------------------------------------

case "$mode" in
    list)
        say "# $name ($variant) from $repo at $revision"
        for entry in "${selected[@]}"; do
            IFS=$'\t' read -r _ role path target size pinned <<<"$entry"
            printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$role" "$target" "$size" "$pinned" "$(url_of "$path")" "$path"
        done
        for entry in "${selected_trees[@]}"; do
            IFS=$'\t' read -r _ role folder target <<<"$entry"
            printf '%s\t%s/\t-\t-\t%s\t%s/ (every file, listed by the Hub at download time)\n' "$role" "$target" \
                "$(url_of "$folder")/" "$folder"
        done
        ;;
    verify)
        ((${#selected_trees[@]} == 0)) || die "$manifest lists folders, whose files are known only at download time; verify with the pinned manifest the download wrote (--manifest DIR/pinned.manifest.tsv --verify)"
        say "Checking $name ($variant) in $model_dir"
        bad=0
        for entry in "${selected[@]}"; do
            IFS=$'\t' read -r _ _ path target size pinned <<<"$entry"
            verify_one "$path" "$target" "$size" "$pinned" || bad=$((bad + 1))
        done
        ((bad == 0)) || die "$bad file(s) missing or wrong in $model_dir; run ${0##*/} --variant $variant --dir $model_dir"
        say "All ${#selected[@]} files are there."
        ;;
    download)
        [[ $fetcher != none ]] || die "needs curl or wget"
        pinned_already=true
        [[ $revision =~ ^[0-9a-f]{40}$ && ${#selected_trees[@]} -eq 0 ]] || pinned_already=false
        for entry in "${selected[@]}"; do
            IFS=$'\t' read -r _ _ _ _ size pinned <<<"$entry"
            [[ $size == - || $pinned == - ]] && pinned_already=false
        done
        resolve_revision
        expand_trees
        total=0
        for entry in "${selected[@]}"; do
            IFS=$'\t' read -r _ _ _ _ size _ <<<"$entry"
            [[ $size != - ]] && total=$((total + size))
        done
        say "Downloading $name ($variant, $(mb "$total")) from $base/$repo at revision $revision into $model_dir"
        mkdir -p "$model_dir"
        for entry in "${selected[@]}"; do
            IFS=$'\t' read -r _ _ path target size pinned <<<"$entry"
            download_one "$path" "$target" "$size" "$pinned"
        done
        say "Done: ${#selected[@]} files verified in $model_dir"
        if [[ -n $pin_file ]]; then
            write_pinned "$pin_file"
        elif [[ $pinned_already == false ]]; then
            write_pinned "$model_dir/pinned.manifest.tsv"
        fi
        ;;
esac
