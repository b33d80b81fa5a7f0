# Sourced by the tests/img scripts: strict variables, vmon by absolute path, a skip without
# qemu-img (the oracle), a scratch folder as the working directory (removed on exit), and fail/bad
# to collect failures (the script ends with `exit $fail`).
set -u
VMON=$(realpath "${VMON:-build/vmon}")
command -v qemu-img >/dev/null || { echo "skip: qemu-img (Debian qemu-utils) is not installed"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
fail=0
bad() { echo "FAIL: $*"; fail=1; }
# The persistent bitmaps of a qcow2 file, read from the file itself (qcow2.txt), one line each.
bits() {       # FILE: "name:granularity:flags:sha1 of the bits" per bitmap, read from the file itself
    python3 - "$1" <<'PY'
import hashlib, struct, sys
f = open(sys.argv[1], "rb"); h = f.read(1 << 16)
cs = 1 << struct.unpack(">I", h[20:24])[0]; size = struct.unpack(">Q", h[24:32])[0]
p = struct.unpack(">I", h[100:104])[0]
while True:
    t, l = struct.unpack(">II", h[p:p + 8])
    if t == 0: sys.exit(0)
    if t == 0x23852875: break
    p += 8 + ((l + 7) & ~7)
nb, _, dsize, doff = struct.unpack(">IIQQ", h[p + 8:p + 32])
f.seek(doff); d = f.read(dsize); q = 0
for _ in range(nb):
    toff, tsize, flags, _, gbits, ns, ex = struct.unpack(">QIIBBHI", d[q:q + 24])
    name = d[q + 24 + ex:q + 24 + ex + ns].decode()
    nbytes = ((size + (1 << gbits) - 1) >> gbits) // 8 + 1
    f.seek(toff); tab = struct.unpack(">%dQ" % tsize, f.read(8 * tsize)); data = b""
    for e in tab:
        off = e & 0x00fffffffffffe00
        if off: f.seek(off); data += f.read(cs)
        else: data += (b"\xff" if e & 1 else b"\0") * cs
    print("%s:%d:%d:%s" % (name, 1 << gbits, flags, hashlib.sha1(data[:nbytes]).hexdigest()))
    q += (24 + ex + ns + 7) & ~7
PY
}
