"""The real ``portail-gateway serve``: idle keep-alives bounded, accept failures logged sparingly.

Only the gateway runs (its upstreams are absent: these checks never reach them).
"""

from __future__ import annotations

import asyncio
import os
import resource
import secrets
import time

import pytest
from portal_stack.processes import BIN, answers, free_port, json_lines, start
from servicekit.testing import eventually

pytestmark = pytest.mark.timeout(90)


async def run_gateway(tmp_path, *, max_files: int | None = None, **env_extra: str):
    port = free_port()
    env = {
        **os.environ,
        "ENVIRONMENT": "test",
        "LOG_FORMAT": "json",
        "IDENTITY_SECRET": secrets.token_urlsafe(32),
        "GATEWAY_SESSION_SECRET": secrets.token_urlsafe(32),
        "GATEWAY_HTTP_PORT": str(port),
        **env_extra,
    }
    log_path = tmp_path / "gateway.log"
    if max_files is None:
        proc = await start([str(BIN / "portail-gateway"), "serve"], env, log_path)
    else:

        def limit() -> None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (max_files, max_files))

        with log_path.open("ab") as log:
            proc = await asyncio.create_subprocess_exec(
                str(BIN / "portail-gateway"), "serve", env=env, stdout=log, stderr=log, preexec_fn=limit
            )
    await eventually(lambda: answers(f"http://127.0.0.1:{port}/health"), timeout=30)
    return proc, port, log_path


async def stop(proc) -> None:
    if proc.returncode is None:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), timeout=15)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def test_an_idle_keep_alive_connection_is_closed(tmp_path):
    proc, port, _ = await run_gateway(tmp_path, GATEWAY_KEEPALIVE_SECONDS="1")
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
        assert head.startswith(b"HTTP/1.1 200")
        length = int(
            next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
        )
        await reader.readexactly(length)
        started = time.monotonic()
        # The server closes the idle connection: EOF well before aiohttp's default 75 s.
        assert await asyncio.wait_for(reader.read(), timeout=10) == b""
        assert time.monotonic() - started < 5
        writer.close()
    finally:
        await stop(proc)


async def test_running_out_of_file_descriptors_is_logged_once_per_interval(tmp_path):
    proc, port, log_path = await run_gateway(tmp_path, max_files=64)
    sockets = []
    try:
        # Far more connections than descriptors: accept() fails with EMFILE, again and
        # again (asyncio retries every second).
        for _ in range(120):
            try:
                sockets.append(await asyncio.open_connection("127.0.0.1", port))
            except OSError:
                break
        await asyncio.sleep(4)
        lines = [line for line in json_lines(log_path) if "accept" in str(line.get("event", ""))]
        raw = log_path.read_text(errors="replace")
        assert any(line["event"] == "accept_failed" for line in lines), raw[-2000:]
        assert len(lines) == 1, lines
        assert "Traceback" not in raw
    finally:
        for _, writer in sockets:
            writer.close()
        await stop(proc)
