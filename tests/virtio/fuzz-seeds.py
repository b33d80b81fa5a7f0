#!/usr/bin/env python3
"""Seeds for fuzz-virtio (tests/virtio/fuzz-virtio.c's input layout): a driver set-up op, a notify
and a direct walk over guest RAM holding one good virtio-blk write (direct chain) and one read
through an indirect table. Usage: fuzz-seeds.py DIR"""
import os
import struct
import sys

def seed(indirect):
    ram = bytearray(0x4000)
    def desc(base, i, addr, ln, fl, nx):
        struct.pack_into('<QIHH', ram, base + 16 * i, addr, ln, fl, nx)
    table = 0x100
    if indirect:
        desc(0x100, 0, 0x800, 48, 4, 0)          # VIRTQ_DESC_F_INDIRECT
        table = 0x800
    desc(table, 0, 0x1000, 16, 1, 1)
    desc(table, 1, 0x2000, 512, 1 | (2 if indirect else 0), 2)
    desc(table, 2, 0x3000, 1, 2, 0)
    struct.pack_into('<HHH', ram, 0x200, 0, 1, 0)                # avail: idx 1, ring[0] = 0
    struct.pack_into('<IIQ', ram, 0x1000, 0 if indirect else 1, 0, 3)
    ram[0x2000:0x2200] = bytes(i & 0xff for i in range(512))
    ops = bytes([4, 1 | (2 << 4), 0x10, 0x20, 0, 0x30, 0, 0,   # set-up: queue of 4 at 0x100
                 5, 0, 0, 0, 0, 0, 0, 0,                        # notify
                 7, 2, 0x10, 0, 0, 1, 0xc0, 0])                 # direct walk of the same ring
    return bytes([3]) + ops + ram

os.makedirs(sys.argv[1], exist_ok=True)
for name, ind in (("write-direct", False), ("read-indirect", True)):
    with open(os.path.join(sys.argv[1], name), "wb") as f:
        f.write(seed(ind))
