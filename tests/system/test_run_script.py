"""``scripts/run`` stops every process it started (issue 13).

The script runs from a fresh clone of this repository's HEAD (``uv sync --frozen`` there is
quick: uv's cache already holds every wheel) on free ports, throwaway databases and a vhost
of its own, with the SMTP port free so that it starts its aiosmtpd mail sink too. Once the
gateway answers, the process tree under the script is read from ``/proc``; then either the
script gets SIGTERM, or the accounts service is SIGKILLed. Either way every process of
that tree must be gone and every port free within 20 s.

Being a clone of HEAD, the run sees committed files only: commit an edit of scripts/ before
running these tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from portal_stack.processes import answers, free_port, tail
from servicekit.testing import ADMIN_DSN, AMQP_BASE, eventually, rabbitmqctl

pytestmark = pytest.mark.timeout(240)

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("accounts", "planning", "billing", "messaging")
STOP_WITHIN = 20  # seconds: the services' 15 s shutdown budget, and some slack


# --- processes, read from /proc -----------------------------------------------------------


@dataclass(frozen=True)
class Proc:
    pid: int
    started: int  # clock ticks after boot: tells a reused PID from the original
    argv: tuple[str, ...]

    @property
    def label(self) -> str:
        return " ".join(self.argv)


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent PID, start time) of a process, None when it does not exist."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()  # after "pid (command)"
    return fields[0], int(fields[1]), int(fields[19])


def process_tree(root: int) -> list[Proc]:
    """Every live descendant of ``root``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            children.setdefault(stat[1], []).append(int(entry.name))
    found, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        stat = _stat(pid)
        try:
            argv = tuple(Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")[:-1])
        except OSError:
            continue
        if stat is not None:
            if argv and stat[0] != "Z":  # an exiting process's command line reads empty
                found.append(Proc(pid, stat[2], argv))
            todo.extend(children.get(pid, []))
    return found


def is_running(proc: Proc) -> bool:
    """A zombie has exited (its parent may be a PID 1 that never reaps)."""
    stat = _stat(proc.pid)
    return stat is not None and stat[2] == proc.started and stat[0] != "Z"


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def service_process(tree: list[Proc], name: str) -> Proc:
    [found] = [p for p in tree if any(a.endswith(f"/portail-{name}") for a in p.argv) and "serve" in p.argv]
    return found


# --- the script ---------------------------------------------------------------------------


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """A fresh clone of this repository at its HEAD, shared by the tests of this module."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("scripts/run is tested from a git clone: no git repository here")
    head = git("rev-parse", "HEAD", cwd=ROOT).strip()
    dest = tmp_path_factory.mktemp("run-script") / "portail"
    git("clone", "--quiet", "--no-checkout", str(ROOT), str(dest), cwd=ROOT)
    git("checkout", "--quiet", "--detach", head, cwd=dest)
    return dest


class Run:
    """``scripts/run`` as a subprocess, its output in a file."""

    def __init__(self, clone: Path, env: dict[str, str], ports: dict[str, int], log: Path):
        self.clone, self.env, self.ports, self.log = clone, env, ports, log
        self.proc: asyncio.subprocess.Process | None = None
        self.tree: list[Proc] = []

    async def start(self) -> None:
        with self.log.open("ab") as out:
            # A session of its own: the clean-up can reach whatever stays in its group.
            self.proc = await asyncio.create_subprocess_exec(
                str(self.clone / "scripts" / "run"),
                cwd=self.clone,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    async def wait_running(self, timeout: float = 150) -> None:
        """Until the banner is printed and every process answers; then keeps the process tree."""

        async def up() -> bool:
            if self.proc.returncode is not None:
                raise AssertionError(f"scripts/run exited with {self.proc.returncode}:\n{tail(self.log, 60)}")
            if "Portail Famille is running" not in self.output():
                return False
            # The gateway answers first; the services may still be connecting to their servers.
            health = [answers(f"http://127.0.0.1:{port}/health") for name, port in self.ports.items() if name != "smtp"]
            return all(await asyncio.gather(*health))

        try:
            await eventually(up, timeout=timeout, interval=0.25)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{tail(self.log, 60)}") from None
        self.tree = process_tree(self.proc.pid)

    async def assert_all_stopped(self, started_at: float) -> int:
        """The script, every process of its tree and every port are gone within STOP_WITHIN
        seconds of ``started_at``; returns the script's exit status."""
        loop = asyncio.get_running_loop()
        try:
            code = await asyncio.wait_for(self.proc.wait(), timeout=max(0.1, started_at + STOP_WITHIN - loop.time()))
        except TimeoutError:
            raise AssertionError(f"scripts/run still runs after {STOP_WITHIN} s:\n{tail(self.log, 60)}") from None

        async def all_gone() -> bool:
            return not any(is_running(p) for p in self.tree) and not any(map(listening, self.ports.values()))

        try:
            await eventually(all_gone, timeout=max(0.1, started_at + STOP_WITHIN - loop.time()), interval=0.1)
        except AssertionError:
            left = [p.label for p in self.tree if is_running(p)]
            busy = [name for name, port in self.ports.items() if listening(port)]
            raise AssertionError(f"still running: {left}; ports still taken: {busy}\n{tail(self.log, 60)}") from None
        return code

    async def kill_leftovers(self) -> None:
        """After a failed test: nothing of this run may outlive it."""
        for p in self.tree:
            if is_running(p):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(p.pid, signal.SIGKILL)
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            await self.proc.wait()


@pytest.fixture
async def run(clone, make_database, tmp_path):
    tag = uuid.uuid4().hex[:8]
    vhost = f"run_script_{tag}"
    await asyncio.to_thread(rabbitmqctl, "add_vhost", vhost)
    await asyncio.to_thread(rabbitmqctl, "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    databases = await asyncio.gather(*(make_database(f"run_{svc}") for svc in SERVICES))
    ports = {name: free_port() for name in (*SERVICES, "gateway", "smtp")}
    pg, amqp = urlsplit(ADMIN_DSN), urlsplit(AMQP_BASE)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "PYTHONPATH")}
    env.update(
        {
            "ENVIRONMENT": "development",  # what a developer runs
            "LOG_FORMAT": "console",
            "PG_HOST": pg.hostname or "127.0.0.1",
            "PG_PORT": str(pg.port or 5432),
            "AMQP_HOST": amqp.hostname or "127.0.0.1",
            "AMQP_PORT": str(amqp.port or 5672),
            "AMQP_URL": AMQP_BASE.rstrip("/") + "/" + quote(vhost, safe=""),
            "EVENTS_EXCHANGE": f"run.{tag}",
            "ACCOUNTS_PASSWORD_HASH_PROFILE": "test",
            "MESSAGING_SMTP_HOST": "127.0.0.1",
            "MESSAGING_SMTP_PORT": str(ports["smtp"]),
            "GATEWAY_HTTP_PORT": str(ports["gateway"]),
        }
    )
    for svc, dsn in zip(SERVICES, databases, strict=True):
        env[f"{svc.upper()}_DATABASE_URL"] = dsn
        env[f"{svc.upper()}_HTTP_PORT"] = str(ports[svc])
        env[f"GATEWAY_{svc.upper()}_URL"] = f"http://127.0.0.1:{ports[svc]}"
    r = Run(clone, env, ports, tmp_path / "run.log")
    try:
        yield r
    finally:
        await r.kill_leftovers()
        await asyncio.to_thread(rabbitmqctl, "delete_vhost", vhost)


async def start_all(run: Run) -> None:
    await run.start()
    await run.wait_running()
    names = {Path(p.argv[1]).name if len(p.argv) > 1 else "" for p in run.tree}
    assert {f"portail-{name}" for name in (*SERVICES, "gateway")} <= names, run.tree
    assert [p for p in run.tree if "aiosmtpd" in p.argv], "the mail sink was started"
    assert len([p for p in run.tree if Path(p.argv[0]).name == "sed"]) == 5, "one log filter per process"
    busy = {name: listening(port) for name, port in run.ports.items()}
    assert all(busy.values()), f"every process listens: {busy}"


# --- the tests ----------------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=lambda s: s.name)
async def test_a_signal_stops_every_process_it_started_and_frees_every_port(run, signum):
    await start_all(run)

    run.proc.send_signal(signum)
    code = await run.assert_all_stopped(asyncio.get_running_loop().time())

    assert code == 0, f"each process stopped within its budget:\n{tail(run.log, 60)}"
    output = run.output()
    assert "==> Stopping" in output and "==> Stopped" in output
    assert "SIGKILL" not in output and "stopped on its own" not in output


async def test_a_process_still_running_after_the_budget_is_killed_and_named(run):
    await start_all(run)
    billing = service_process(run.tree, "billing")

    os.kill(billing.pid, signal.SIGSTOP)  # a stopped process cannot act on SIGTERM
    run.proc.send_signal(signal.SIGTERM)
    code = await run.assert_all_stopped(asyncio.get_running_loop().time())

    assert code == 1
    killed = [line for line in run.output().splitlines() if "SIGKILL" in line]
    assert len(killed) == 1 and killed[0].endswith(f"killed with SIGKILL: billing (pid {billing.pid})\x1b[0m"), killed


async def test_a_service_that_dies_stops_the_others_with_one_line_naming_it(run):
    await start_all(run)
    accounts = service_process(run.tree, "accounts")

    os.kill(accounts.pid, signal.SIGKILL)
    code = await run.assert_all_stopped(asyncio.get_running_loop().time())

    assert code == 1
    reasons = [line for line in run.output().splitlines() if "stopped on its own" in line]
    assert reasons == [f"ERROR: accounts (pid {accounts.pid}) stopped on its own: killed by SIGKILL (status 137)"], (
        tail(run.log, 60)
    )
    assert "==> Stopped" in run.output()


async def test_a_service_that_cannot_start_stops_the_others_with_one_line_naming_it(run):
    seen: dict[int, Proc] = {}

    async def exited() -> bool:
        seen.update((p.pid, p) for p in process_tree(run.proc.pid))
        return run.proc.returncode is not None

    with socket.socket() as taken:  # the accounts port is taken: accounts stops at start-up
        taken.bind(("127.0.0.1", run.ports["accounts"]))
        taken.listen()
        await run.start()
        try:
            await eventually(exited, timeout=150, interval=0.1)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{tail(run.log, 60)}") from None
        finally:  # what it started, for the clean-up too: a failure here leaves nothing running
            run.tree = list(seen.values())
    for name in (*SERVICES, "gateway"):
        service_process(run.tree, name)  # each had been started

    assert await run.assert_all_stopped(asyncio.get_running_loop().time()) == 1
    reasons = [line for line in run.output().splitlines() if "stopped on its own" in line]
    assert len(reasons) == 1, tail(run.log, 60)
    assert re.fullmatch(r"ERROR: accounts \(pid \d+\) stopped on its own: exited with status [1-9]\d*", reasons[0])
