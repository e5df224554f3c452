"""Throughput and latency of the consent API on loopback, SQLite and PostgreSQL.

Starts ``desens serve`` in a subprocess for each backend, populates it
through the library (synthetic subjects), then runs concurrent closed-loop
clients for a fixed time per scenario: ``health`` (the HTTP stack alone),
``verify`` and ``query``. The clients speak HTTP/1.1 over TCP on keep-alive
connections with prebuilt requests (asyncio streams, not httpx, whose CPU
per request exceeds the server's and would share its two cores).
Prints one JSON object (requests/s, p50/p99 latency, errors, CPU
milliseconds per request of the server, the client and PostgreSQL, whether
the audit log holds exactly one entry per request and whether its chain
verifies) and a human line.

    .venv/bin/python -m benchmarks.bench_api [--seconds 5] [--clients 8]
        [--backends sqlite,postgresql]

Target on a 2-core machine: >= 500 query req/s, p99 <= 50 ms, zero errors.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, func, select, text

from desens.consent import (
    ConsentSettings,
    ConsentStore,
    ConsentTerms,
    DatasetSpec,
    FieldSpec,
    add_records,
    create_consent,
    create_dataset,
    create_principal,
)
from desens.consent.audit import verify_chain
from desens.consent.models import AuditEntry
from desens.keys import KeyRing
from recognizers.checksums import gb11643_check_char, uscc_check_char

PG_ADMIN = os.environ.get(
    "DESENS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SUBJECTS = 200


def _id(n: int) -> str:
    body = f"440703198{n % 10}0101{n % 1000:03d}"
    return body + gb11643_check_char(body)


def _phone(n: int) -> str:
    return f"138{n:08d}"


def _uscc(n: int) -> str:
    body = f"9144070{n:010d}"
    return body + uscc_check_char(body)


def populate(store: ConsentStore) -> dict[str, Any]:
    fields = [
        FieldSpec(name="身份证号", entity="CN_RESIDENT_ID"),
        FieldSpec(name="姓名", entity="PERSON"),
        FieldSpec(name="手机号", entity="PHONE_NUMBER"),
        FieldSpec(name="住址", entity="CN_ADDRESS"),
        FieldSpec(name="收入"),
    ]
    records = [
        {
            "身份证号": _id(n),
            "姓名": "张伟",
            "手机号": _phone(n),
            "住址": f"广东省江门市蓬江区建设路{n}号",
            "收入": f"{3000 + n}元",
        }
        for n in range(SUBJECTS)
    ]
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    notice = hashlib.sha256(b"notice").hexdigest()
    tokens: dict[str, list[str]] = {"verify": [], "query": []}
    with store.transaction() as s:
        dept, _ = create_principal(s, store.keys, role="department", name="d", uscc=_uscc(1))
        portal, _ = create_principal(s, store.keys, role="portal", name="p")
        rec, rec_key = create_principal(s, store.keys, role="recipient", name="r", uscc=_uscc(2))
        ds = create_dataset(
            s, dept, DatasetSpec(name="bench", fields=fields, subject_key="身份证号", policy="open")
        )
        add_records(s, store.keys, dept, ds, records)
        for n in range(SUBJECTS):
            for mode in ("verify", "query"):
                items = (
                    [{"field": "手机号"}]
                    if mode == "verify"
                    else [{"field": "姓名"}, {"field": "手机号"}]
                )
                terms = ConsentTerms(
                    subject_id=_id(n),
                    recipient_id=rec.id,
                    dataset_id=ds.id,
                    purpose="bench",
                    scenario="bench",
                    items=items,
                    mode=mode,
                    expires_at=expires,
                    legal_basis="PIPL-13-1-consent",
                    notice_version="1",
                    notice_sha256=notice,
                    channel="bench",
                )
                tokens[mode].append(create_consent(s, store.keys, portal, terms)[1])
    return {"key": rec_key, "tokens": tokens}


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[str, int, float] | None:
    # (comm, ppid, utime + stime in seconds) from /proc; None once it has gone.
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = raw[raw.index("(") + 1 : raw.rindex(")")]
    rest = raw[raw.rindex(")") + 2 :].split()
    return comm, int(rest[1]), (int(rest[11]) + int(rest[12])) / _TICK


def _processes() -> dict[int, tuple[str, int, float]]:
    out = {}
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if entry.name.isdigit() and (st := _stat(int(entry.name))) is not None:
            out[int(entry.name)] = st
    return out


def tree_cpu(root: int) -> float:
    """CPU seconds (user + system) so far of ``root`` and its live descendants."""
    procs = _processes()
    seen, todo, total = set(), [root], 0.0
    while todo:
        pid = todo.pop()
        if pid in seen or pid not in procs:
            continue
        seen.add(pid)
        total += procs[pid][2]
        todo.extend(p for p, st in procs.items() if st[1] == pid)
    return total


def postgres_cpu() -> float | None:
    """CPU seconds of every local ``postgres`` process (backends, WAL writer ...).

    None when none is visible (a remote server). Backends that exit during a
    run are not counted; the server's pool keeps its connections open.
    """
    found = [st[2] for st in _processes().values() if st[0] == "postgres"]
    return sum(found) if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def drive(
    port: int, key: str, mode: str, tokens: list[str], seconds: float, clients: int
) -> dict[str, Any]:
    """Closed-loop clients on keep-alive connections for ``seconds``.

    ``tokens[n]`` is a consent of subject ``n`` (see :func:`populate`).

    A minimal HTTP/1.1 client (prebuilt requests, Content-Length framing):
    httpx costs more CPU per request than the server does, and on a 2-core
    machine the client would measure itself.
    """
    latencies: list[float] = []
    errors = 0
    statuses: dict[int, int] = {}
    end = time.perf_counter() + seconds

    def request(n: int, token: str) -> bytes:
        if mode == "health":
            return f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
        body: dict[str, Any] = {"token": token}
        if mode == "verify":
            # Subject n's own number: a "no match" counts against the consent,
            # which stops answering after DESENS_VERIFY_MAX_MISMATCHES of them.
            body.update(field="手机号", value=_phone(n))
        data = json.dumps(body).encode()
        head = (
            f"POST /access/{mode} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"X-API-Key: {key}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n"
        )
        return head.encode() + data

    prebuilt = [request(n, t) for n, t in enumerate(tokens)]

    async def worker(w: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = w
        try:
            while time.perf_counter() < end:
                payload = prebuilt[i % len(prebuilt)]
                i += clients
                t = time.perf_counter()
                writer.write(payload)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - t)
                statuses[status] = statuses.get(status, 0) + 1
                if status != 200:
                    errors += 1
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            errors += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(clients)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    n = len(latencies)
    return {
        "requests": n,
        "rps": round(n / elapsed, 1),
        "p50_ms": round(latencies[n // 2] * 1000, 2) if n else None,
        "p99_ms": round(latencies[min(n - 1, int(n * 0.99))] * 1000, 2) if n else None,
        "errors": errors,
        "statuses": statuses,
    }


def run_backend(backend: str, seconds: float, clients: int, tmp: Path) -> dict[str, Any]:
    ring_path = tmp / f"ring-{backend}.json"
    KeyRing.new(ring_path)
    pg_admin = None
    db_name = f"desens_bench_{os.getpid()}"
    if backend == "sqlite":
        url = f"sqlite:///{tmp / 'bench.db'}"
    else:
        pg_admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with pg_admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}"'))
            conn.execute(text(f'CREATE DATABASE "{db_name}"'))
        url = pg_admin.url.set(database=db_name).render_as_string(hide_password=False)
    store = ConsentStore(ConsentSettings(database_url=url, keyring=ring_path))
    store.migrate()
    setup = populate(store)
    with store.reading() as s:
        audit_before = int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)
    port = free_port()
    env = {**os.environ, "DESENS_ACCESS_LOG": "false"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "desens",
            "serve",
            "--database-url",
            url,
            "--keyring",
            str(ring_path),
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.1)
        out: dict[str, Any] = {}
        # /health is the baseline: the HTTP stack alone, in the same run.
        for mode in ("health", "verify", "query"):
            before = (tree_cpu(server.pid), time.process_time(), postgres_cpu())
            out[mode] = asyncio.run(
                drive(port, setup["key"], mode, setup["tokens"].get(mode, ["-"]), seconds, clients)
            )
            after = (tree_cpu(server.pid), time.process_time(), postgres_cpu())
            n = max(out[mode]["requests"], 1)
            out[mode]["cpu_ms_per_request"] = {
                "server": round((after[0] - before[0]) * 1000 / n, 3),
                "client": round((after[1] - before[1]) * 1000 / n, 3),
                "postgres": (
                    round((after[2] - before[2]) * 1000 / n, 3)
                    if backend == "postgresql" and after[2] is not None and before[2] is not None
                    else None
                ),
            }
    finally:
        server.terminate()
        server.wait(timeout=10)
    with store.reading() as s:
        audit_after = int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)
        chain = verify_chain(s, store.keys.public_key)
    total = out["verify"]["requests"] + out["query"]["requests"]
    out["query_vs_health"] = round(out["query"]["rps"] / out["health"]["rps"], 3)
    out["audit_entries"] = audit_after - audit_before
    out["audit_entries_equal_requests"] = out["audit_entries"] == total
    # What `desens audit verify` checks: the chain, its head and checkpoints.
    out["audit_chain_ok"] = chain.ok
    out["audit_checkpoints"] = chain.checkpoints
    store.close()
    if pg_admin is not None:
        with pg_admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        pg_admin.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per scenario (default 5)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    result: dict[str, Any] = {
        "benchmark": "bench_api",
        "seconds_per_scenario": args.seconds,
        "clients": args.clients,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            # Other work on the machine depresses req/s; CPU ms per request
            # (per scenario, below) is the load-robust figure.
            "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "target": {"query_rps": 500, "query_p99_ms": 50},
    }
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            result[backend] = run_backend(backend, args.seconds, args.clients, Path(tmp))
    print(json.dumps(result, ensure_ascii=False))
    for backend in args.backends.split(","):
        r = result[backend]
        print(
            f"{backend}: query {r['query']['rps']} req/s p99 {r['query']['p99_ms']} ms, "
            f"verify {r['verify']['rps']} req/s p99 {r['verify']['p99_ms']} ms, "
            f"errors {r['query']['errors'] + r['verify']['errors']}, "
            f"audit == requests: {r['audit_entries_equal_requests']}, "
            f"chain verifies: {r['audit_chain_ok']}",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
