#!/usr/bin/env python3
"""Seeds for make fuzz-coalesce: runs of frames as net/coalesce_fuzz.c reads them (2-byte length,
top bit = flush after), with in-order segments of one flow (IPv4, IPv6), a gap, another flow, PSH, and an ARP."""
import os
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def seg(seq, pay, flags=0x10, sport=5000, opts=b"", v6=False):
    thl = 20 + len(opts)
    if v6:
        src, dst = b"\xfe\xc0" + b"\0" * 13 + b"\x02", b"\xfe\xc0" + b"\0" * 6 + b"\x50\x54\0\xff\xfe\x12\x34\x56"
        ip = struct.pack("!IHBB", 6 << 28, thl + pay, 6, 64) + src + dst
        ph = src + dst + struct.pack("!IxxxB", thl + pay, 6)
    else:
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + thl + pay, 1, 0x4000, 64, 6, 0,
                         bytes([10, 0, 2, 2]), bytes([10, 0, 2, 15]))
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        ph = ip[12:20] + struct.pack("!BBH", 0, 6, thl + pay)
    data = bytes((seq + i) & 0xFF for i in range(pay))
    tcp = struct.pack("!HHIIBBHHH", sport, 40000, seq, 7, thl // 4 << 4, flags, 65535, 0, 0) + opts
    c = csum(ph + tcp + data)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    eth = b"\x52\x54\x00\x12\x34\x56\x52\x55\x0a\x00\x02\x02" + (b"\x86\xdd" if v6 else b"\x08\x00")
    return eth + ip + tcp + data


def run(frames):
    out = b""
    for f, flush in frames:
        out += struct.pack("!H", len(f) | (0x8000 if flush else 0)) + f
    return out


def main(d):
    os.makedirs(d, exist_ok=True)
    arp = b"\xff" * 6 + b"\x52\x55\x0a\x00\x02\x02\x08\x06" + b"\0" * 28
    seeds = {
        "inorder": run([(seg(1000 + i * 1448, 1448), False) for i in range(6)] + [(seg(1000 + 6 * 1448, 9), True)]),
        "mixed": run([(seg(0, 100), False), (seg(100, 100), False), (seg(300, 100), False),
                      (seg(400, 100, sport=6000), False), (arp, False), (seg(400, 100, 0x18), True),
                      (seg(500, 50, opts=b"\x01\x01\x08\x0a" + b"\0" * 8), False)]),
        "big": run([(seg(i * 1460, 1460), i % 20 == 19) for i in range(60)]),
        "v6": run([(seg(i * 1440, 1440, v6=True), False) for i in range(50)] + [(seg(0, 10), True)]),
    }
    for name, b in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(b)


main(sys.argv[1])
