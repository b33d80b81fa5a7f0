#!/usr/bin/env python3
"""The host side of tests/linux/bench-net.sh: one TCP stream each way on 127.0.0.1 (the guest
reaches it at 10.0.2.2 through user networking). Port A takes N bytes from the guest (timed from
accept to the Nth byte); port B sends N bytes to the guest and waits for it to close (timed from
accept to the close, so nothing is still in a buffer). Prints "g2h SECONDS" and "h2g SECONDS".
Usage: net-bench-server.py PORT_A PORT_B NBYTES (exits after one connection on each, or 600 s)."""
import socket, sys, time, threading

port_a, port_b, nbytes = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
results = {}

def listener(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', port))
    s.listen(1)
    s.settimeout(600)
    return s

def sink(s):
    c, _ = s.accept()
    t0, got = time.monotonic(), 0
    while got < nbytes:
        b = c.recv(1 << 20)
        if not b:
            break
        got += len(b)
    results['g2h'] = (time.monotonic() - t0, got)
    c.close()

def source(s):
    c, _ = s.accept()
    t0 = time.monotonic()
    chunk, sent = b'\0' * (1 << 16), 0
    while sent < nbytes:
        sent += c.send(chunk[:min(len(chunk), nbytes - sent)])
    c.shutdown(socket.SHUT_WR)
    while c.recv(4096):
        pass
    results['h2g'] = (time.monotonic() - t0, sent)
    c.close()

a, b = listener(port_a), listener(port_b)
print('READY', flush=True)
ta = threading.Thread(target=sink, args=(a,), daemon=True)
tb = threading.Thread(target=source, args=(b,), daemon=True)
ta.start(); tb.start(); ta.join(610); tb.join(610)
for k in ('g2h', 'h2g'):
    if k in results and results[k][1] == nbytes:
        print(k, '%.3f' % results[k][0], flush=True)
    else:
        print(k, '-', flush=True)
