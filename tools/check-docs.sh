#!/usr/bin/env bash
# Every relative link in the Markdown files git tracks (outside fenced code)
# points at a file or folder inside the repository. Prints each one that does not; exits 1 then.
# CTest runs it as `doc_links`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bad=0
while IFS= read -r doc; do
  dir=$(dirname "$doc")
  while IFS= read -r target; do
    case "$target" in http://*|https://*|mailto:*|'') continue ;; esac
    path=$(realpath -m "$dir/$target")
    if [[ "$path" != "$root"/* && "$path" != "$root" ]]; then
      echo "docs: $doc links outside the repository: $target"; bad=1
    elif [ ! -e "$path" ]; then
      echo "docs: $doc links to a missing file: $target"; bad=1
    fi
  done < <(awk '/^ *```/ { fenced = !fenced; next } !fenced' "$doc" | grep -o '\](\([^)# ]*\)' | sed 's/^](//' || true)
done < <(git ls-files '*.md')
[ "$bad" -eq 0 ] && echo "docs: every relative link resolves inside the repository"
exit "$bad"
