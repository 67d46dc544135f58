"""Unauthenticated garbage from 50 loopback addresses against a live latchkeyd, with
legitimate clients served throughout (issue 25's resource-bound test).

Usage: garbage_soak.py URL CA TENANT PAT CLIENT_ID SECRET SECONDS
Prints one line per phase and exits non-zero when a legitimate request failed. Memory and
database size are measured by the calling script.
"""
import http.client
import os
import random
import ssl
import string
import sys
import threading
import time
import urllib.parse

url, ca, tenant, pat, client_id, secret, seconds = sys.argv[1:8]
seconds = float(seconds)
parsed = urllib.parse.urlparse(url)
HOST, PORT = parsed.hostname, parsed.port
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False  # the certificate names localhost and 127.0.0.1; we vary Host
ADDRESSES = [f"127.0.5.{i}" for i in range(10, 60)]
DBX = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"
deadline = time.monotonic() + seconds
counts = {"sent": 0, "5xx": 0, "errors": 0}
legit = {"ok": 0, "failed": 0, "statuses": {}}
lock = threading.Lock()


def rand(n, alphabet=string.ascii_letters + string.digits):
    return "".join(random.choice(alphabet) for _ in range(n))


def garbage_request(rng):
    kind = rng.randrange(4)
    if kind == 0:  # a long, unique client id at the token endpoint
        body = urllib.parse.urlencode({
            "grant_type": "client_credentials", "client_secret": rand(20),
            "scope": DBX + "/.default", "client_id": rand(12) + "x" * rng.randrange(1000, 200000)})
        return "POST", f"/{tenant}/oauth2/v2.0/token", {"Content-Type": "application/x-www-form-urlencoded"}, body
    if kind == 1:  # a random bearer
        bearer = rng.choice(["dapi" + rand(32, "0123456789abcdef"), rand(40) + "." + rand(60) + "." + rand(40)])
        return "GET", "/api/2.0/token/list", {"Authorization": "Bearer " + bearer}, None
    if kind == 2:  # a huge Host header with a random bearer
        return "GET", "/api/2.0/preview/scim/v2/Me", {
            "Host": rand(rng.randrange(2000, 15000), string.ascii_lowercase),
            "Authorization": "Bearer dapi" + rand(32, "0123456789abcdef")}, None
    path = "/" + "/".join(rand(rng.randrange(1, 40)) for _ in range(rng.randrange(1, 8)))
    return rng.choice(["GET", "POST", "DELETE"]), path, {}, None


def garbage_worker(seed):
    rng = random.Random(seed)
    conn = None
    address = None
    while time.monotonic() < deadline:
        if conn is None:
            address = rng.choice(ADDRESSES)
            conn = http.client.HTTPSConnection(HOST, PORT, context=ctx, timeout=10,
                                               source_address=(address, 0))
        method, path, headers, body = garbage_request(rng)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            with lock:
                counts["sent"] += 1
                if response.status >= 500 and response.status != 503:
                    counts["5xx"] += 1
            if response.getheader("Connection", "").lower() == "close" or rng.random() < 0.1:
                conn.close()
                conn = None
        except Exception:
            with lock:
                counts["errors"] += 1
            conn = None


def legit_worker():
    conn = http.client.HTTPSConnection(HOST, PORT, context=ctx, timeout=10)
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": client_id,
                                   "client_secret": secret, "scope": DBX + "/.default"})
    i = 0
    while time.monotonic() < deadline:
        i += 1
        try:
            if i % 5 == 0:
                conn.request("POST", f"/{tenant}/oauth2/v2.0/token", body=form,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
            else:
                conn.request("GET", "/api/2.0/preview/scim/v2/Me",
                             headers={"Authorization": "Bearer " + pat})
            response = conn.getresponse()
            response.read()
            with lock:
                key = "ok" if response.status == 200 else "failed"
                legit[key] += 1
                legit["statuses"][response.status] = legit["statuses"].get(response.status, 0) + 1
        except Exception as e:  # a dropped connection is a failure of the legitimate client
            with lock:
                legit["failed"] += 1
                legit["statuses"][type(e).__name__] = legit["statuses"].get(type(e).__name__, 0) + 1
            conn = http.client.HTTPSConnection(HOST, PORT, context=ctx, timeout=10)
        time.sleep(0.05)


threads = [threading.Thread(target=garbage_worker, args=(i,)) for i in range(6)]
threads.append(threading.Thread(target=legit_worker))
for t in threads:
    t.start()
for t in threads:
    t.join()
print(f"garbage: {counts['sent']} requests, {counts['5xx']} 5xx other than 503, "
      f"{counts['errors']} connection errors")
print(f"legitimate: {legit['ok']} ok, {legit['failed']} failed {legit['statuses']}")
sys.exit(0 if legit["failed"] == 0 and legit["ok"] > 0 and counts["5xx"] == 0 else 1)
