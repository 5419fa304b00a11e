"""Portail Famille benchmark: each figure beside its baseline, measured in the same run.

    .venv/bin/python bench/run.py [--only 1,2,...,11] [--seconds 8] [--concurrency 32] [--help]

Scenarios (see bench/README.md):
  1. bare aiohttp handler                         baseline of HTTP
  2. bare proxy → handler with one SELECT by PK    vs 1   (2a: the handler alone, vs 1)
  3. our gateway → planning service (real apps)    vs 2   (3a: planning alone, vs 2a)
  4. outbox → RabbitMQ → inbox (servicekit)        vs raw aio-pika confirmed publish + consume
                                                          (4a: raw with 100 confirms in flight)
  5. gateway, bearer token → accounts /dossier      vs the same gateway with its session cache off
                                                          (5a: accounts alone, signed identity header)
  6. logins/s, argon2id production profile          vs raw argon2 verify in 2 processes
                                                          (6m: accounts' memory high-water mark vs idle)
  7. gateway, bearer → planning month grid, 300 families   vs 2 (7a: planning alone, vs 2a)
  8. « Valider » (PUT month, billing's quote over RPC)     vs the raw RPC echo round trip
  9. billing's quote over request/reply                     vs the raw RPC echo round trip
 10. Sunday-evening rush: book, pay, confirmed; per step; overbooked days (must be 0)
 11. the « Planning » page (HTML) through the gateway       vs 2 (skipped until built)

Every server runs in its own process (bench/servers.py); the load comes from ``wrk`` when
it is installed, else from N aiohttp client workers in another process. HTTP figures are
measured in interleaved rounds (1, 2, 2a, 3, 3a, 5 ..., 1, 2 ...) and reported as medians. Databases
``bench_<run>_*`` and the RabbitMQ vhosts ``bench_<run>_<scenario>`` are made for the run and removed
at the end, on failure and on Ctrl-C too. The table is printed and written as JSON to
bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import queue
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

from servicekit.testing import ADMIN_DSN, AMQP_BASE, dsn_for, rabbitmqctl

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SERVERS = BENCH / "servers.py"
RESULTS = BENCH / "results"
LOGS = RESULTS / "logs"


PK_ROWS = 10_000
SERVER_ENV = {"ENVIRONMENT": "test", "LOG_LEVEL": "WARNING", "LOG_FORMAT": "json"}
# ENVIRONMENT=test refuses the development IDENTITY_SECRET: the run makes its own, which
# the servers it starts inherit and its in-process settings read.
os.environ.setdefault("IDENTITY_SECRET", secrets.token_urlsafe(32))


# Each figure: its row in the table and the short label other rows use to name it as baseline.
NAMES = {
    "bare": ("1  bare aiohttp handler, small JSON", "(1) bare handler"),
    "synthetic_chain": ("2  bare proxy → handler, 1 SELECT by PK", "(2) proxy → PK handler"),
    "synthetic_backend": ("2a   the PK handler alone, no proxy", "(2a) PK handler alone"),
    "gateway_chain": ("3  our gateway → planning /activities", "(3) gateway → planning"),
    "planning_direct": ("3a   the planning service alone", "(3a) planning alone"),
    "events_outbox": ("4  outbox → RabbitMQ → inbox", "(4) outbox → inbox"),
    "events_raw_pipelined": ("4a   raw aio-pika, 100 confirms in flight", "(4a) raw pipelined"),
    "events_raw": ("raw aio-pika confirmed publish + consume", "raw aio-pika, 1 confirm at a time"),
    "auth_cached": ("5  gateway, bearer → accounts /dossier", "(5) gateway, session cache 5 s"),
    "auth_uncached": ("5-off  the same, session cache off", "(5-off) gateway, cache off"),
    "auth_direct": ("5a   accounts alone, signed identity", "(5a) accounts alone"),
    "login_production": ("6  logins, argon2id production profile", "(6) logins"),
    "login_memory": ("6m   accounts memory high-water mark", "(6m) high-water mark"),
    "argon2_raw": ("raw argon2id verify", "raw verify, 2 processes"),
    "accounts_idle_rss": ("accounts idle RSS", "accounts idle RSS"),
    "grid_read": ("7  gateway, bearer → planning month grid", "(7) grid read"),
    "grid_direct": ("7a   planning grid alone, signed identity", "(7a) planning grid alone"),
    "rpc_echo": ("rpc  raw request/reply round trip (echo)", "raw RPC echo round trip"),
    "valider": ("8  « Valider »: PUT month, quote over RPC", "(8) Valider"),
    "quote_rpc": ("9  billing quote over request/reply", "(9) quote over RPC"),
    "rush": ("10 Sunday-evening rush, whole families", "(10) rush"),
    "rush_put": ("10 put: PUT month (« Valider »)", "(10) put"),
    "rush_basket": ("10 basket: GET basket", "(10) basket"),
    "rush_checkout": ("10 checkout: POST checkout (« Payer »)", "(10) checkout"),
    "rush_pay": ("10 pay: Treasury decision + notification", "(10) pay"),
    "rush_confirm": ("10 confirm: until planning confirmed", "(10) confirm"),
    "rush_overbooked": ("10o overbooked days (must be 0)", "(10o) overbooked"),
    "planning_page": ("11 gateway « Planning » page, HTML", "(11) Planning page"),
}
SCENARIOS = tuple(str(n) for n in range(1, 12))

DEMO_PARENT = ("lederf", "Portail-Famille-404")  # accounts.demo.DEMO_PARENT
RAW_VERIFY_WORKERS = 2  # the baseline of 6: one argon2 process per core of this machine


# --------------------------------------------------------------------------- resources


# Before each round but the first, every HTTP target gets this much load again, not counted.
ROUND_REWARM_SECONDS = 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """A child process with its output in bench/results/logs/<name>.log (stdout optionally piped)."""

    def __init__(self, name: str, argv: list[str], *, pipe_stdout: bool = False, env: dict[str, str] | None = None):
        self.name = name
        self.log_path = LOGS / f"{name}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        env = {**os.environ, **SERVER_ENV, **(env or {}), "PYTHONUNBUFFERED": "1"}
        self.popen = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if pipe_stdout else self._log,
            stderr=self._log,
            text=True,
            start_new_session=True,  # Ctrl-C reaches run.py only; run.py stops its children
        )
        self.pid = self.popen.pid  # also its process group: a role's own workers stop with it
        self.lines: queue.Queue[str | None] = queue.Queue()
        if pipe_stdout:
            threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def next_line(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"{self.name}: no output within {timeout:.0f} s{self.tail()}") from None
            if line is None:
                self.popen.wait(timeout=5)
                raise RuntimeError(f"{self.name} exited with code {self.popen.returncode}{self.tail()}")
            if line.strip():
                return line

    def tail(self, lines: int = 15) -> str:
        with contextlib.suppress(OSError):
            self._log.flush()
            text = self.log_path.read_text(errors="replace").strip().splitlines()[-lines:]
            if text:
                return "\n    " + "\n    ".join(text)
        return ""

    def alive(self) -> bool:
        return self.popen.poll() is None

    def _signal_group(self, sig: int) -> None:
        # Only while our child is not reaped: its pid is then still its process group's id.
        if self.alive():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, sig)

    def stop(self) -> None:
        if self.alive():
            self._signal_group(signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.popen.wait(timeout=5)
        if self.popen.stdout is not None:
            self.popen.stdout.close()
        self._log.close()


@dataclass
class Run:
    """Everything the run made, so that cleanup() can remove it whatever happened."""

    run_id: str = field(default_factory=lambda: secrets.token_hex(4))
    processes: list[Process] = field(default_factory=list)
    databases: list[str] = field(default_factory=list)
    vhosts: list[str] = field(default_factory=list)
    _scratch: Path | None = None

    @property
    def scratch(self) -> Path:
        """A private directory for the run's files (request lists with tokens), removed at cleanup."""
        if self._scratch is None:
            self._scratch = Path(tempfile.mkdtemp(prefix=f"bench_{self.run_id}_"))  # mode 0700
        return self._scratch

    def json_line(self, process: Process, timeout: float) -> dict:
        return _json_line(process, timeout)

    def start(
        self, name: str, role: str, *args: str, pipe_stdout: bool = False, env: dict[str, str] | None = None
    ) -> Process:
        process = Process(name, [sys.executable, str(SERVERS), role, *args], pipe_stdout=pipe_stdout, env=env)
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        while self.processes:
            self.processes.pop().stop()

    def database(self, label: str) -> str:
        dsn = dsn_for(f"bench_{self.run_id}_{label}")
        self.databases.append(dsn)  # recorded first: a Ctrl-C during CREATE still drops it
        asyncio.run(_ensure_database(dsn))
        return dsn

    def amqp_url(self, label: str) -> str:
        """A vhost of the scenario's own: two scenarios' services of the same name would
        otherwise share their queues and take each other's messages (scenario 3's planning
        consumed half of the rush's payment events)."""
        vhost = f"bench_{self.run_id}_{label}"
        if vhost not in self.vhosts:
            self.vhosts.append(vhost)  # recorded first: an interruption still deletes it
            user = urlsplit(AMQP_BASE).username or "guest"
            rabbitmqctl("add_vhost", vhost)
            rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
        return AMQP_BASE.rstrip("/") + "/" + quote(vhost, safe="")

    def cleanup(self) -> list[str]:
        problems: list[str] = []
        try:
            self.stop_all()
        except Exception as exc:  # keep going: the databases and the vhost must go too
            problems.append(f"stopping processes: {exc}")
        if self.databases:
            try:
                asyncio.run(_drop_databases(self.databases))
                self.databases.clear()
            except Exception as exc:
                problems.append(f"dropping databases {self.databases}: {exc}")
        for vhost in list(self.vhosts):
            for attempt in range(3):
                try:
                    rabbitmqctl("delete_vhost", vhost)
                    self.vhosts.remove(vhost)
                    break
                except Exception as exc:  # the broker may be restarting (others' tests): try again
                    if attempt == 2:
                        problems.append(f"deleting vhost {vhost}: {exc}")
                    else:
                        time.sleep(5)
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None
        return problems


async def _ensure_database(dsn: str) -> None:
    from servicekit.db import ensure_database

    await ensure_database(dsn)


async def _drop_databases(dsns: list[str]) -> None:
    from servicekit.db import drop_database

    for dsn in dsns:
        await drop_database(dsn)


def wait_listening(process: Process, port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(f"{process.name} exited with code {process.popen.returncode}{process.tail()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise TimeoutError(f"{process.name} not listening on {port} after {timeout:.0f} s{process.tail()}")


def http(
    url: str,
    *,
    method: str = "GET",
    json_body: dict | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> tuple[int, bytes]:
    data = None if json_body is None else json.dumps(json_body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def get(url: str, timeout: float = 10) -> tuple[int, bytes]:
    return http(url, timeout=timeout)


def check_ok(url: str, what: str, expect: str | None = None, headers: dict[str, str] | None = None) -> int:
    """One request before the load: the endpoint answers 200 with the expected body."""
    status, body = http(url, headers=headers)
    if status != 200 or (expect is not None and expect.encode() not in body):
        raise RuntimeError(f"{what}: GET {url} answered {status}: {body[:300]!r}")
    return len(body)


# --------------------------------------------------------------------------- load generation


@dataclass
class Load:
    """Closed-loop load: ``concurrency`` connections, each sending its next request on reply."""

    generator: str  # wrk | python
    concurrency: int

    def warm(
        self, url: str, seconds: int, headers: dict[str, str] | None = None, files: RequestFiles | None = None
    ) -> None:
        if seconds > 0:
            self.measure(url, seconds, headers, files)

    def measure(
        self, url: str, seconds: int, headers: dict[str, str] | None = None, files: RequestFiles | None = None
    ) -> dict:
        """``files``: the requests to send in turn (``write_requests``) instead of GET ``url``."""
        header_args = [f"{name}: {value}" for name, value in (headers or {}).items()]
        if self.generator == "wrk":
            return self._wrk(url, seconds, header_args, files.lua if files else None)
        return self._python(url, seconds, header_args, str(files.json) if files else None)

    def _wrk(self, url: str, seconds: int, header_args: list[str], script: Path | None = None) -> dict:
        headers = [arg for header in header_args for arg in ("-H", header)]
        if script is not None:
            headers += ["-s", str(script)]
        out = subprocess.run(
            ["wrk", "-t1", f"-c{self.concurrency}", "--timeout", "5s", f"-d{seconds}s", "--latency", *headers, url],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        ).stdout
        return parse_wrk(out)

    def _python(self, url: str, seconds: int, header_args: list[str], requests_file: str | None = None) -> dict:
        headers = [arg for header in header_args for arg in ("--header", header)]
        if requests_file is not None:
            headers += ["--requests-file", requests_file]
        out = subprocess.run(
            [
                sys.executable,
                str(SERVERS),
                "loadgen",
                "--url",
                url,
                "--concurrency",
                str(self.concurrency),
                "--seconds",
                str(seconds),
                "--warmup",
                "0",
                *headers,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        ).stdout
        return json.loads(out.strip().splitlines()[-1])


@dataclass(frozen=True)
class RequestFiles:
    """One list of requests, as the Python generator reads it (JSON) and as wrk does (Lua)."""

    json: Path
    lua: Path


def _lua(text: str) -> str:
    return f"[==[{text}]==]"


def write_requests(run: Run, name: str, requests: list[dict]) -> RequestFiles:
    """``requests``: ``{method, path, headers, body?}``, sent in turn by every connection
    (request i by whichever connection is free), so that each family's request comes once
    per lap. The files hold bearer tokens: they live in the run's private scratch directory."""
    json_path = run.scratch / f"{name}.json"
    json_path.write_text(json.dumps(requests))
    rows = []
    for r in requests:
        headers = ", ".join(f"[ {_lua(k)} ] = {_lua(v)}" for k, v in r.get("headers", {}).items())
        body = _lua(r["body"]) if r.get("body") else "nil"
        rows.append(f"  {{{_lua(r['method'])}, {_lua(r['path'])}, {{{headers}}}, {body}}},")
    lua_path = run.scratch / f"{name}.lua"
    lua_path.write_text(
        "-- written by bench/run.py: the requests, sent in turn\n"
        "local requests = {\n" + "\n".join(rows) + "\n}\n"
        "local n, i = #requests, 0\n"
        "request = function()\n"
        "  i = i % n + 1\n"
        "  local r = requests[i]\n"
        "  return wrk.format(r[1], r[2], r[3], r[4])\n"
        "end\n"
    )
    return RequestFiles(json_path, lua_path)


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip()).groups()
    return float(number) * _UNITS[unit]


def parse_wrk(out: str) -> dict:
    try:
        return _parse_wrk(out)
    except (AttributeError, KeyError) as exc:  # no answer at all: no latency table
        raise RuntimeError(f"wrk output not understood ({exc!r}): {' '.join(out.split())[:400]}") from None


def _parse_wrk(out: str) -> dict:
    requests, seconds = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", out).group(1, 2)
    unit = re.search(r"\d+ requests in [\d.]+(ms|s|m)", out).group(1)
    seconds = float(seconds) * {"ms": 1e-3, "s": 1.0, "m": 60.0}[unit]
    requests = int(requests)
    non_2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    socket_errors = 0
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        socket_errors = sum(int(x) for x in m.groups())
    latency = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", out, re.M))
    return {
        "requests": requests,
        "errors": non_2xx + socket_errors,
        "seconds": seconds,
        "requests_per_second": (requests - non_2xx) / seconds,
        "p50_ms": _ms(latency["50"]),
        "p99_ms": _ms(latency["99"]),
    }


def pick_generator(choice: str) -> tuple[str, str]:
    wrk = shutil.which("wrk")
    if choice == "wrk" and not wrk:
        sys.exit("--generator wrk: wrk is not installed (apt-get install -y wrk)")
    if choice in ("auto", "wrk") and wrk:
        version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()
        name = version[0].split(" Copyright")[0].strip() if version else "wrk"
        return "wrk", f"{name} (1 thread)"
    import aiohttp

    return "python", f"aiohttp {aiohttp.__version__} client workers in a separate process"


# --------------------------------------------------------------------------- figures


@dataclass
class Figure:
    key: str
    unit: str
    value: float | None = None
    rounds: list[float] = field(default_factory=list)
    baseline_key: str | None = None
    baseline_value: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    status: str = "ok"  # ok | skipped | error
    note: str = ""
    details: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return NAMES[self.key][0]

    @property
    def baseline_name(self) -> str | None:
        if self.baseline_key is None:
            return None
        return NAMES[self.baseline_key][1] if self.baseline_key in NAMES else self.baseline_key

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline_value:
            return None
        return self.value / self.baseline_value

    @property
    def spread(self) -> float | None:
        """Half the range of the rounds, relative to the median: how noisy the figure was."""
        if len(self.rounds) < 2 or not self.value:
            return None
        return (max(self.rounds) - min(self.rounds)) / 2 / self.value


def failed(key: str, status: str, note: str) -> Figure:
    return Figure(key, "", status=status, note=note)


def median(values: list[float]) -> float:
    return statistics.median(values)


# --------------------------------------------------------------------------- HTTP scenarios


@dataclass
class Target:
    key: str
    url: str
    baseline_key: str | None
    headers: dict[str, str] = field(default_factory=dict)  # never written to the results
    results: list[dict] = field(default_factory=list)
    files: RequestFiles | None = None  # requests sent in turn instead of GET url
    measure: Callable[[int], dict] | None = None  # a figure the HTTP generator does not make (RPC)

    def run(self, load: Load, seconds: int) -> dict:
        if self.measure is not None:
            return self.measure(seconds)
        return load.measure(self.url, seconds, self.headers, self.files)


def _items_table(dsn: str) -> None:
    async def setup() -> None:
        import asyncpg

        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(
                """
                CREATE TABLE items (id integer PRIMARY KEY, code text NOT NULL, name text NOT NULL,
                                    capacity integer NOT NULL);
                INSERT INTO items
                  SELECT i, 'code_' || i, 'Activité numéro ' || i, i % 200 FROM generate_series(1, $ROWS) AS i;
                ANALYZE items;
                """.replace("$ROWS", str(PK_ROWS))
            )
        finally:
            await conn.close()

    asyncio.run(setup())


def _planning_database(dsn: str, amqp: str) -> None:
    async def setup() -> None:
        from planning import demo
        from planning.app import SPEC, PlanningSettings
        from servicekit.db import create_pool, migrate

        await migrate(dsn, SPEC.migrations)
        pool = await create_pool(dsn)
        try:
            await demo.load(pool, PlanningSettings(database_url=dsn, amqp_url=amqp, environment="test"))
        finally:
            await pool.close()

    asyncio.run(setup())


def gateway_unavailable() -> str | None:
    """None when the real gateway can be built, else why not."""
    try:
        from servers import gateway_api

        gateway_api()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def start_bare(run: Run) -> list[Target]:
    port = free_port()
    wait_listening(run.start("1-bare", "bare", "--port", str(port)), port)
    url = f"http://127.0.0.1:{port}/hello"
    check_ok(url, "bare handler", '"ok"')
    return [Target("bare", url, None)]


def start_synthetic_chain(run: Run, detail: bool) -> list[Target]:
    dsn = run.database("pk")
    _items_table(dsn)
    back_port, front_port = free_port(), free_port()
    back = run.start("2-pkdb", "pkdb", "--port", str(back_port), "--dsn", dsn, "--rows", str(PK_ROWS))
    front = run.start("2-proxy", "proxy", "--port", str(front_port), "--upstream", f"http://127.0.0.1:{back_port}")
    wait_listening(back, back_port)
    wait_listening(front, front_port)
    direct_url = f"http://127.0.0.1:{back_port}/item"
    url = f"http://127.0.0.1:{front_port}/item"
    check_ok(direct_url, "PK handler", '"capacity"')
    check_ok(url, "proxy → PK handler", '"capacity"')
    targets = [Target("synthetic_chain", url, "bare")]
    if detail:
        targets.append(Target("synthetic_backend", direct_url, "bare"))
    return targets


def start_gateway_chain(run: Run, detail: bool) -> tuple[list[Target], list[Figure]]:
    """The planning service and, when it can be built, the gateway in front of it."""
    why_not = gateway_unavailable()
    if why_not is not None and not detail:
        return [], [failed("gateway_chain", "skipped", f"gateway not available ({why_not})")]
    amqp = run.amqp_url("gateway_chain")
    dsn = run.database("planning")
    _planning_database(dsn, amqp)
    planning_port = free_port()
    planning = run.start("3-planning", "planning", "--port", str(planning_port), "--dsn", dsn, "--amqp", amqp)
    wait_listening(planning, planning_port)
    path = "/api/planning/activities"
    direct_url = f"http://127.0.0.1:{planning_port}{path}"
    check_ok(direct_url, "planning service", '"activities"')
    targets: list[Target] = []
    skipped: list[Figure] = []
    if why_not is None:
        gateway_port = free_port()
        gateway = run.start(
            "3-gateway",
            "gateway",
            "--port",
            str(gateway_port),
            "--amqp",
            amqp,
            "--planning-url",
            f"http://127.0.0.1:{planning_port}",
            "--nowhere-url",
            f"http://127.0.0.1:{free_port()}",  # nothing listens there
        )
        wait_listening(gateway, gateway_port)
        url = f"http://127.0.0.1:{gateway_port}{path}"
        check_ok(url, "gateway → planning", '"activities"')
        targets.append(Target("gateway_chain", url, "synthetic_chain"))
    else:
        skipped.append(failed("gateway_chain", "skipped", f"gateway not available ({why_not})"))
    if detail:
        targets.append(Target("planning_direct", direct_url, "synthetic_backend"))
    return targets, skipped


def _accounts_database(dsn: str, amqp: str, profile: str, extra_users: int = 0) -> dict:
    """Migrate, load accounts' demo data hashed with ``profile``, add ``extra_users``.

    The extra users (``bench.parent.N``) are active like the demo parent, have its password
    hashed with the same profile (each with its own salt) and no dossier (only one active
    account may hold a dossier). Returns the demo parent's id, roles and dossier id, and
    every username that can log in with the demo password.
    """

    async def setup() -> dict:
        from accounts import demo
        from accounts.app import SPEC, AccountsSettings
        from accounts.passwords import make_hasher
        from servicekit.db import create_pool, migrate

        await migrate(dsn, SPEC.migrations)
        settings = AccountsSettings(database_url=dsn, amqp_url=amqp, environment="test", password_hash_profile=profile)
        pool = await create_pool(dsn)
        try:
            await demo.load(pool, settings)
            username, password = DEMO_PARENT
            parent = await pool.fetchrow("SELECT id, roles, dossier_id FROM users WHERE username = $1", username)
            if parent is None:
                raise RuntimeError(f"accounts.demo.load made no user {username!r}")
            hasher = make_hasher(profile)
            usernames = [username]
            for n in range(1, extra_users + 1):
                name = f"bench.parent.{n}"
                await pool.execute(
                    """
                    INSERT INTO users (username, email, last_name, first_name, password_hash, status, activated_at)
                    VALUES ($1, $2, 'Bench', $3, $4, 'active', now())
                    """,
                    name,
                    f"{name}@example.org",
                    f"Parent {n}",
                    hasher.hash(password),
                )
                usernames.append(name)
        finally:
            await pool.close()
        return {
            "user_id": parent["id"],
            "roles": list(parent["roles"]),
            "dossier_id": parent["dossier_id"],
            "usernames": usernames,
        }

    return asyncio.run(setup())


def start_accounts(run: Run, name: str, dsn: str, amqp: str, profile: str, env: dict[str, str]) -> tuple[Process, int]:
    port = free_port()
    process = run.start(
        name, "accounts", "--port", str(port), "--dsn", dsn, "--amqp", amqp, "--hash-profile", profile, env=env
    )
    wait_listening(process, port)
    return process, port


def log_in(base_url: str, username: str, password: str, headers: dict[str, str] | None = None) -> str:
    """One login (POST /api/accounts/sessions), its token."""
    status, body = http(
        f"{base_url}/api/accounts/sessions",
        method="POST",
        json_body={"username": username, "password": password},
        headers=headers,
        timeout=30,
    )
    if status != 200:
        raise RuntimeError(f"login of {username} at {base_url} answered {status}: {body[:300]!r}")
    return json.loads(body)["token"]


def start_auth_chain(run: Run, detail: bool) -> tuple[list[Target], list[Figure]]:
    """Accounts (test hash profile, demo data) and two gateways in front of it: session
    cache 5 s (the default) and 0 s. One login through the first; its token for both."""
    why_not = gateway_unavailable()
    if why_not is not None and not detail:
        return [], [failed("auth_cached", "skipped", f"gateway not available ({why_not})")]
    amqp = run.amqp_url("auth_chain")
    dsn = run.database("accounts")
    parent = _accounts_database(dsn, amqp, "test")
    # A secret of the run's own, shared by accounts and the gateways, so that 5a can sign.
    secret = secrets.token_urlsafe(32)
    env = {"IDENTITY_SECRET": secret}
    _, accounts_port = start_accounts(run, "5-accounts", dsn, amqp, "test", env)
    accounts_url = f"http://127.0.0.1:{accounts_port}"
    path = "/api/accounts/dossier"
    targets: list[Target] = []
    skipped: list[Figure] = []
    if why_not is None:
        nowhere = f"http://127.0.0.1:{free_port()}"  # nothing listens there
        gateways = {}
        for label, cache in (("cache", "5"), ("nocache", "0")):
            port = free_port()
            gateway = run.start(
                f"5-gateway-{label}",
                "gateway",
                "--port",
                str(port),
                "--amqp",
                amqp,
                "--accounts-url",
                accounts_url,
                "--nowhere-url",
                nowhere,
                "--session-cache-seconds",
                cache,
                env=env,
            )
            gateways[label] = (gateway, port)
        for gateway, port in gateways.values():
            wait_listening(gateway, port)
        cached_url = f"http://127.0.0.1:{gateways['cache'][1]}"
        uncached_url = f"http://127.0.0.1:{gateways['nocache'][1]}"
        # Once only: accounts throttles logins (failures, per username and per client).
        token = log_in(cached_url, *DEMO_PARENT)
        bearer = {"Authorization": f"Bearer {token}"}
        check_ok(cached_url + path, "gateway (cache 5 s) → accounts", '"number"', bearer)
        check_ok(uncached_url + path, "gateway (cache off) → accounts", '"number"', bearer)
        targets.append(Target("auth_cached", cached_url + path, "auth_uncached", headers=bearer))
        targets.append(Target("auth_uncached", uncached_url + path, "auth_direct", headers=bearer))
    else:
        skipped.append(failed("auth_cached", "skipped", f"gateway not available ({why_not})"))
    if detail:
        from servicekit.identity import IDENTITY_HEADER, Identity, sign_identity

        identity = Identity(
            user_id=parent["user_id"], roles=frozenset(parent["roles"]), dossier_id=parent["dossier_id"]
        )
        # Signed once for the whole run, valid a day (the gateway signs one per request, valid 60 s).
        signed = {IDENTITY_HEADER: sign_identity(identity, secret, ttl_seconds=86400)}
        check_ok(accounts_url + path, "accounts, signed identity", '"number"', signed)
        targets.append(Target("auth_direct", accounts_url + path, None, headers=signed))
    return targets, skipped


BOOKING = {"7", "8", "9", "10", "11"}
BOOKING_KEYS = (("7", "grid_read"), ("8", "valider"), ("9", "quote_rpc"), ("10", "rush"), ("11", "planning_page"))


def http_scenarios(run: Run, load: Load, only: set[str], args: argparse.Namespace) -> list[Figure]:
    """Start every server once, then measure the targets in interleaved rounds.

    Interleaving (1, 2, 3, 1, 2, 3 ...) spreads a passing disturbance of the machine over
    every figure instead of one, so the ratios hold better than the absolute figures.
    The rush (10) runs after the rounds, on the booking scenarios' processes.
    """
    from booking import start_booking

    detail, seconds, warmup, rounds = args.detail, args.seconds, args.warmup, args.rounds
    figures: list[Figure] = []
    targets: list[Target] = []
    after: list[Callable[[], list[Figure]]] = []
    groups = [
        ({"1"}, "bare", lambda: start_bare(run)),
        ({"2"}, "synthetic_chain", lambda: start_synthetic_chain(run, detail)),
        ({"3"}, "gateway_chain", lambda: start_gateway_chain(run, detail)),
        ({"5"}, "auth_cached", lambda: start_auth_chain(run, detail)),
        (
            BOOKING,
            "grid_read",
            lambda: start_booking(run, only, args.families, args.concurrency, args.rush_concurrency, detail),
        ),
    ]
    for numbers, key, start in groups:
        if not numbers & only:
            continue
        print(f"  starting scenario {NAMES[key][0]}", flush=True)
        try:
            started = start()
        except Exception as exc:
            keys = [key] if numbers != BOOKING else [k for n, k in BOOKING_KEYS if n in only]
            figures.extend(failed(k, "error", f"{type(exc).__name__}: {exc}") for k in keys)
            print(f"    error: {type(exc).__name__}: {exc}", flush=True)
            continue
        if isinstance(started, tuple):
            started, skipped, *hook = started
            figures.extend(skipped)
            for f in skipped:
                print(f"    {f.status}: {f.note}", flush=True)
            after.extend(h for h in hook if h is not None)
        targets.extend(started)
    per_round = max(1, round(seconds / rounds))
    if targets:
        print(f"  warm-up: {warmup} s per target", flush=True)
        for target in targets:
            if warmup > 0:
                try:
                    target.run(load, warmup)
                except Exception as exc:  # the rounds will fail too, and say so in the table
                    print(f"    warm-up of {target.key}: {type(exc).__name__}: {exc}", flush=True)
    for r in range(rounds if targets else 0):
        print(f"  HTTP round {r + 1}/{rounds}: {per_round} s per target", flush=True)
        for target in targets:
            try:
                if warmup > 0 and r > 0:
                    # Rounds interleave targets: the others' rounds leave this one idle for
                    # longer than a cache lives (the gateway's sessions: 5 s). Under
                    # continuous load they would stay warm: one second of load, not counted.
                    target.run(load, ROUND_REWARM_SECONDS)
                target.results.append(target.run(load, per_round))
            except Exception as exc:
                target.results.append({"error": f"{type(exc).__name__}: {exc}"})
    for hook in after:
        try:
            figures.extend(hook())
        except Exception as exc:
            figures.append(failed("rush", "error", f"{type(exc).__name__}: {exc}"))
            print(f"    error: {type(exc).__name__}: {exc}", flush=True)
    run.stop_all()
    for target in targets:
        good = [r for r in target.results if "error" not in r]
        if not good:
            figures.append(failed(target.key, "error", target.results[-1]["error"]))
            continue
        rps = [r["requests_per_second"] for r in good]
        figure = Figure(
            target.key,
            "req/s" if target.measure is None else "calls/s",
            value=median(rps),
            rounds=rps,
            baseline_key=target.baseline_key,
            p50_ms=median([r["p50_ms"] for r in good]),
            p99_ms=median([r["p99_ms"] for r in good]),
            details={
                "url_path": target.url if target.measure or target.files else urlsplit(target.url).path,
                "requests_in_turn": len(json.loads(target.files.json.read_text())) if target.files else 1,
                "seconds_per_round": per_round,
                "rounds": target.results,
            },
        )
        errors = sum(r["errors"] for r in good)
        if errors or len(good) < len(target.results):
            total = sum(r["requests"] for r in good)
            figure.note = f"{errors} failed requests of {total}; {len(target.results) - len(good)} rounds failed"
        figures.append(figure)
    return figures


# --------------------------------------------------------------------------- event scenarios


def _events_database(dsn: str) -> None:
    async def setup() -> None:
        from servicekit.db import migrate

        await migrate(dsn, BENCH / "migrations")

    asyncio.run(setup())


def _truncate(dsns: list[str]) -> None:
    async def truncate() -> None:
        import asyncpg

        for dsn in dsns:
            conn = await asyncpg.connect(dsn)
            try:
                await conn.execute("TRUNCATE outbox, inbox, bench_effects")
                await conn.execute("VACUUM ANALYZE outbox")
            finally:
                await conn.close()

    asyncio.run(truncate())


def _json_line(process: Process, timeout: float) -> dict:
    while True:
        line = process.next_line(timeout)
        if line.startswith("{"):
            return json.loads(line)


def events_outbox(run: Run, amqp: str, dsns: tuple[str, str], count: int, timeout: float, r: int) -> dict:
    producer_dsn, consumer_dsn = dsns
    _truncate([producer_dsn, consumer_dsn])
    common = ["--amqp", amqp, "--count", str(count), "--exchange", "bench.outbox", "--timeout", str(timeout)]
    consumer = run.start(f"4-inbox-consumer-{r}", "inbox-consumer", *common, "--dsn", consumer_dsn, pipe_stdout=True)
    if consumer.next_line(60) != "READY":
        raise RuntimeError(f"inbox consumer did not get ready{consumer.tail()}")
    producer = run.start(f"4-outbox-producer-{r}", "outbox-producer", *common, "--dsn", producer_dsn, pipe_stdout=True)
    produced = _json_line(producer, timeout + 30)
    consumed = _json_line(consumer, timeout + 30)
    run.stop_all()
    if consumed["count"] != count or consumed["effects_in_table"] != count:
        raise RuntimeError(f"outbox path: {consumed['effects_in_table']} effects of {count} events")
    seconds = consumed["last"] - produced["started"]
    return {
        "events": count,
        "seconds": seconds,
        "events_per_second": count / seconds,
        "message_bytes": produced["message_bytes"],
        "writers": produced["writers"],
        "all_written_after_s": produced["written"] - produced["started"],
        "all_published_after_s": produced["published"] - produced["started"],
        "all_consumed_after_s": seconds,
    }


def events_raw(run: Run, amqp: str, count: int, timeout: float, r: int, in_flight: int = 1) -> dict:
    common = ["--amqp", amqp, "--count", str(count), "--timeout", str(timeout), "--exchange", f"bench.raw{in_flight}"]
    consumer = run.start(
        f"4-raw-consumer-{in_flight}-{r}",
        "raw-consumer",
        *common,
        "--queue",
        f"benchraw{in_flight}.events",
        pipe_stdout=True,
    )
    if consumer.next_line(60) != "READY":
        raise RuntimeError(f"raw consumer did not get ready{consumer.tail()}")
    publisher = run.start(
        f"4-raw-publisher-{in_flight}-{r}", "raw-publisher", *common, "--in-flight", str(in_flight), pipe_stdout=True
    )
    published = _json_line(publisher, timeout + 30)
    consumed = _json_line(consumer, timeout + 30)
    run.stop_all()
    if consumed["count"] != count:
        raise RuntimeError(f"raw path: {consumed['count']} messages consumed of {count}")
    seconds = consumed["last"] - published["started"]
    return {
        "events": count,
        "seconds": seconds,
        "events_per_second": count / seconds,
        "message_bytes": published["message_bytes"],
        "publish_confirms_in_flight": in_flight,
        "all_published_after_s": published["published"] - published["started"],
        "all_consumed_after_s": seconds,
    }


def event_scenarios(run: Run, count: int, rounds: int, detail: bool) -> list[Figure]:
    amqp = run.amqp_url("events")
    dsns = (run.database("producer"), run.database("consumer"))
    for dsn in dsns:
        _events_database(dsn)
    timeout = max(120.0, count / 20)
    raw: list[dict] = []
    outbox: list[dict] = []
    piped: list[dict] = []
    for r in range(rounds):
        print(f"  event round {r + 1}/{rounds}: {count} events each way", flush=True)
        raw.append(events_raw(run, amqp, count, timeout, r))
        outbox.append(events_outbox(run, amqp, dsns, count, timeout, r))
        if detail:
            piped.append(events_raw(run, amqp, count, timeout, r, in_flight=100))
    raw_rate = median([x["events_per_second"] for x in raw])
    rates = [x["events_per_second"] for x in outbox]
    figures = [
        Figure(
            "events_outbox",
            "events/s",
            value=median(rates),
            rounds=rates,
            baseline_key="events_raw",
            baseline_value=raw_rate,
            details={"outbox": outbox, "raw": raw},
        )
    ]
    if piped:
        rates = [x["events_per_second"] for x in piped]
        figures.append(
            Figure(
                "events_raw_pipelined",
                "events/s",
                value=median(rates),
                rounds=rates,
                baseline_key="events_raw",
                baseline_value=raw_rate,
                details={"raw_pipelined": piped},
            )
        )
    return figures


# --------------------------------------------------------------------------- logins


def memory_mib(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak RSS) of a process, in MiB, from /proc/<pid>/status."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024  # kB
    return values


def login_scenario(run: Run, rounds: int, seconds: int, clients: int, users: int) -> list[Figure]:
    """Logins/s at accounts with the production argon2id profile, against raw verify/s."""
    from accounts.passwords import PROFILES
    from accounts.service.deps import HASH_SLOTS

    amqp = run.amqp_url("logins")
    dsn = run.database("logins")
    print(f"    hashing the passwords of {users} users with the production profile", flush=True)
    usernames = _accounts_database(dsn, amqp, "production", extra_users=users - 1)["usernames"]
    accounts, port = start_accounts(run, "6-accounts", dsn, amqp, "production", {})
    time.sleep(0.5)  # let start-up allocations settle before reading the idle figure
    idle = memory_mib(accounts.pid)
    url = f"http://127.0.0.1:{port}/api/accounts/sessions"
    log_in(f"http://127.0.0.1:{port}", usernames[0], DEMO_PARENT[1], {"X-Forwarded-For": "192.0.2.1"})
    per_round = max(1, round(seconds / rounds))
    # Logins take ~0.7 s each under load: 1 s before counting fills the pipeline. The raw
    # workers have no pipeline, only their fork to get over.
    login_warmup, raw_warmup = 1.0, 0.5
    raw: list[dict] = []
    logins: list[dict] = []
    next_address = 1
    for r in range(rounds):
        print(f"  login round {r + 1}/{rounds}: {per_round} s raw verify, {per_round} s logins", flush=True)
        proc = run.start(
            f"6-argon2-raw-{r}",
            "argon2-raw",
            "--password",
            DEMO_PARENT[1],
            "--workers",
            str(RAW_VERIFY_WORKERS),
            "--seconds",
            str(per_round),
            "--warmup",
            str(raw_warmup),
            pipe_stdout=True,
        )
        raw.append(_json_line(proc, per_round + 60))
        proc.stop()
        proc = run.start(
            f"6-login-load-{r}",
            "login-load",
            "--url",
            url,
            "--users",
            ",".join(usernames),
            "--password",
            DEMO_PARENT[1],
            "--clients",
            str(clients),
            "--seconds",
            str(per_round),
            "--warmup",
            str(login_warmup),
            "--first-address",
            str(next_address),
            pipe_stdout=True,
        )
        result = _json_line(proc, per_round + 120)
        proc.stop()
        next_address += result["addresses_used"]
        logins.append(result)
        if not accounts.alive():
            raise RuntimeError(f"accounts exited with code {accounts.popen.returncode}{accounts.tail()}")
    peak = memory_mib(accounts.pid)
    run.stop_all()
    profile = PROFILES["production"]
    raw_rate = median([x["verifies_per_second"] for x in raw])
    rates = [x["requests_per_second"] for x in logins]
    figure = Figure(
        "login_production",
        "logins/s",
        value=median(rates),
        rounds=rates,
        baseline_key="argon2_raw",
        baseline_value=raw_rate,
        p50_ms=median([x["p50_ms"] for x in logins]),
        p99_ms=median([x["p99_ms"] for x in logins]),
        details={
            "clients": clients,
            "users": len(usernames),
            "profile": profile,
            "hash_slots": HASH_SLOTS,
            "seconds_per_round": per_round,
            "rounds": logins,
            "raw_verify": raw,
            "raw_verify_workers": RAW_VERIFY_WORKERS,
            "raw_verify_p50_ms": median([x["p50_ms"] for x in raw if x["p50_ms"] is not None] or [0]),
        },
    )
    errors = sum(x["errors"] for x in logins)
    if errors:
        total = sum(x["requests"] for x in logins)
        statuses = {k: sum(x["statuses"].get(k, 0) for x in logins) for k in {k for x in logins for k in x["statuses"]}}
        figure.note = f"{errors} failed logins of {total}: {statuses}"
    hash_mib = profile["memory_cost"] / 1024
    memory = Figure(
        "login_memory",
        "MiB",
        value=peak["VmHWM"],
        baseline_key="accounts_idle_rss",
        baseline_value=idle["VmRSS"],
        note=(
            f"idle + {HASH_SLOTS} hash slots × {hash_mib:.0f} MiB = {idle['VmRSS'] + HASH_SLOTS * hash_mib:,.0f} MiB; "
            f"RSS after the scenario {peak['VmRSS']:,.0f} MiB"
        ),
        details={"idle": idle, "after": peak, "hash_slots": HASH_SLOTS, "hash_memory_mib": hash_mib},
    )
    return [figure, memory]


# --------------------------------------------------------------------------- report


def machine_facts(generator: str) -> dict:
    import aio_pika
    import aiohttp
    import asyncpg

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break

    async def postgres_version() -> str:
        conn = await asyncpg.connect(ADMIN_DSN)
        try:
            return await conn.fetchval("SHOW server_version")
        finally:
            await conn.close()

    try:
        pg = asyncio.run(postgres_version())
    except Exception as exc:
        pg = f"unknown ({type(exc).__name__})"
    try:
        rabbit = rabbitmqctl("version").strip()
    except Exception:
        rabbit = "unknown"
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "cpu": cpu,
        "load_average_1m_at_start": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "aiohttp": aiohttp.__version__,
        "asyncpg": asyncpg.__version__,
        "aio_pika": aio_pika.__version__,
        "postgresql": pg,
        "rabbitmq": rabbit,
        "load_generator": generator,
    }


def fmt(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def link_baselines(figures: list[Figure]) -> None:
    by_key = {f.key: f for f in figures}
    for f in figures:
        if f.baseline_key is None or f.baseline_value is not None:
            continue
        base = by_key.get(f.baseline_key)
        if base is not None and base.status == "ok":
            f.baseline_value = base.value
    # (5) against the no-gateway reference too: what the gateway costs when its cache hits.
    cached, direct = by_key.get("auth_cached"), by_key.get("auth_direct")
    if cached and direct and cached.status == direct.status == "ok" and direct.value:
        cached.details["of_auth_direct"] = cached.value / direct.value
        extra = f"{cached.value / direct.value:.2f} of (5a) accounts alone"
        cached.note = f"{extra}; {cached.note}" if cached.note else extra


def broker_interruptions() -> list[str]:
    """Processes whose broker connection was closed under them during the run (RabbitMQ
    stopped or restarted by someone else on this shared machine): their figures are void."""
    hit = []
    for log in sorted(LOGS.glob("*.log")):
        with contextlib.suppress(OSError):
            if "CONNECTION_FORCED" in log.read_text(errors="replace"):
                hit.append(log.stem)
    return hit


def print_report(facts: dict, settings: dict, figures: list[Figure]) -> None:
    print()
    print("Portail Famille benchmark")
    print(f"  date            {facts['date']}")
    print(
        f"  machine         {facts['cores']} cores ({facts['cpu']}), load average {facts['load_average_1m_at_start']:.2f} at start"
    )
    print(
        f"  software        Python {facts['python']}, aiohttp {facts['aiohttp']}, asyncpg {facts['asyncpg']}, "
        f"aio-pika {facts['aio_pika']}, PostgreSQL {facts['postgresql']}, RabbitMQ {facts['rabbitmq']}"
    )
    print(f"  load generator  {facts['load_generator']}, {settings['concurrency']} connections")
    if facts.get("broker_interrupted"):
        print(
            "  WARNING         the broker closed the connections of "
            f"{', '.join(facts['broker_interrupted'])} during the run: their figures are void, run again"
        )
    print(
        f"  settings        HTTP: {settings['rounds']} interleaved rounds of {settings['seconds_per_round']} s per figure "
        f"after {settings['warmup']} s warm-up; events: {settings['event_rounds']} rounds of {settings['events']}"
    )
    print(
        f"{'':<18}logins: {settings['login_rounds']} rounds of {settings['login_seconds_per_round']} s, "
        f"{settings['login_clients']} clients, {settings['login_users']} users (aiohttp client, whatever the generator)"
    )
    print(
        f"{'':<18}booking: {settings['families']} families (each its own login, requests in turn), "
        f"rush {settings['rush_concurrency']} families at a time; RPC figures: {settings['concurrency']} callers"
    )
    print()
    header = (
        f"{'scenario':<42} {'figure':>8} {'±':>4} {'unit':<8} {'baseline':<33} {'figure':>8} {'ratio':>5} "
        f"{'p50 ms':>7} {'p99 ms':>7}"
    )
    print(header)
    print("-" * len(header))
    for f in figures:
        if f.status != "ok":
            print(f"{f.name:<42} {f.status}: {f.note}")
            continue
        spread = f"{f.spread * 100:.0f}%" if f.spread is not None else "—"
        digits = 1 if f.value < 100 else 0  # logins/s are tens, not thousands
        print(
            f"{f.name:<42} {fmt(f.value, digits):>8} {spread:>4} {f.unit:<8} {f.baseline_name or '—':<33} "
            f"{fmt(f.baseline_value, digits):>8} {fmt(f.ratio, 2):>5} {fmt(f.p50_ms, 2):>7} {fmt(f.p99_ms, 2):>7}"
        )
        if f.note:
            print(f"{'':<42} note: {f.note}")
    print()
    print("figure = median of the rounds; ± = half their range; ratio = figure / baseline figure")
    print("(1.00 = as fast as its baseline, 0.25 = a quarter of its throughput).")


def write_json(facts: dict, settings: dict, figures: list[Figure]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "latest.json"
    payload = {
        "machine": facts,
        "settings": settings,
        "scenarios": [
            {
                "key": f.key,
                "name": " ".join(f.name.split()),
                "status": f.status,
                "note": f.note or None,
                "figure": f.value,
                "unit": f.unit or None,
                "spread": f.spread,
                "rounds": f.rounds,
                "baseline": f.baseline_name,
                "baseline_key": f.baseline_key,
                "baseline_figure": f.baseline_value,
                "ratio": f.ratio,
                "p50_ms": f.p50_ms,
                "p99_ms": f.p99_ms,
                "details": f.details,
            }
            for f in figures
        ],
    }
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    return path


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=8, help="measured seconds per HTTP figure, over all rounds (8)")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved HTTP rounds (4: 2 s each)")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up seconds per HTTP figure (2)")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent HTTP connections (32)")
    parser.add_argument("--events", type=int, default=5000, help="events per event figure and round (5000)")
    parser.add_argument("--event-rounds", type=int, default=2, help="rounds of the event figures (2)")
    parser.add_argument(
        "--generator",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="HTTP load generator: wrk when installed (auto), or the Python one",
    )
    parser.add_argument(
        "--no-detail",
        dest="detail",
        action="store_false",
        help="skip the figures that split the chains (2a, 3a: each backend alone; 4a: pipelined confirms)",
    )
    parser.add_argument("--login-seconds", type=int, default=6, help="measured seconds of logins, over all rounds (6)")
    parser.add_argument("--login-rounds", type=int, default=3, help="rounds of raw verify then logins (3: 2 s each)")
    parser.add_argument("--login-clients", type=int, default=8, help="concurrent clients logging in (8)")
    parser.add_argument(
        "--login-users", type=int, default=4, help="users the logins rotate over (4, the demo parent included)"
    )
    parser.add_argument(
        "--families", type=int, default=300, help="families of the booking scenarios 7 to 11, each its own login (300)"
    )
    parser.add_argument("--rush-concurrency", type=int, default=32, help="families in the rush at once (32)")
    parser.add_argument("--only", default=",".join(SCENARIOS), help="scenarios to run, e.g. 1,2 (all: 1 to 11)")
    args = parser.parse_args(argv)
    counts = (args.seconds, args.rounds, args.concurrency, args.events, args.event_rounds)
    counts += (args.login_seconds, args.login_rounds, args.login_clients, args.login_users)
    counts += (args.families, args.rush_concurrency)
    if min(counts) < 1 or args.warmup < 0:
        parser.error("counts and durations must be positive")
    unknown = {s.strip() for s in args.only.split(",")} - set(SCENARIOS)
    if unknown:
        parser.error(f"--only: no scenario {', '.join(sorted(unknown))} (1 to 11)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(BENCH))
    from servicekit.logging import configure_logging

    configure_logging("console", "WARNING")
    LOGS.mkdir(parents=True, exist_ok=True)
    for old in LOGS.glob("*.log"):
        old.unlink()

    def terminate(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGINT, terminate)  # even when started with SIGINT ignored (background job)
    generator, generator_text = pick_generator(args.generator)
    load = Load(generator, args.concurrency)
    settings = {
        "seconds": args.seconds,
        "rounds": args.rounds,
        "seconds_per_round": max(1, round(args.seconds / args.rounds)),
        "warmup": args.warmup,
        "concurrency": args.concurrency,
        "events": args.events,
        "event_rounds": args.event_rounds,
        "generator": generator,
        "detail": args.detail,
        "login_seconds": args.login_seconds,
        "login_rounds": args.login_rounds,
        "login_seconds_per_round": max(1, round(args.login_seconds / args.login_rounds)),
        "login_clients": args.login_clients,
        "login_users": args.login_users,
        "families": args.families,
        "rush_concurrency": args.rush_concurrency,
    }
    only = {s.strip() for s in args.only.split(",")}
    if only & {"7", "11"} and "2" not in only:
        only.add("2")  # the baseline of 7 and 11, measured in the same run
        print("  scenario 2 added: it is the baseline of 7 and 11", flush=True)
    run = Run()
    figures: list[Figure] = []
    interrupted = False
    problems: list[str] = []
    facts = machine_facts(generator_text)
    print(f"bench run {run.run_id}: load from {generator_text}; logs in {LOGS.relative_to(ROOT)}/", flush=True)
    try:
        if only & {"1", "2", "3", "5", *BOOKING}:
            figures.extend(http_scenarios(run, load, only, args))
        if "4" in only:
            print(f"  starting scenario {NAMES['events_outbox'][0]}", flush=True)
            try:
                figures.extend(event_scenarios(run, args.events, args.event_rounds, args.detail))
            except Exception as exc:
                figures.append(failed("events_outbox", "error", f"{type(exc).__name__}: {exc}"))
                print(f"    error: {type(exc).__name__}: {exc}", flush=True)
        if "6" in only:
            print(f"  starting scenario {NAMES['login_production'][0]}", flush=True)
            try:
                figures.extend(
                    login_scenario(run, args.login_rounds, args.login_seconds, args.login_clients, args.login_users)
                )
            except Exception as exc:
                run.stop_all()
                figures.append(failed("login_production", "error", f"{type(exc).__name__}: {exc}"))
                print(f"    error: {type(exc).__name__}: {exc}", flush=True)
    except KeyboardInterrupt:
        interrupted = True
        print("\ninterrupted: cleaning up", flush=True)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not stop the cleanup
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        problems = run.cleanup()
        for problem in problems:
            print(f"cleanup: {problem}", file=sys.stderr)
    order = list(NAMES)
    figures.sort(key=lambda f: order.index(f.key))
    link_baselines(figures)
    facts["broker_interrupted"] = broker_interruptions()
    print_report(facts, settings, figures)
    if interrupted:
        print("interrupted: bench/results/latest.json left as it was")
        return 130
    path = write_json(facts, settings, figures)
    print(f"written to {path.relative_to(ROOT)}")
    return 1 if problems or any(f.status == "error" for f in figures) else 0


if __name__ == "__main__":
    # bench/booking.py imports from "run": let it find this very module, not a second copy.
    sys.modules.setdefault("run", sys.modules[__name__])
    sys.exit(main())
