#!/usr/bin/env python3
"""The failover test's workload and checker (tests/e2e/failover_test.sh).

  failover_checker.py run --ca CA --urls A,B --bearer ENTRA --log LOG --stop STOPFILE
      One thread per latchkeyd replica, until STOPFILE exists: create a PAT on its replica,
      authenticate with it on the other one, and delete every second PAT on its replica, then
      try it at once on both. Every request is one JSON line in LOG: op, replica, sent and
      answered (epoch ms), HTTP status (0: no answer), token id and value. A 2xx answer is an
      acknowledged operation.

  failover_checker.py progress --log LOG --since MS
      Per replica, the first acknowledged write (create or delete) sent at or after MS:
      "replica=<url> first_ack_ms=<answered ms or -1>" lines.

  failover_checker.py verify --ca CA --urls A,B --admin ADMIN --log LOG --kills KILLS
      Afterwards, on every replica: every acknowledged create whose token was not deleted
      authenticates (else: lost); every token whose delete was acknowledged is refused (else:
      accepted after revoke); every acknowledged create and delete has its audit row
      (token.create / token.delete on token:<id>, read through GET /api/2.0/latchkey/audit as
      admin). Also, from the log: an authentication answered 200 for a request sent after the
      token's delete was acknowledged (same replica: a violation; other replica: the
      propagation delay, reported). KILLS has one line per round: "kill_ms leader_ms"; write
      unavailability is from kill_ms to the first acknowledged write sent after it, per
      replica. Prints key=value lines; exits 0 (the shell test asserts on the figures).
"""
import argparse
import http.client
import json
import os
import ssl
import statistics
import sys
import threading
import time

TIMEOUT_S = 5.0


def now_ms():
    return int(time.time() * 1000)


class Client:
    """One kept-alive HTTPS connection to a replica, reopened after any failure."""

    def __init__(self, url, ctx):
        host, port = url[len("https://"):].rstrip("/").rsplit(":", 1)
        self.host, self.port, self.ctx, self.conn = host, int(port), ctx, None

    def call(self, method, path, bearer, body=None):
        headers = {"Authorization": "Bearer " + bearer}
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            if self.conn is None:
                self.conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx,
                                                        timeout=TIMEOUT_S)
            self.conn.request(method, path, body=None if body is None else json.dumps(body),
                              headers=headers)
            response = self.conn.getresponse()
            data = response.read()
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return response.status, data
        except (OSError, http.client.HTTPException):
            self.close()
            return 0, b""

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def context(ca):
    return ssl.create_default_context(cafile=ca)


def auth_status(client, pat):
    return client.call("GET", "/api/2.0/preview/scim/v2/Me", pat)[0]


def run(args):
    urls = args.urls.split(",")
    ctx = context(args.ca)
    out = open(args.log, "a", buffering=1)
    lock = threading.Lock()

    def record(**entry):
        with lock:
            out.write(json.dumps(entry) + "\n")

    def worker(index):
        me, other = urls[index], urls[(index + 1) % len(urls)]
        own, peer = Client(me, ctx), Client(other, ctx)
        n = 0
        while not os.path.exists(args.stop):
            n += 1
            sent = now_ms()
            status, body = own.call("POST", "/api/2.0/token/create", args.bearer,
                                    {"lifetime_seconds": 7200, "comment": "fo-%d-%d" % (index, n)})
            entry = {"op": "create", "replica": me, "sent": sent, "done": now_ms(),
                     "status": status}
            if status == 200:
                created = json.loads(body)
                entry["token"] = created["token_value"]
                entry["token_id"] = created["token_info"]["token_id"]
            record(**entry)
            if status == 200:
                pat, token_id = entry["token"], entry["token_id"]
                sent = now_ms()
                record(op="auth", replica=other, sent=sent, status=auth_status(peer, pat),
                       done=now_ms(), token_id=token_id)
                if n % 2 == 0:
                    sent = now_ms()
                    status, _ = own.call("POST", "/api/2.0/token/delete", args.bearer,
                                         {"token_id": token_id})
                    record(op="delete", replica=me, sent=sent, done=now_ms(), status=status,
                           token_id=token_id)
                    if status == 200:
                        deleted = now_ms()
                        for name, client in ((me, own), (other, peer)):
                            sent = now_ms()
                            record(op="auth_after_delete", replica=name, sent=sent,
                                   status=auth_status(client, pat), done=now_ms(),
                                   token_id=token_id)
                        # How long the other replica keeps accepting it (the revocation's
                        # propagation): polled until refused (401/403/429; a 503 accepts
                        # nothing either, and is polled on), for at most 30 s.
                        last_accept, status = None, 0
                        while now_ms() - deleted < 30000:
                            status = auth_status(peer, pat)
                            if status == 200:
                                last_accept = now_ms()
                            elif status in (401, 403, 429):
                                break
                            time.sleep(0.02)
                        record(op="revocation_heard", replica=other, sent=deleted,
                               done=now_ms(), status=status if status in (401, 403, 429) else 0,
                               last_accept=last_accept, token_id=token_id)
            time.sleep(args.pause)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(urls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def probe(args):
    """Until a PAT deleted on A is refused by B (which had it cached) within 200 ms: the
    replicas hear each other's revocations again. Prints the time it took."""
    urls = args.urls.split(",")
    ctx = context(args.ca)
    a, b = Client(urls[0], ctx), Client(urls[1], ctx)
    start = time.monotonic()
    while time.monotonic() - start < args.timeout:
        status, body = a.call("POST", "/api/2.0/token/create", args.bearer,
                              {"lifetime_seconds": 600, "comment": "probe"})
        if status == 200:
            created = json.loads(body)
            pat, token_id = created["token_value"], created["token_info"]["token_id"]
            if auth_status(b, pat) == 200:
                status, _ = a.call("POST", "/api/2.0/token/delete", args.bearer,
                                   {"token_id": token_id})
                if status == 200:
                    deleted = time.monotonic()
                    while time.monotonic() - deleted < 0.2:
                        if auth_status(b, pat) in (401, 403, 429):
                            print("propagating_after_ms=%d" % ((time.monotonic() - start) * 1000))
                            return 0
                        time.sleep(0.01)
        time.sleep(0.05)
    print("propagating_after_ms=-1")
    return 1


def watch(args):
    """Every `pause` seconds until STOPFILE exists, on each replica: authenticate one PAT
    (cached by both replicas before the first kill; op "cached_auth") and create a PAT (op
    "create", a steady write that never waits on anything else: the write unavailability is
    measured on it). One JSON line per answer; the creates are verified like the workload's."""
    urls = args.urls.split(",")
    ctx = context(args.ca)
    clients = {url: Client(url, ctx) for url in urls}
    n = 0
    with open(args.log, "a", buffering=1) as out:
        while not os.path.exists(args.stop):
            n += 1
            for url, client in clients.items():
                sent = now_ms()
                status = auth_status(client, args.pat)
                out.write(json.dumps({"op": "cached_auth", "replica": url, "sent": sent,
                                      "done": now_ms(), "status": status}) + "\n")
                sent = now_ms()
                status, body = client.call("POST", "/api/2.0/token/create", args.bearer,
                                           {"lifetime_seconds": 7200, "comment": "watch-%d" % n})
                entry = {"op": "create", "replica": url, "sent": sent, "done": now_ms(),
                         "status": status, "steady": True}
                if status == 200:
                    created = json.loads(body)
                    entry["token"] = created["token_value"]
                    entry["token_id"] = created["token_info"]["token_id"]
                out.write(json.dumps(entry) + "\n")
            time.sleep(args.pause)


def outage(args):
    """From a watch log and KILLS: per round and replica, what a cached PAT got between the
    kill and the new leader: "round=N replica=URL accepted=A refused=R last_accept_ms=L
    first_refusal_ms=F" (ms after the kill; -1: none)."""
    entries = [e for e in read_log(args.log) if e.get("op") == "cached_auth"]
    with open(args.kills) as f:
        kills = [tuple(int(x) for x in line.split()[:2]) for line in f if line.strip()]
    for index, (kill_ms, leader_ms) in enumerate(kills):
        for url in sorted({e["replica"] for e in entries}):
            window = [e for e in entries
                      if e["replica"] == url and kill_ms <= e["sent"] and e["done"] <= leader_ms]
            accepted = [e["done"] - kill_ms for e in window if e["status"] == 200]
            refused = [e["done"] - kill_ms for e in window if e["status"] != 200]
            print("round=%d replica=%s accepted=%d refused=%d last_accept_ms=%d first_refusal_ms=%d"
                  % (index + 1, url, len(accepted), len(refused),
                     max(accepted) if accepted else -1, min(refused) if refused else -1))


def read_log(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def is_write(entry):
    return entry["op"] in ("create", "delete")


def first_acks(entries, since, until=float("inf")):
    """Per replica: when it acknowledged writes again after `since` (a kill), looking at
    writes sent before `until` (the next kill). Writes sent just after a kill may still be
    acknowledged by the dying primary's backends (they outlive the postmaster by milliseconds,
    and the synchronous standby has the commit), so the outage starts at the first write the
    replica refused after `since`; its end is the first acknowledged write sent after that. A
    replica that refused nothing was never unavailable (its first acknowledgement after
    `since` is returned)."""
    first = {}
    for replica in {e["replica"] for e in entries}:
        writes = sorted((e for e in entries if is_write(e) and e["replica"] == replica
                         and since <= e["sent"] < until),
                        key=lambda e: e["sent"])
        refused = next((e for e in writes if e["status"] != 200), None)
        start = refused["sent"] if refused else since
        acks = [e["done"] for e in writes if e["status"] == 200 and e["sent"] >= start]
        if acks:
            first[replica] = min(acks)
    return first


def progress(args):
    entries = read_log(args.log)
    first = first_acks(entries, args.since)
    for url in sorted({e["replica"] for e in entries}):
        print("replica=%s first_ack_ms=%d" % (url, first.get(url, -1)))


def audit_targets(client, admin):
    """Every (action, target) in the audit trail, following next_after."""
    seen, after = set(), 0
    while True:
        status, body = client.call("GET", "/api/2.0/latchkey/audit?after=%d&limit=1000" % after,
                                   admin)
        if status != 200:
            raise RuntimeError("audit read answered %d: %r" % (status, body[:200]))
        page = json.loads(body)
        for event in page["events"]:
            seen.add((event["action"], event["target"]))
        if not page["events"]:
            return seen
        after = page["next_after"]


def accepted_for(e):
    """How long after the delete's acknowledgement the other replica still accepted it."""
    return e["last_accept"] - e["sent"] if e.get("last_accept") else 0


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] if values else float("nan")


def verify(args):
    urls = args.urls.split(",")
    ctx = context(args.ca)
    entries = read_log(args.log)
    if args.watch:
        entries += [e for e in read_log(args.watch) if e.get("op") == "create"]
    creates = {e["token_id"]: e for e in entries if e["op"] == "create" and e["status"] == 200}
    deletes = {e["token_id"]: e for e in entries if e["op"] == "delete" and e["status"] == 200}
    # A delete that got no answer (or 5xx) may or may not have been committed: its token is
    # checked by neither rule.
    unsure = {e["token_id"] for e in entries if e["op"] == "delete" and e["status"] != 200}
    acked_auths = [e for e in entries if e["op"] == "auth" and e["status"] == 200]

    kills = []
    if args.kills and os.path.exists(args.kills):
        with open(args.kills) as f:
            kills = [tuple(int(x) for x in line.split()[:2]) for line in f if line.strip()]

    lost, accepted_after_revoke, unverifiable = [], [], 0
    audit_missing = []
    checks = 0
    for url in urls:
        client = Client(url, ctx)
        for token_id, create in creates.items():
            if token_id in unsure:
                continue
            status = auth_status(client, create["token"])
            checks += 1
            if token_id in deletes:
                if status == 200:
                    d = deletes[token_id]
                    accepted_after_revoke.append((url, token_id, d["replica"], d["done"]))
                elif status >= 500 or status == 0:
                    unverifiable += 1
            elif status != 200:
                lost.append((url, token_id, status))
        seen = audit_targets(client, args.admin)
        for token_id, e in creates.items():
            if ("token.create", "token:" + token_id) not in seen:
                audit_missing.append((url, "create", token_id, e["done"]))
        for token_id, e in deletes.items():
            if ("token.delete", "token:" + token_id) not in seen:
                audit_missing.append((url, "delete", token_id, e["done"]))
        client.close()

    # During the run: a token accepted after its delete was acknowledged.
    same_replica_violations, propagation = 0, []
    for e in entries:
        if e["op"] != "auth_after_delete" or e["token_id"] not in deletes:
            continue
        delete = deletes[e["token_id"]]
        if e["status"] == 200 and e["sent"] >= delete["done"]:
            if e["replica"] == delete["replica"]:
                same_replica_violations += 1
            else:
                propagation.append(e["done"] - delete["done"])

    unavailable, patroni, stale_windows = [], [], []
    for index, (kill_ms, leader_ms) in enumerate(kills):
        until = kills[index + 1][0] if index + 1 < len(kills) else float("inf")
        # How long the other replica kept accepting a PAT deleted in this round.
        delays = [accepted_for(e) for e in entries
                  if e["op"] == "revocation_heard" and kill_ms <= e["sent"] < until]
        stale_windows.append(max(delays) if delays else 0)
        patroni.append(leader_ms - kill_ms)
        # Measured on the watch's steady creates (the workload's threads may be busy polling a
        # revocation through an outage, and then make no write in it).
        first = first_acks([e for e in entries if e.get("steady")], kill_ms, until)
        for url in urls:
            unavailable.append(first[url] - kill_ms if url in first else float("inf"))

    status_counts = {}
    for e in entries:
        key = "%s:%d" % (e["op"], e["status"])
        status_counts[key] = status_counts.get(key, 0) + 1
    print("requests=%d statuses=%s" % (len(entries), json.dumps(status_counts, sort_keys=True)))
    print("acked_creates=%d acked_deletes=%d acked_auths=%d unsure_deletes=%d" %
          (len(creates), len(deletes), len(acked_auths), len(unsure)))
    print("operations_checked=%d" % (len(creates) + len(deletes) + len(acked_auths)))
    print("token_checks=%d unverifiable=%d" % (checks, unverifiable))
    print("lost=%d" % len(lost))
    for item in lost[:10]:
        print("# lost: %s %s (HTTP %d)" % item)
    print("accepted_after_revoke=%d" % len(accepted_after_revoke))
    for item in accepted_after_revoke[:10]:
        print("# accepted after revoke: on %s, token %s deleted on %s at %d" % item)
    print("accepted_after_delete_same_replica=%d" % same_replica_violations)
    # Revocations: how long the other replica kept accepting each deleted PAT. Beyond 1 s only
    # for a delete acknowledged just before a kill (its notification died with the primary)
    # and then at most until the other replica's outage grace ran out (grace + 2.5 s after the
    # kill) or the new leader came (+ 1 s: the outage guard reads through once it answers).
    grace = dict(item.split("=", 1) for item in args.grace.split(",")) if args.grace else {}
    heard = [e for e in entries if e["op"] == "revocation_heard"]
    delays = sorted(accepted_for(e) for e in heard)
    late_unexplained = []
    for e in heard:
        if accepted_for(e) <= 1000:
            continue
        explained = False
        for kill_ms, leader_ms in kills:
            if kill_ms - 2000 <= e["sent"] <= leader_ms:
                until = leader_ms + 1000
                if e["replica"] in grace:
                    until = min(until, kill_ms + int(grace[e["replica"]]) * 1000 + 2500)
                explained = e["last_accept"] <= until
        if not explained:
            late_unexplained.append(e)
    print("revocations_timed=%d never_heard=%d revocation_delay_p50_ms=%d revocation_delay_max_ms=%d"
          " revocation_late_unexplained=%d"
          % (len(heard), sum(1 for e in heard if e["status"] == 0),
             percentile(delays, 0.5) if delays else 0, delays[-1] if delays else 0,
             len(late_unexplained)))
    for e in late_unexplained[:10]:
        print("# revocation accepted for %d ms by %s (deleted at %d)" %
              (accepted_for(e), e["replica"], e["sent"]))
    if propagation:
        print("propagation_accepts=%d propagation_max_ms=%d" % (len(propagation), max(propagation)))
    else:
        print("propagation_accepts=0 propagation_max_ms=0")
    # A row lost with the connection it was written on is missing for an operation
    # acknowledged right after a kill; anything else is missing for another reason.
    kill_times = [k[0] for k in kills]
    away = [m for m in audit_missing if all(abs(m[3] - k) > 2000 for k in kill_times)]
    print("audit_missing=%d audit_missing_away_from_kills=%d" % (len(audit_missing), len(away)))
    for url, what, token_id, done in audit_missing[:10]:
        near = min((done - k for k in kill_times), key=abs, default=0)
        print("# audit row missing: on %s, %s of token %s acknowledged %+d ms from a kill" %
              (url, what, token_id, near))
    if kills:
        print("rounds=%d" % len(kills))
        print("unavailable_ms=%s" % " ".join("%.0f" % v for v in unavailable))
        print("patroni_failover_ms=%s" % " ".join(str(v) for v in patroni))
        print("unavailable_p50_ms=%.0f unavailable_max_ms=%.0f" %
              (percentile(unavailable, 0.5), max(unavailable)))
        print("patroni_p50_ms=%.0f patroni_max_ms=%.0f" %
              (percentile(patroni, 0.5), max(patroni)))
        print("revocation_delay_after_kill_ms=%s revocation_delay_after_kill_max_ms=%d" %
              (" ".join(str(v) for v in stale_windows), max(stale_windows)))
        after_leader = []
        for (kill_ms, leader_ms), i in zip(kills, range(len(kills))):
            for j in range(len(urls)):
                v = unavailable[i * len(urls) + j]
                after_leader.append(v - (leader_ms - kill_ms))
        print("after_new_leader_p50_ms=%.0f after_new_leader_max_ms=%.0f" %
              (percentile(after_leader, 0.5), max(after_leader)))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run")
    p.add_argument("--ca", required=True)
    p.add_argument("--urls", required=True)
    p.add_argument("--bearer", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--stop", required=True)
    p.add_argument("--pause", type=float, default=0.1)
    p = sub.add_parser("probe")
    p.add_argument("--ca", required=True)
    p.add_argument("--urls", required=True)
    p.add_argument("--bearer", required=True)
    p.add_argument("--timeout", type=float, default=30)
    p = sub.add_parser("watch")
    p.add_argument("--ca", required=True)
    p.add_argument("--urls", required=True)
    p.add_argument("--pat", required=True)
    p.add_argument("--bearer", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--stop", required=True)
    p.add_argument("--pause", type=float, default=0.2)
    p = sub.add_parser("outage")
    p.add_argument("--log", required=True)
    p.add_argument("--kills", required=True)
    p = sub.add_parser("progress")
    p.add_argument("--log", required=True)
    p.add_argument("--since", type=int, required=True)
    p = sub.add_parser("verify")
    p.add_argument("--ca", required=True)
    p.add_argument("--urls", required=True)
    p.add_argument("--admin", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--kills")
    p.add_argument("--grace", help="URL=seconds,...: replicas whose outage grace is not 60 s")
    p.add_argument("--watch", help="the watch log: its creates are verified too")
    args = parser.parse_args()
    return {"run": run, "probe": probe, "watch": watch, "outage": outage, "progress": progress,
            "verify": verify}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
