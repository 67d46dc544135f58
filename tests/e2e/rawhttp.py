#!/usr/bin/python3
"""Raw HTTP(S) probes for the end-to-end tests: oversized and malformed requests, slow clients
and requests in flight during shutdown. Prints one JSON result; never sends anywhere but the
given loopback URL."""
import json
import socket
import ssl
import sys
import threading
import time
import urllib.parse


def connect(url, ca, timeout=10):
    u = urllib.parse.urlsplit(url)
    s = socket.create_connection((u.hostname, u.port), timeout=timeout)
    if u.scheme == "https":
        ctx = ssl.create_default_context(cafile=ca)
        s = ctx.wrap_socket(s, server_hostname=u.hostname)
    return s, u


def read_status(s):
    """Returns the status code of the first response, or 0 if the connection closed first."""
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, ssl.SSLError, socket.timeout, OSError):
        pass
    if not data.startswith(b"HTTP/1."):
        return 0
    return int(data.split(b" ")[1])


def send_and_status(url, ca, payload, chunks=1):
    s, _ = connect(url, ca)
    try:
        step = max(1, len(payload) // chunks)
        for i in range(0, len(payload), step):
            s.sendall(payload[i:i + step])
    except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
        pass
    status = read_status(s)
    s.close()
    return status


def host(u):
    return f"{u.hostname}:{u.port}"


def big_headers(url, ca):
    _, u = connect(url, ca)
    filler = "".join(f"X-Filler-{i}: {'a' * 1000}\r\n" for i in range(100))
    req = f"GET /healthz HTTP/1.1\r\nHost: {host(u)}\r\n{filler}\r\n".encode()
    return send_and_status(url, ca, req, chunks=20)


def big_body(url, ca):
    _, u = connect(url, ca)
    body_len = 10 * 1024 * 1024
    head = (f"POST /api/2.0/token/create HTTP/1.1\r\nHost: {host(u)}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {body_len}\r\n\r\n").encode()
    s, _ = connect(url, ca)
    s.sendall(head)
    sent = 0
    try:
        block = b"a" * 65536
        while sent < body_len:
            s.sendall(block)
            sent += len(block)
    except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
        pass
    status = read_status(s)
    s.close()
    return status


def long_line(url, ca):
    _, u = connect(url, ca)
    req = f"GET /healthz?{'a' * 20480} HTTP/1.1\r\nHost: {host(u)}\r\n\r\n".encode()
    return send_and_status(url, ca, req)


def malformed(url, ca):
    return send_and_status(url, ca, b"THIS IS NOT HTTP\r\n\r\n")


def slow_clients(url, ca, n=50, header_timeout=3.0):
    """n clients trickle one header byte every 0.2 s; a normal request must still be served
    promptly, and every slow client must be dropped. Returns the normal request's latency and
    how many slow clients were dropped."""
    socks = []
    for _ in range(n):
        s, u = connect(url, ca)
        s.sendall(f"GET /healthz HTTP/1.1\r\nHost: {host(u)}\r\n".encode())
        socks.append(s)
    dropped = [False] * n
    stop = time.time() + header_timeout * 3

    def trickle(i):
        s = socks[i]
        try:
            while time.time() < stop:
                s.sendall(b"X")
                time.sleep(0.2)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            dropped[i] = True

    threads = [threading.Thread(target=trickle, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    t0 = time.time()
    s, u = connect(url, ca)
    s.sendall(f"GET /healthz HTTP/1.1\r\nHost: {host(u)}\r\nConnection: close\r\n\r\n".encode())
    status = read_status(s)
    latency = time.time() - t0
    s.close()
    for t in threads:
        t.join()
    for s in socks:
        s.close()
    return {"status": status, "latency": latency, "dropped": sum(dropped)}


def in_flight(url, ca, n=5):
    """Opens n requests whose bodies are only half sent, signals readiness on stdout, waits for
    a line on stdin (the test sends SIGTERM in between), then completes them. Returns statuses."""
    socks = []
    body = b'{"token_id": "00"}'
    for _ in range(n):
        s, u = connect(url, ca, timeout=20)
        s.sendall((f"POST /api/2.0/token/delete HTTP/1.1\r\nHost: {host(u)}\r\n"
                   f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
                  + body[:5])
        socks.append(s)
    print("READY", flush=True)
    sys.stdin.readline()
    statuses = []
    for s in socks:
        try:
            s.sendall(body[5:])
        except OSError:
            pass
        statuses.append(read_status(s))
        s.close()
    return statuses


def stalled_body(url, ca):
    """Sends a request's headers and 5 of its 100 body bytes, then nothing. Returns how long the
    server took to close the connection after that, and the status it answered (0: none)."""
    s, u = connect(url, ca, timeout=60)
    s.sendall((f"POST /api/2.0/token/delete HTTP/1.1\r\nHost: {host(u)}\r\n"
               f"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n").encode()
              + b'{"tok')
    t0 = time.time()
    status = read_status(s)
    try:
        while s.recv(4096):
            pass
    except (ConnectionResetError, ssl.SSLError, socket.timeout, OSError):
        pass
    closed_after = time.time() - t0
    s.close()
    return {"closed_after": closed_after, "status": status}


if __name__ == "__main__":
    probe, url, ca = sys.argv[1], sys.argv[2], sys.argv[3]
    fn = {"big_headers": big_headers, "big_body": big_body, "long_line": long_line,
          "malformed": malformed, "slow_clients": slow_clients, "in_flight": in_flight,
          "stalled_body": stalled_body}[probe]
    print(json.dumps(fn(url, ca)), flush=True)
