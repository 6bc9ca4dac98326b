"""Set up and start the project on any machine: ``./dip app`` or ``./dip test`` (Windows: ``.\\dip.cmd ...``).

Standard library only, so it runs before anything is installed. In order:

a. system check: Python >= 3.11, a Chrome/Chromium/Edge for the static chart images and the browser
   tests, and the venv module. On Debian/Ubuntu, as root or with sudo, missing pieces are installed
   with apt-get; elsewhere one line says what to install (``test`` stops there, ``app`` goes on);
b. ``.venv`` is created if missing;
c. the requirement file is installed into it, unless a stamp in ``.venv`` shows it already was;
d. ``streamlit run app.py``, ``pytest -q`` or ``scripts/serve.py`` (``serve``: docs/deploy.md) runs, with any
   extra arguments, from the repository root.

Usage: python scripts/bootstrap.py {app|test|serve} [extra arguments]
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIN_PYTHON = (3, 11)                       # pandas 3 needs it
VENV = ".venv"
REQUIREMENTS = {"app": "requirements.txt", "test": "requirements-dev.txt", "serve": "requirements.txt"}
APT_FAMILIES = ("debian", "ubuntu")
APT_ENV = "DEBIAN_FRONTEND=noninteractive"
PYTHON_INSTALL = {
    "windows": "winget install -e --id Python.Python.3.12",
    "macos": "brew install python@3.12",
    "debian": "sudo apt-get install -y python3 python3-venv",
    "ubuntu": "sudo apt-get install -y python3 python3-venv",
}
USAGE = ("用法：./dip app [streamlit 参数] | ./dip test [pytest 参数] | ./dip serve [选项]（Windows：.\\dip.cmd …）\n"
         "Usage: ./dip app [streamlit options] | ./dip test [pytest options] | ./dip serve [options] "
         "(Windows: .\\dip.cmd ...)")


def say(zh: str, en: str) -> None:
    """One line, Chinese first, then English."""
    print(f"{zh} · {en}", flush=True)


# ---------------------------------------------------------------- the machine

def load_browser_module(root: Path = ROOT):
    """dip_model/report/browser.py loaded by path (the dip_model package itself needs pandas)."""
    spec = importlib.util.spec_from_file_location("dip_browser", root / "dip_model" / "report" / "browser.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Host:
    """What the system check looks at: filled in by probe(), or by hand in tests."""
    family: str                    # windows, macos, debian, ubuntu, fedora, arch, suse, linux
    python: tuple[int, int]        # the Python running this script
    browser: str | None            # Chrome/Chromium/Edge executable, None when missing
    venv_module: bool              # venv and ensurepip importable (Debian splits them into python3.X-venv)
    is_root: bool
    has_sudo: bool


def probe(root: Path = ROOT) -> Host:
    browser = load_browser_module(root)
    importlib.invalidate_caches()      # probe() runs again after apt-get
    return Host(family=browser.os_family(), python=sys.version_info[:2], browser=browser.find_browser(),
                venv_module=all(importlib.util.find_spec(m) is not None for m in ("venv", "ensurepip")),
                is_root=hasattr(os, "geteuid") and os.geteuid() == 0, has_sudo=shutil.which("sudo") is not None)


def apt_prefix(host: Host) -> list[str] | None:
    """How to run apt-get here: directly as root, through sudo, or None (not Debian/Ubuntu, or no rights)."""
    if host.family not in APT_FAMILIES:
        return None
    if host.is_root:
        return []
    return ["sudo", APT_ENV] if host.has_sudo else None


def venv_package(host: Host) -> str:
    return "python3.%d-venv" % host.python[1]


def browser_install(host: Host, root: Path = ROOT) -> str:
    return load_browser_module(root).install_command(host.family)


# ---------------------------------------------------------------- running commands

class Runner:
    """Runs commands. Tests pass a fake with the same two methods."""

    def run(self, cmd: list[str], *, cwd: Path | None = None, quiet: bool = False) -> int:
        """Exit code of cmd. quiet: output shown only when it fails (its last lines)."""
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")     # for apt-get; harmless to the rest
        try:
            if not quiet:
                return subprocess.call(cmd, cwd=cwd, env=env)
            done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, errors="replace")
        except OSError as exc:
            print(exc, file=sys.stderr)
            return 127
        if done.returncode:
            print("\n".join((done.stdout + done.stderr).splitlines()[-15:]), file=sys.stderr)
        return done.returncode

    def replace(self, cmd: list[str], *, cwd: Path) -> int:
        """The last step: become cmd on POSIX (signals and the exit code go straight to it); on Windows run it."""
        sys.stdout.flush()
        sys.stderr.flush()
        if os.name == "posix":
            os.chdir(cwd)
            os.execv(cmd[0], cmd)
        proc = subprocess.Popen(cmd, cwd=cwd)
        while True:
            try:
                return proc.wait()
            except KeyboardInterrupt:      # Ctrl+C reaches the child too; wait for it to finish
                continue


# ---------------------------------------------------------------- a. system check

def apt_install(host: Host, want_venv: bool, want_browser: bool, runner) -> None:
    """apt-get the missing pieces (Debian/Ubuntu, root or sudo). Failures are reported by the re-check."""
    prefix = apt_prefix(host)
    say("更新软件包列表（apt-get update）…", "updating the package lists (apt-get update)...")
    if runner.run(prefix + ["apt-get", "update"], quiet=True):
        return
    install = prefix + ["apt-get", "install", "-y", "--no-install-recommends"]
    if want_venv:
        say(f"安装 {venv_package(host)}…", f"installing {venv_package(host)}...")
        runner.run(install + [venv_package(host)], quiet=True)
    if want_browser:
        say("安装 Chromium（图表导出与浏览器测试需要）…", "installing Chromium (chart export and browser tests need it)...")
        runner.run(install + ["chromium"], quiet=True)     # on Ubuntu it may be snap-only: the re-check says so


def check_system(mode: str, host: Host, need_venv: bool, runner, reprobe) -> int | None:
    """Step a. None to go on, or the exit code to stop with. reprobe() looks at the machine again."""
    if host.python < MIN_PYTHON:
        have, hint = "%d.%d" % host.python, PYTHON_INSTALL.get(host.family, "https://www.python.org/downloads/")
        say(f"需要 Python 3.11 或更高版本（当前 {have}），请安装：{hint}",
            f"Python 3.11 or newer is needed (this is {have}); install it: {hint}")
        return 1
    want_venv = need_venv and not host.venv_module
    if (want_venv or host.browser is None) and apt_prefix(host) is not None:
        apt_install(host, want_venv, host.browser is None, runner)
        host = reprobe()
        want_venv = need_venv and not host.venv_module
    if want_venv:
        hint = (f"sudo apt-get install -y {venv_package(host)}" if host.family in APT_FAMILIES
                else "https://www.python.org/downloads/")
        say(f"此 Python 缺少 venv/ensurepip 模块，请安装：{hint}",
            f"this Python lacks the venv/ensurepip modules; install: {hint}")
        return 1
    if host.browser is None:
        hint = browser_install(host)
        if mode == "test":
            say(f"未找到 Chrome/Chromium/Edge（浏览器测试需要），请先安装：{hint}",
                f"no Chrome/Chromium/Edge found (the browser tests need one); install it first: {hint}")
            return 1
        say(f"提示：未找到 Chrome/Chromium/Edge，PNG/PPTX/PDF 图表导出需要它，可安装：{hint}",
            f"note: no Chrome/Chromium/Edge found; PNG/PPTX/PDF chart export needs one: {hint}")
    return None


# ---------------------------------------------------------------- b. the virtual environment

def venv_python(venv: Path, windows: bool | None = None) -> Path:
    windows = os.name == "nt" if windows is None else windows
    return venv / "Scripts" / "python.exe" if windows else venv / "bin" / "python"


def venv_version(venv: Path) -> tuple[int, int] | None:
    """The Python version recorded in .venv/pyvenv.cfg, None when unreadable."""
    try:
        lines = (venv / "pyvenv.cfg").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in lines:
        key, _, value = line.partition("=")
        if key.strip() in ("version", "version_info"):
            try:
                return tuple(int(x) for x in value.strip().split(".")[:2])
            except ValueError:
                return None
    return None


def venv_needed(venv: Path) -> bool:
    """True when .venv must be (re)created: no Python in it, or one older than 3.11."""
    if not venv_python(venv).exists():
        return True
    version = venv_version(venv)
    return version is not None and version < MIN_PYTHON


def make_venv(venv: Path, runner, python: str = sys.executable) -> int:
    say(f"创建虚拟环境 {venv.name}…", f"creating the virtual environment {venv.name}...")
    cmd = [python, "-m", "venv", str(venv)]
    if venv.exists():
        cmd.insert(3, "--clear")       # an old or broken one
    return runner.run(cmd, cwd=venv.parent)


# ---------------------------------------------------------------- c. the packages

def requirement_files(path: Path) -> list[Path]:
    """path and every file it pulls in with -r / --requirement, in order."""
    files, todo = [], [path]
    while todo:
        current = todo.pop(0)
        if current in files:
            continue
        files.append(current)
        for line in current.read_text(encoding="utf-8").splitlines():
            parts = line.split("#", 1)[0].split()
            if len(parts) == 2 and parts[0] in ("-r", "--requirement"):
                todo.append(current.parent / parts[1])
            elif parts and parts[0].startswith("--requirement="):
                todo.append(current.parent / parts[0].split("=", 1)[1])
    return files


def requirements_digest(path: Path) -> str:
    """sha256 of the requirement file and the ones it includes."""
    h = hashlib.sha256()
    for f in requirement_files(path):
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def stamp_path(venv: Path, requirements: Path) -> Path:
    return venv / f".installed-{requirements.name}.sha256"


def is_installed(venv: Path, requirements: Path) -> bool:
    """The stamp of requirements, or of a file that includes it (requirements-dev.txt), matches the files now."""
    for other in [requirements, *(requirements.parent / name for name in REQUIREMENTS.values())]:
        stamp = stamp_path(venv, other)
        if (stamp.exists() and requirements in requirement_files(other)
                and stamp.read_text(encoding="utf-8").strip() == requirements_digest(other)):
            return True
    return False


def install_requirements(venv: Path, requirements: Path, runner) -> int:
    """pip install -r requirements, skipped when already installed (is_installed). Stamp only on success."""
    if is_installed(venv, requirements):
        say(f"依赖已安装（{requirements.name} 未变）", f"packages already installed ({requirements.name} unchanged)")
        return 0
    say(f"安装依赖（{requirements.name}）…", f"installing the packages ({requirements.name})...")
    digest = requirements_digest(requirements)         # of the files as pip reads them
    code = runner.run([str(venv_python(venv)), "-m", "pip", "install", "-r", requirements.name],
                      cwd=requirements.parent)
    if code == 0:
        stamp_path(venv, requirements).write_text(digest + "\n", encoding="utf-8")
    else:
        say("依赖安装失败（见上方 pip 输出）", "installing the packages failed (see pip's output above)")
    return code


# ---------------------------------------------------------------- d. run

def final_command(mode: str, venv: Path, extra: list[str]) -> list[str]:
    python = str(venv_python(venv))
    if mode == "app":
        return [python, "-m", "streamlit", "run", "app.py", *extra]
    if mode == "serve":                # the bureau's server: sign-in and secure settings (docs/deploy.md)
        return [python, str(Path("scripts") / "serve.py"), *extra]
    return [python, "-m", "pytest", "-q", *extra]


def main(argv: list[str] | None = None, *, root: Path = ROOT, runner=None, host_probe=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in REQUIREMENTS:
        print(USAGE)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    mode, extra = argv[0], argv[1:]
    runner = runner or Runner()
    host_probe = host_probe or (lambda: probe(root))
    venv = root / VENV

    need_venv = venv_needed(venv)
    stop = check_system(mode, host_probe(), need_venv, runner, host_probe)          # a
    if stop is not None:
        return stop
    if need_venv and (code := make_venv(venv, runner)):                            # b
        say("虚拟环境创建失败", "creating the virtual environment failed")
        return code
    if code := install_requirements(venv, root / REQUIREMENTS[mode], runner):      # c
        return code
    return runner.replace(final_command(mode, venv, extra), cwd=root)             # d


def _safe_console() -> None:
    """Chinese text must not crash a console or pipe that cannot encode it."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")
        except (AttributeError, ValueError):
            pass


if __name__ == "__main__":
    _safe_console()
    sys.exit(main())
