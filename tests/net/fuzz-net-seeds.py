#!/usr/bin/env python3
"""Seeds for make fuzz-net (hw/virtio/net_fuzz.c's input layout): a transmit queue holding a TSO
TCP/IPv4 frame and a plain frame with a partial checksum, a control command, received frames."""
import struct, sys, os

QSPAN = 0x4000
def tcp4(payload, gso):
    eth = b'\x52\x54\x00\x12\x34\x56' + b'\x52\x55\x0a\x00\x02\x02' + b'\x08\x00'
    tcp = struct.pack('>HHIIBBHHH', 1234, 80, 1000, 0, 5 << 4, 0x18, 65535, 0, 0)
    ip = struct.pack('>BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp) + len(payload), 1, 0, 64, 6, 0,
                     bytes([10, 0, 2, 15]), bytes([10, 0, 2, 2]))
    hdr = struct.pack('<BBHHHHH', 1, 1 if gso else 0, 54, 1448 if gso else 0, 34, 16, 0)
    return hdr + eth + ip + tcp + payload

def seed(vnet, frames_in, image_fill):
    image = bytearray(0x31000)
    image_fill(image)
    F = len(image) // 3
    frames = (frames_in * (F // max(1, len(frames_in)) + 1))[:F]
    ops = bytes([1 | (0 << 2), 3 | (20 << 2), 2, 0, 3 | (5 << 2)])
    head = bytes([vnet | 2 | (1 << 2)]) + struct.pack('<Q', (1 << 64) - 1) + bytes([2, len(ops)])
    return head + ops + frames + bytes(image)

def fill_tx(image):
    base = 1 * QSPAN                       # queue 1: transmitq 0
    f1 = tcp4(bytes(range(256)) * 20, True)
    f2 = tcp4(b'hello', False)
    image[0x20000:0x20000 + len(f1)] = f1
    image[0x28000:0x28000 + len(f2)] = f2
    struct.pack_into('<QIHH', image, base, 0x20000, 12, 1, 1)          # header, then
    struct.pack_into('<QIHH', image, base + 16, 0x2000c, len(f1) - 12, 0, 0)
    struct.pack_into('<QIHH', image, base + 32, 0x28000, len(f2), 0, 0)
    struct.pack_into('<HHHH', image, base + 0x1000, 0, 2, 0, 2)
    rx = 0                                 # receive queue 0: two 2 KiB buffers
    struct.pack_into('<QIHH', image, rx, 0x2c000, 2048, 2, 0)
    struct.pack_into('<QIHH', image, rx + 16, 0x2c800, 2048, 2, 0)
    struct.pack_into('<HHHH', image, rx + 0x1000, 0, 2, 0, 1)
    c = 4 * QSPAN                          # control queue (one pair: queue 2)
    c = 2 * QSPAN
    image[0x2e000:0x2e004] = bytes([4, 0, 1, 0])
    struct.pack_into('<QIHH', image, c, 0x2e000, 4, 1, 1)
    struct.pack_into('<QIHH', image, c + 16, 0x2e010, 1, 2, 0)
    struct.pack_into('<HHH', image, c + 0x1000, 0, 1, 0)

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
frame = b'\xff' * 6 + b'\x52\x55\x0a\x00\x02\x02\x08\x06' + bytes(28)
for vnet in (0, 1):
    open(os.path.join(out, 'seed-%d' % vnet), 'wb').write(seed(vnet, frame, fill_tx))
