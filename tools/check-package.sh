#!/usr/bin/env bash
# Builds the Debian packages of a build (cpack -G DEB), checks that they hold
# the command, the library, the headers, the CMake package, the pkg-config
# file, the man page, the bash completion and the systemd unit with its
# configuration, unpacks them into an empty
# folder and replays the demo with the unpacked command and rule pack.
# Usage: tools/check-package.sh BUILD_DIR   (CTest runs it as `debian_package`)
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" > cpack.log) || { cat "$work/cpack.log"; exit 1; }
cli=$(ls "$work"/callroot_*.deb)
dev=$(ls "$work"/libcallroot-dev_*.deb)
{ dpkg-deb -c "$cli"; dpkg-deb -c "$dev"; } > "$work/contents"
for expected in ./usr/bin/callroot ./usr/lib/libcallroot.so.0 ./usr/lib/libcallroot.so \
                ./usr/include/callroot/runtime/correlator.h ./usr/lib/cmake/callroot/callrootConfig.cmake \
                ./usr/lib/pkgconfig/callroot.pc ./usr/share/man/man1/callroot.1.gz \
                ./usr/share/bash-completion/completions/callroot ./usr/share/callroot/rules/ \
                ./usr/lib/systemd/system/callroot.service ./usr/share/callroot/run.json \
                ./usr/share/doc/callroot/examples/capture.conf; do
  grep -q -- " $expected" "$work/contents" || { echo "package: $expected missing"; cat "$work/contents"; exit 1; }
done
dpkg-deb -f "$dev" Depends | grep -q "callroot (= " || { echo "package: libcallroot-dev does not depend on callroot"; exit 1; }
dpkg-deb -I "$cli" postinst > "$work/postinst" || { echo "package: callroot has no postinst"; exit 1; }
grep -q "/etc/callroot/run.json" "$work/postinst" || { echo "package: postinst does not install run.json"; exit 1; }

mkdir "$work/root"
dpkg-deb -x "$cli" "$work/root"
dpkg-deb -x "$dev" "$work/root"
"$work/root/usr/bin/callroot" --version
"$work/root/usr/bin/callroot" replay "$src"/data/demo/*.jsonl --rules "$work/root/usr/share/callroot/rules" \
  --format jsonl --out "$work/verdicts.jsonl" 2> "$work/summary"
grep -q "segments: 300 scored" "$work/summary" || { cat "$work/summary"; exit 1; }
echo "package: $(basename "$cli") and $(basename "$dev") hold what they should; the unpacked command replays the demo"
