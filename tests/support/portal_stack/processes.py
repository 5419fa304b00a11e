"""Starting the real console scripts (``.venv/bin/portail-<name>``) as subprocesses.

Shared by the system tests: free ports, a process whose stdout/stderr go to a log file
(appended, so a restarted process keeps its predecessor's lines), readiness probes, and the
JSON log lines read back.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sys
from pathlib import Path

import aiohttp
from servicekit.testing import eventually

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def start(command: list[str], env: dict[str, str], log_path: Path) -> asyncio.subprocess.Process:
    """Run ``command`` with its output appended to ``log_path``."""
    with log_path.open("ab") as log:
        return await asyncio.create_subprocess_exec(*command, env=env, stdout=log, stderr=log)


async def answers(url: str) -> bool:
    try:
        async with aiohttp.ClientSession() as s, s.get(url, timeout=aiohttp.ClientTimeout(total=1)) as r:
            return r.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


def json_lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    lines = []
    for raw in path.read_text(errors="replace").splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:
            continue
    return lines


def tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class ServiceProcess:
    """``portail-<name> serve`` on a given port: start, wait until ready, kill, restart."""

    def __init__(self, name: str, env: dict[str, str], port: int, logs: Path):
        self.name = name
        self.env = env
        self.port = port
        self.log_path = logs / f"{name}.log"
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def start(self) -> None:
        assert not self.running, f"{self.name} is already running"
        self.proc = await start([str(BIN / f"portail-{self.name}"), "serve"], self.env, self.log_path)

    async def wait_ready(self, timeout: float = 45) -> None:
        try:
            await eventually(self.is_ready, timeout=timeout, interval=0.1)
        except AssertionError:
            raise AssertionError(f"{self.name} is not ready after {timeout} s:\n{self.tail()}") from None

    async def is_ready(self) -> bool:
        if self.proc is not None and self.proc.returncode is not None:
            raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n{self.tail()}")
        return await answers(f"{self.url}/ready")

    async def kill(self) -> None:
        """SIGKILL: no cleanup, no graceful shutdown — the process just vanishes."""
        if self.running:
            self.proc.send_signal(signal.SIGKILL)
        if self.proc is not None:
            await self.proc.wait()

    async def terminate(self, timeout: float = 20) -> int:
        """SIGTERM and wait (SIGKILL after ``timeout``); returns the exit code."""
        if self.running:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), timeout=timeout)
            except TimeoutError:
                await self.kill()
        return self.proc.returncode if self.proc is not None else 0

    def logs(self) -> list[dict]:
        return json_lines(self.log_path)

    def tail(self, lines: int = 40) -> str:
        return tail(self.log_path, lines)
