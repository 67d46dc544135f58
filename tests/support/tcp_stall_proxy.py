#!/usr/bin/env python3
"""A loopback TCP proxy that can stop forwarding without closing anything: a network partition
seen from the client, whose connections stay open and whose peer (this proxy's kernel) keeps
acknowledging, so neither TCP keepalives nor tcp_user_timeout notice anything.

    tcp_stall_proxy.py --target HOST:PORT

Listens on 127.0.0.1 on a free port and prints "PORT=<port>" and "PID=<pid>" on stdout.
  SIGUSR1  stall: bytes read from either side are held, not forwarded; new connections are
           accepted but reach nobody until the stall ends
  SIGUSR2  resume forwarding (held bytes go first)
  SIGTERM  exit
"""
import argparse
import os
import signal
import socket
import sys
import threading
import time

# Set by the signal handlers, which run in the main thread at any bytecode boundary: a plain
# flag, never a lock (a second signal arriving inside a handler holding one would deadlock).
flowing = True


def wait_while_stalled():
    while not flowing:
        time.sleep(0.02)


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            wait_while_stalled()  # stalled: hold the bytes, keep the sockets open
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(client, target):
    wait_while_stalled()  # a connection made during a stall reaches nobody until it ends
    try:
        upstream = socket.create_connection(target)
    except OSError:
        client.close()
        return
    for a, b in ((client, upstream), (upstream, client)):
        threading.Thread(target=pump, args=(a, b), daemon=True).start()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    args = parser.parse_args()
    host, port = args.target.rsplit(":", 1)
    target = (host, int(port))

    def set_flowing(value):
        global flowing
        flowing = value

    signal.signal(signal.SIGUSR1, lambda *_: set_flowing(False))
    signal.signal(signal.SIGUSR2, lambda *_: set_flowing(True))
    # At once, whatever the forwarding threads are blocked in.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    listener.settimeout(0.1)
    print(f"PORT={listener.getsockname()[1]}", flush=True)
    print(f"PID={os.getpid()}", flush=True)
    while True:
        try:
            client, _ = listener.accept()
        except socket.timeout:
            continue
        except InterruptedError:
            continue
        threading.Thread(target=serve, args=(client, target), daemon=True).start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
