#!/usr/bin/env python3
"""A test OpenID issuer over HTTPS on loopback, for workload identity federation tests.

serve STATE PORT_FILE CERT KEY: serves issuers https://127.0.0.1:PORT/<name> for any <name>:
  /<name>/.well-known/openid-configuration and /<name>/jwks (an RSA key "rsa-1" and a P-256 key
  "ec-1", generated into STATE at start). Each issuer's behaviour is STATE/<name>.mode, read on
  every request: "ok" (default), "big" (a 2 MiB JWKS), "slow" (JWKS after 20 s), "down" (503),
  "wrong-issuer" (a discovery document naming another issuer). Requests are counted in
  STATE/<name>.hits (one line per request).
mint STATE ISSUER SUB AUD [--alg RS256|ES256|none|HS256] [--kid K] [--exp-in S] [--iat-in S]
  [--nbf-in S]: prints a token. HS256 uses the RSA public key's PEM as the HMAC secret (the
  classic algorithm-confusion attack).
"""
import base64, hashlib, hmac, json, os, ssl, sys, threading, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def int_bytes(n, length=None):
    length = length or (n.bit_length() + 7) // 8
    return n.to_bytes(length, "big")


def load_keys(state):
    rsa_path, ec_path = os.path.join(state, "rsa.pem"), os.path.join(state, "ec.pem")
    if not os.path.exists(rsa_path):
        k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        open(rsa_path, "wb").write(k.private_bytes(serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        e = ec.generate_private_key(ec.SECP256R1())
        open(ec_path, "wb").write(e.private_bytes(serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    r = serialization.load_pem_private_key(open(rsa_path, "rb").read(), None)
    e = serialization.load_pem_private_key(open(ec_path, "rb").read(), None)
    return r, e


def jwks(state):
    r, e = load_keys(state)
    rn = r.public_key().public_numbers()
    en = e.public_key().public_numbers()
    return {"keys": [
        {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "rsa-1",
         "n": b64u(int_bytes(rn.n)), "e": b64u(int_bytes(rn.e))},
        {"kty": "EC", "use": "sig", "alg": "ES256", "kid": "ec-1", "crv": "P-256",
         "x": b64u(int_bytes(en.x, 32)), "y": b64u(int_bytes(en.y, 32))},
    ]}


def serve(state, port_file, cert, key):
    load_keys(state)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def send(self, status, body):
            data = json.dumps(body).encode() if not isinstance(body, bytes) else body
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def do_GET(self):
            parts = self.path.split("/")
            name = parts[1] if len(parts) > 1 else ""
            if not name or not name.replace("-", "").isalnum():
                return self.send(404, {"error": "not found"})
            with open(os.path.join(state, name + ".hits"), "a") as f:
                f.write(self.path + "\n")
            try:
                mode = open(os.path.join(state, name + ".mode")).read().strip()
            except FileNotFoundError:
                mode = "ok"
            base = "https://127.0.0.1:%d/%s" % (self.server.server_port, name)
            if mode == "down":
                return self.send(503, {"error": "down"})
            if self.path == "/%s/.well-known/openid-configuration" % name:
                issuer = base + "-other" if mode == "wrong-issuer" else base
                return self.send(200, {"issuer": issuer, "jwks_uri": base + "/jwks",
                                       "id_token_signing_alg_values_supported": ["RS256", "ES256"]})
            if self.path.startswith("/%s/actions-token?" % name):
                # A GitHub Actions runner's ID token service: the bearer must be the request
                # token written to <name>.actions (its first line; the second is the sub), and
                # the token is minted for the audience asked, signed as this issuer.
                try:
                    want, sub = open(os.path.join(state, name + ".actions")).read().split("\n")[:2]
                except (FileNotFoundError, ValueError):
                    return self.send(404, {"error": "not found"})
                if self.headers.get("Authorization", "") != "Bearer " + want:
                    return self.send(401, {"message": "Bad credentials"})
                query = dict(q.split("=", 1) for q in self.path.split("?", 1)[1].split("&") if "=" in q)
                aud = urllib.parse.unquote(query.get("audience", ""))
                return self.send(200, {"value": mint(state, base, sub, aud, {})})
            if self.path == "/%s/jwks" % name:
                if mode == "slow":
                    time.sleep(20)
                if mode == "big":
                    doc = jwks(state)
                    doc["padding"] = "x" * (2 * 1024 * 1024)
                    return self.send(200, doc)
                return self.send(200, jwks(state))
            return self.send(404, {"error": "not found"})

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(httpd.server_port))
    os.rename(port_file + ".tmp", port_file)
    httpd.serve_forever()


def mint(state, issuer, sub, aud, opts):
    alg = opts.get("--alg", "RS256")
    kid = opts.get("--kid", "ec-1" if alg == "ES256" else "rsa-1")
    now = int(time.time())
    iat = now + int(opts.get("--iat-in", "0"))
    claims = {"iss": issuer, "sub": sub, "aud": aud, "iat": iat,
              "nbf": now + int(opts.get("--nbf-in", "0")),
              "exp": now + int(opts.get("--exp-in", "600")), "jti": b64u(os.urandom(12))}
    if "--extra" in opts:
        claims.update(json.loads(opts["--extra"]))
    header = {"alg": alg, "typ": "JWT", "kid": kid}
    signing_input = (b64u(json.dumps(header).encode()) + "." +
                     b64u(json.dumps(claims).encode())).encode()
    r, e = load_keys(state)
    if alg == "RS256":
        sig = r.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    elif alg == "ES256":
        der = e.sign(signing_input, ec.ECDSA(hashes.SHA256()))
        rr, ss = decode_dss_signature(der)
        sig = int_bytes(rr, 32) + int_bytes(ss, 32)
    elif alg == "HS256":
        pem = r.public_key().public_bytes(serialization.Encoding.PEM,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)
        sig = hmac.new(pem, signing_input, hashlib.sha256).digest()
    else:  # none
        sig = b""
    return signing_input.decode() + "." + b64u(sig)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "serve":
        serve(*sys.argv[2:6])
    elif cmd == "mint":
        args = sys.argv[2:]
        pos = [a for i, a in enumerate(args) if not a.startswith("--") and (i == 0 or not args[i - 1].startswith("--"))]
        opts = {args[i]: args[i + 1] for i in range(len(args)) if args[i].startswith("--")}
        print(mint(pos[0], pos[1], pos[2], pos[3], opts))
