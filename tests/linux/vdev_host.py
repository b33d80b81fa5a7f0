#!/usr/bin/env python3
"""The host side of tests/linux/virtio-devs.sh, run beside vmon; one line per result on stdout.
  port SOCK              connect to a -chardev socket server, wait for "PORT-HELLO", answer
                         "HOST-TO-PORT": prints "PORT-RECV <line>"
  vsock-out UDS PORT     serve UDS_PORT for the guest's connection: prints "HOST-GOT <line>",
                         answers "HOST-PONG <line>"
  vsock-in UDS PORT      connect to UDS, "CONNECT PORT" (retried until the guest listens),
                         send "host-to-guest": prints "HOST-OK <n>" and "HOST-REPLY <line>"
Each gives up after TIMEOUT seconds (env, default 240) and prints "<what>-TIMEOUT"."""
import os, socket, sys, time

TIMEOUT = float(os.environ.get("TIMEOUT", "240"))
deadline = time.time() + TIMEOUT


def left():
    return max(0.1, deadline - time.time())


def read_line(s):
    buf = b""
    while not buf.endswith(b"\n"):
        s.settimeout(left())
        b = s.recv(1)
        if not b:
            raise EOFError
        buf += b
    return buf.decode(errors="replace").strip()


def connect(path):
    while time.time() < deadline:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            return s
        except OSError:
            time.sleep(0.2)
    raise TimeoutError


def port(path):
    s = connect(path)
    while True:
        line = read_line(s)
        print("PORT-RECV", line, flush=True)
        if line == "PORT-HELLO":
            s.sendall(b"HOST-TO-PORT\n")
            # keep the socket open until vmon ends
            s.settimeout(left())
            try:
                while s.recv(4096):
                    pass
            except OSError:
                pass
            return


def vsock_out(uds, p):
    path = "%s_%s" % (uds, p)
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    srv.settimeout(left())
    c, _ = srv.accept()
    line = read_line(c)
    print("HOST-GOT", line, flush=True)
    c.sendall(("HOST-PONG %s\n" % line).encode())
    c.close()
    os.unlink(path)


def vsock_in(uds, p):
    while time.time() < deadline:
        s = connect(uds)
        s.sendall(("CONNECT %s\n" % p).encode())
        try:
            ok = read_line(s)
        except (EOFError, OSError):
            s.close()
            time.sleep(0.5)            # the guest is not listening yet: vmon got RST
            continue
        print("HOST-OK", ok, flush=True)
        s.sendall(b"host-to-guest\n")
        print("HOST-REPLY", read_line(s), flush=True)
        return
    raise TimeoutError


def main():
    what = sys.argv[1]
    try:
        {"port": lambda: port(sys.argv[2]),
         "vsock-out": lambda: vsock_out(sys.argv[2], sys.argv[3]),
         "vsock-in": lambda: vsock_in(sys.argv[2], sys.argv[3])}[what]()
    except (TimeoutError, socket.timeout, EOFError, OSError) as e:
        print("%s-TIMEOUT %s" % (what.upper(), e), flush=True)
        sys.exit(1)


main()
