"""The service's shape (issue 7): event handlers never reach the HTTP shell; files stay small."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import messaging

PACKAGE = Path(messaging.__file__).parent
HTTP_SHELL = ("messaging.api", "messaging.admin_api", "messaging.internal_api", "messaging.web", "messaging.http")
MAX_LINES = 400


def imported_modules(path: Path, package: str) -> set[str]:
    """Absolute names of the modules a file imports (relative imports resolved)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def test_the_import_check_sees_relative_imports(tmp_path):
    source = tmp_path / "probe.py"
    source.write_text("from . import api\nfrom .web import caller\nfrom ..x import y\nimport aiohttp\n")
    found = imported_modules(source, "messaging.service")
    assert {"messaging.service.api", "messaging.service.web", "messaging.x.y", "aiohttp"} <= found


def test_consumers_do_not_import_the_http_shell():
    found = imported_modules(PACKAGE / "consumers.py", "messaging")
    assert not {m for m in found if m.startswith(HTTP_SHELL)}
    assert "aiohttp" not in found


def test_importing_consumers_loads_no_http_entrypoint():
    """Not even indirectly, through service/ or store/."""
    code = "import sys, messaging.consumers; print('\\n'.join(sorted(sys.modules)))"
    loaded = set(
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
    )
    assert "messaging.consumers" in loaded
    assert not loaded & set(HTTP_SHELL)


def test_no_source_file_is_over_the_limit():
    too_long = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert not too_long
