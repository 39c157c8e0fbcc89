#!/usr/bin/env bash
# check_fresh.sh COMMAND FILE...: fail when COMMAND (a generator) would change any FILE,
# showing the diff and putting the committed files back.
set -euo pipefail
command=$1
shift
committed=$(mktemp -d)
trap 'rm -rf "$committed"' EXIT
for file in "$@"; do
    mkdir -p "$committed/$(dirname "$file")"
    cp "$file" "$committed/$file"
done
bash -c "$command" >/dev/null
stale=0
for file in "$@"; do
    if ! diff -u "$committed/$file" "$file"; then
        stale=1
        cp "$committed/$file" "$file"
    fi
done
if [ "$stale" = 1 ]; then
    echo "generated code is stale: run 'make generate clients' and commit the result"
    exit 1
fi
