#!/usr/bin/env bash
# The house drawn from includes: each folder may include only the folders
# below it (README.md, "How it works"). Prints every include that points
# upward and exits 1 if there is one. CTest runs it as `layout`.
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A allowed=(
  [models]=""
  [ingest]="models"
  [rules]="models"
  [engine]="models rules"
  [runtime]="models ingest rules engine"
  [connectors]="models ingest rules engine runtime"
  [sim]="models"
  [eval]="models ingest engine"
  [report]="models ingest engine"
  [testing]="models ingest"
  [cli]="models ingest rules engine runtime connectors sim eval report"
)
bad=0
for folder in "${!allowed[@]}"; do
  for file in "$folder"/*.h "$folder"/*.cpp; do
    [ -e "$file" ] || continue
    while IFS= read -r target; do
      [ "$target" = "$folder" ] && continue
      if [[ " ${allowed[$folder]} " != *" $target "* ]]; then
        echo "layout: $file includes $target/, which $folder/ may not depend on"
        bad=1
      fi
    done < <(sed -n 's/^#include "\([a-z_]*\)\/.*/\1/p' "$file" | sort -u)
  done
done
[ "$bad" -eq 0 ] && echo "layout: every include points down"
exit "$bad"
