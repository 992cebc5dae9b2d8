"""A scratch copy of the generator's inputs and outputs, so tests can break them freely."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
DATA = Path("data/status-codes.toml")
FIELDS = Path("data/field-names.toml")
METHODS = Path("data/methods.toml")
CLOSE_CODES = Path("data/close-codes.toml")
H2_ERROR_CODES = Path("data/http2-error-codes.toml")


class Tree:
    def __init__(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="httpkit-codegen-")
        self.root = Path(self._tmp.name)
        for folder in ("codegen", "templates", "data", "generated"):
            shutil.copytree(ROOT / folder, self.root / folder, ignore=shutil.ignore_patterns("__pycache__"))

    def close(self):
        self._tmp.cleanup()

    def path(self, relative) -> Path:
        return self.root / relative

    def read(self, relative) -> str:
        return self.path(relative).read_text(encoding="utf-8")

    def write(self, relative, text: str) -> None:
        self.path(relative).write_text(text, encoding="utf-8")

    def edit_data(self, old: str, new: str, path: Path = DATA) -> None:
        text = self.read(path)
        if old not in text:
            raise AssertionError(f"test setup: {old!r} is not in {path}")
        self.write(path, text.replace(old, new, 1))

    def snapshot(self, folder="generated") -> dict[str, tuple[str, int]]:
        """Content hash and modification time of every file under `folder`."""
        out = {}
        for path in sorted(self.path(folder).rglob("*")):
            if path.is_file():
                out[str(path.relative_to(self.root))] = (
                    hashlib.sha256(path.read_bytes()).hexdigest(),
                    path.stat().st_mtime_ns,
                )
        return out

    def run(self, script: str, *args: str, today: str | None = None) -> subprocess.CompletedProcess:
        """Runs a codegen script; `today` (YYYY-MM-DD) is the date it takes for today's."""
        env = dict(os.environ)
        env.pop("HTTPKIT_TODAY", None)
        if today:
            env["HTTPKIT_TODAY"] = today
        return subprocess.run(
            [sys.executable, str(self.path(f"codegen/{script}")), *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
