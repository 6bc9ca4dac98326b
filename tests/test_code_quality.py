"""The gates the test command runs besides the tests: ruff (syntax errors, undefined and unused names,
ambiguous or compound statements: E4, E7, E9, F) over all the project's Python, and mypy over the
product (dip_model, ui, pages, app.py), both configured in pyproject.toml. An attribute a module does not
have, or a value that may be None used as if it could not, fails here before a user finds it."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing():
    done = _run("ruff", "check", "--no-cache", "dip_model", "ui", "pages", "app.py", "tests", "scripts")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_finds_nothing():
    done = _run("mypy")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success" in done.stdout
