#!/usr/bin/env python3
"""Seeds for fuzz-migstream: fuzz-migstream-seeds.py DIR writes a few small, valid migration streams
(migration/stream.h: header, PASS, PAGE and ZERO runs, STOP, a STAT holding a section list, END) and
some cut short, for libFuzzer to mutate."""
import os
import struct
import sys
import zlib


def rec(typ, count, arg, payload=b""):
    return typ + struct.pack("<IQ", count, arg) + payload


def header(ram_pages=64):
    model = b"max".ljust(32, b"\0")
    return b"VMONMIGR" + struct.pack("<II", 1, 64) + model + struct.pack("<QI", ram_pages * 4096, 1) + b"\0" * 4


def sections():
    s = b"CPU " + struct.pack("<II", 0, 8) + b"\1" * 8
    return s + b"END " + struct.pack("<II", 0, 0)


def stream(pages):
    out = header() + rec(b"PASS", 1, 0)
    for first, n in pages:
        out += rec(b"PAGE", n, first, bytes([first & 0xff]) * (4096 * n))
    out += rec(b"ZERO", 8, 40) + rec(b"DISK", 1024, 4096, b"\x5a" * 1024)
    out += rec(b"PASS", 2, 0) + rec(b"STOP", 0, 1234567)
    st = sections()
    out += rec(b"STAT", len(st), zlib.crc32(st), st) + rec(b"END ", 0, 0)
    return out


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    seeds = {"one": stream([(0, 1)]), "two": stream([(3, 2), (10, 1)]), "none": stream([])}
    seeds["cut"] = seeds["two"][:5000]
    seeds["header"] = header()
    for name, data in seeds.items():
        open(os.path.join(d, name), "wb").write(data)


if __name__ == "__main__":
    main()
