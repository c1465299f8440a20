#!/usr/bin/env bash
# Writes help2man's --include file for callroot: one section with every
# subcommand's --help, so `man callroot` documents them all.
# Usage: tools/man-sections.sh CALLROOT_BINARY > sections.h2m
set -euo pipefail
bin=$1
echo "[COMMANDS]"
for command in replay run keygen "privacy keygen" "privacy pseudonym" "rules check" "rules list" "rules fields" \
               "rules targets" "rules test" "rules explain" rtp simulate score; do
  echo ".SS \"callroot $command\""
  echo ".nf"
  # shellcheck disable=SC2086  # a command is one or two words
  "$bin" $command --help | sed -e 's/\\/\\\\/g' -e 's/^\./\\\&./'
  echo ".fi"
done
cat <<'MORE'
[SEE ALSO]
The record formats, every command and exit code: docs/contract.md in the
callroot sources; embedding the library: docs/embedding.md.
MORE
