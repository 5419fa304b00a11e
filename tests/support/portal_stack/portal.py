"""The whole portal as real processes: the four services and the gateway on free ports.

Each service migrates its own throwaway database and loads its demonstration data
(``portail-<name> demo-data``: the Le Derf family, parent ``lederf``), then serves; the
gateway serves in front with real secrets (``ENVIRONMENT=test`` refuses the development
ones). Logs are JSON lines, one file per process, under the test's tmp directory: tests
read them back (no secret in any of them).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from servicekit.testing import eventually, rabbitmqctl

from .processes import BIN, answers, free_port, tail

SERVICES = ("accounts", "planning", "billing", "messaging")
DEMO_PARENT = ("lederf", "Portail-Famille-404")  # accounts.demo.DEMO_PARENT


@dataclass
class Stack:
    env: dict[str, str]
    ports: dict[str, int]
    logs: Path
    procs: dict[str, asyncio.subprocess.Process] = field(default_factory=dict)

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def log_text(self) -> dict[str, str]:
        """Every process's output so far, by file name."""
        return {path.name: path.read_text(errors="replace") for path in sorted(self.logs.glob("*.log"))}


async def _run_once(command: list[str], env: dict[str, str], log_path: Path) -> int:
    with log_path.open("ab") as log:
        proc = await asyncio.create_subprocess_exec(*command, env=env, stdout=log, stderr=log)
        return await asyncio.wait_for(proc.wait(), timeout=120)


async def start_stack(make_database, amqp_url: str, logs: Path, **extra_env: str) -> Stack:
    ports = {name: free_port() for name in (*SERVICES, "gateway", "gateway_metrics")}
    tag = uuid.uuid4().hex[:8]
    env = {
        **os.environ,
        "ENVIRONMENT": "test",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "AMQP_URL": amqp_url,
        # An exchange of its own: events of other tests' processes never reach this stack.
        "EVENTS_EXCHANGE": f"stack.{tag}",
        "IDENTITY_SECRET": secrets.token_urlsafe(32),
        "OUTBOX_POLL_SECONDS": "0.5",
        "ACCOUNTS_PASSWORD_HASH_PROFILE": "test",
        # Nothing listens there: e-mails wait and retry, which is no concern of these tests.
        "MESSAGING_SMTP_HOST": "127.0.0.1",
        "MESSAGING_SMTP_PORT": str(free_port()),
        "MESSAGING_PUBLIC_URL": f"http://127.0.0.1:{ports['gateway']}",
        "GATEWAY_HTTP_PORT": str(ports["gateway"]),
        "GATEWAY_METRICS_PORT": str(ports["gateway_metrics"]),
        "GATEWAY_SESSION_SECRET": secrets.token_urlsafe(32),
    }
    for name in SERVICES:
        env[f"{name.upper()}_DATABASE_URL"] = await make_database(f"stack_{name}")
        env[f"{name.upper()}_HTTP_PORT"] = str(ports[name])
        env[f"GATEWAY_{name.upper()}_URL"] = f"http://127.0.0.1:{ports[name]}"
    env.update(extra_env)
    stack = Stack(env=env, ports=ports, logs=logs)
    # Migrations and demo data, one service at a time (two cores; they are quick).
    for name in SERVICES:
        code = await _run_once([str(BIN / f"portail-{name}"), "demo-data"], env, logs / f"{name}-demo.log")
        assert code == 0, f"portail-{name} demo-data failed:\n{tail(logs / f'{name}-demo.log')}"
    for name in (*SERVICES, "gateway"):
        log = (logs / f"{name}.log").open("ab")
        stack.procs[name] = await asyncio.create_subprocess_exec(
            str(BIN / f"portail-{name}"), "serve", env=env, stdout=log, stderr=log
        )
    try:
        for name in (*SERVICES, "gateway"):
            probe = f"{stack.url(name)}/ready"

            async def up(name=name, probe=probe) -> bool:
                if stack.procs[name].returncode is not None:
                    raise AssertionError(f"{name} exited:\n{tail(logs / f'{name}.log')}")
                return await answers(probe)

            try:
                await eventually(up, timeout=60, interval=0.2)
            except AssertionError as exc:
                raise AssertionError(f"{name} did not start: {exc}\n{tail(logs / f'{name}.log')}") from None
    except BaseException:
        await stop_stack(stack)
        raise
    return stack


async def stop_stack(stack: Stack) -> None:
    for proc in stack.procs.values():
        if proc.returncode is None:
            proc.terminate()
    for proc in stack.procs.values():
        try:
            await asyncio.wait_for(proc.wait(), timeout=15)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def stack_fixture(make_database, amqp_url, logs: Path, **extra_env: str) -> AsyncIterator[Stack]:
    """The stack on a vhost of its own: the services' queue names are fixed (``billing.events``),
    and in the session's vhost they would keep this stack's dead-letter exchange for the
    system tests that declare the same queues afterwards (PRECONDITION_FAILED)."""
    vhost = f"portal_{secrets.token_hex(4)}"
    user = urlsplit(amqp_url).username or "guest"
    await asyncio.to_thread(rabbitmqctl, "add_vhost", vhost)
    await asyncio.to_thread(rabbitmqctl, "set_permissions", "-p", vhost, user, ".*", ".*", ".*")
    own_url = urlunsplit(urlsplit(amqp_url)._replace(path="/" + quote(vhost, safe="")))
    try:
        stack = await start_stack(make_database, own_url, logs, **extra_env)
        try:
            yield stack
        finally:
            await stop_stack(stack)
    finally:
        await asyncio.to_thread(rabbitmqctl, "delete_vhost", vhost)
