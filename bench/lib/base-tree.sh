# Sourced by the benchmarks that compare this tree with an earlier commit.
#
#   base_tree WORK REV   compiles REV in a git worktree at WORK/base (kept while REV is the same), so that
#                        WORK/base/target/classes holds the base's classes
base_tree() {
    local work=$1 base=$2
    if [ ! -d "$work/base/target/classes" ] || [ "$(cat "$work/base-rev" 2>/dev/null)" != "$base" ]; then
        rm -rf "$work"; git worktree prune
        mkdir -p "$work"
        git worktree add -q --detach "$work/base" "$base"
        (cd "$work/base" && ./mvnw -o -q compile)
        echo "$base" >"$work/base-rev"
    fi
}
