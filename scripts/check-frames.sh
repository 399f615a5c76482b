#!/usr/bin/env bash
# Fails if a function of our modules reserves a stack frame larger than
# LIMIT bytes (2048 unless set: what the kernel's CONFIG_FRAME_WARN
# allows C on 64-bit, which rustc has no flag for). A kernel stack is
# 16 KiB without KASAN; a large value built on it and moved (a struct
# holding an array) overflowed it at module load.
#
#   scripts/check-frames.sh DIR [LIMIT]    every .ko under DIR
set -euo pipefail
dir=${1:?usage: check-frames.sh DIR [LIMIT]}
limit=${2:-2048}
status=0
while IFS= read -r ko; do
	objdump -d --no-show-raw-insn "$ko" | python3 -c '
import re, sys
ko, limit = sys.argv[1], int(sys.argv[2])
function, bad = "?", 0
for line in sys.stdin:
    m = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
    if m:
        function = m.group(1)
        continue
    m = re.search(r"\bsub +\$0x([0-9a-f]+),%rsp", line)
    if m and int(m.group(1), 16) > limit:
        print(f"check-frames: {ko}: {function} reserves {int(m.group(1), 16)} bytes of stack (more than {limit})")
        bad = 1
sys.exit(bad)' "$ko" "$limit" || status=1
done < <(find "$dir" -name '*.ko')
exit $status
