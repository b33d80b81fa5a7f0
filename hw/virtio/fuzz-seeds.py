#!/usr/bin/env python3
"""Seed inputs for make fuzz-vsock / fuzz-vconsole (hw/virtio/fuzz-rig.h's layout: queue q's
descriptors at q*0x200, available ring at +0x100): well-formed driver traffic the fuzzer mutates.
usage: fuzz-seeds.py vsock|vconsole DIR"""
import os, struct, sys


class Ram:
    def __init__(self, size):
        self.b = bytearray(size)
        self.avail = {}

    def put(self, at, data):
        self.b[at:at + len(data)] = data

    def chain(self, q, bufs):
        """bufs: [(addr, len, write)] as one chain on queue q."""
        n = self.avail.get(q, 0)
        head = (n * 4) % 16
        for i, (addr, ln, w) in enumerate(bufs):
            flags = (2 if w else 0) | (1 if i + 1 < len(bufs) else 0)
            self.put(q * 0x200 + 16 * (head + i), struct.pack("<QIHH", addr, ln, flags, head + i + 1))
        self.put(q * 0x200 + 0x100 + 4 + 2 * (n % 16), struct.pack("<H", head))
        self.avail[q] = n + 1
        self.put(q * 0x200 + 0x100 + 2, struct.pack("<H", n + 1))


def vsock_pkt(op, src_port, dst_port, payload=b"", cid=3, flags=0):
    return struct.pack("<QQIIIHHIII", cid, 2, src_port, dst_port, len(payload), 1, op, flags,
                       65536, 0) + payload


def vsock_seeds():
    seeds = []
    for pkts in ([vsock_pkt(1, 1000, 1)],
                 [vsock_pkt(1, 1000, 1), vsock_pkt(5, 1000, 1, b"hello\n"), vsock_pkt(4, 1000, 1, flags=3)],
                 [vsock_pkt(1, 7, 9, cid=5), vsock_pkt(7, 1000, 1), vsock_pkt(3, 1000, 1)]):
        r = Ram(0x1800)
        for i in range(4):
            r.chain(0, [(0x800 + 0x100 * i, 0x100, True)])
        for i, p in enumerate(pkts):
            r.put(0x1000 + 0x100 * i, p)
            r.chain(1, [(0x1000 + 0x100 * i, 44, False), (0x1000 + 0x100 * i + 44, len(p) - 44, False)])
        seeds.append(bytes(r.b))
    return seeds


def ctrl(pid, event, value):
    return struct.pack("<IHH", pid, event, value)


def vconsole_seeds():
    r = Ram(0x2000)
    for i in range(8):
        r.chain(2, [(0x1400 + 0x40 * i, 0x40, True)])
    for i, m in enumerate([ctrl(0, 0, 1), ctrl(0, 3, 1), ctrl(1, 3, 1), ctrl(1, 6, 1)]):
        r.put(0x1800 + 0x10 * i, m)
        r.chain(3, [(0x1800 + 0x10 * i, 8, False)])
    r.put(0x1900, b"to-host\n")
    r.chain(1, [(0x1900, 8, False)])
    r.chain(5, [(0x1900, 8, False)])
    r.chain(0, [(0x1a00, 0x40, True)])
    r.chain(4, [(0x1a40, 0x40, True)])
    return [bytes(r.b)]


def main():
    kind, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for i, s in enumerate(vsock_seeds() if kind == "vsock" else vconsole_seeds()):
        with open(os.path.join(out, "seed-%d" % i), "wb") as f:
            f.write(s)


main()
