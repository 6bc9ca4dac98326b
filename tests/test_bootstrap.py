"""scripts/bootstrap.py (what ./dip and dip.cmd run): the decisions, with a fake machine and a fake command runner.

Nothing here touches the network, apt-get or a real virtual environment.
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bootstrap", ROOT / "scripts" / "bootstrap.py")
bs = sys.modules["bootstrap"] = importlib.util.module_from_spec(_spec)     # dataclasses look it up there
_spec.loader.exec_module(bs)

APT_INSTALL = ["apt-get", "install", "-y", "--no-install-recommends"]


class FakeRunner:
    """Records the commands; `python -m venv` makes the venv's python, the rest return `codes(cmd)` (0)."""

    def __init__(self, codes=lambda cmd: 0):
        self.calls, self.replaced, self.codes = [], None, codes

    def run(self, cmd, *, cwd=None, quiet=False):
        self.calls.append(list(cmd))
        if cmd[1:3] == ["-m", "venv"]:
            python = bs.venv_python(Path(cmd[-1]))
            python.parent.mkdir(parents=True, exist_ok=True)
            python.touch()
        return self.codes(cmd)

    def replace(self, cmd, *, cwd):
        self.replaced = (list(cmd), cwd)
        return 0


def host(family="macos", browser="/usr/bin/chromium", venv_module=True, is_root=False, has_sudo=False,
         python=(3, 11)):
    return bs.Host(family=family, python=python, browser=browser, venv_module=venv_module,
                   is_root=is_root, has_sudo=has_sudo)


@pytest.fixture
def repo(tmp_path):
    """A repository root with the two requirement files and no .venv."""
    (tmp_path / "requirements.txt").write_text("pandas==3.1.1\n", encoding="utf-8")
    (tmp_path / "requirements-dev.txt").write_text("-r requirements.txt\npytest==9.2.0\n", encoding="utf-8")
    return tmp_path


def pip_calls(runner):
    return [c for c in runner.calls if c[1:4] == ["-m", "pip", "install"]]


def lines(capsys):
    return [line for line in capsys.readouterr().out.splitlines() if line.strip()]


# ---------------------------------------------------------------- c. the stamp

def test_second_start_skips_pip_and_a_changed_requirement_file_reinstalls(repo):
    runner = FakeRunner()
    assert bs.main(["test"], root=repo, runner=runner, host_probe=lambda: host()) == 0
    assert bs.main(["test"], root=repo, runner=runner, host_probe=lambda: host()) == 0
    assert pip_calls(runner) == [[str(bs.venv_python(repo / ".venv")), "-m", "pip", "install",
                                  "-r", "requirements-dev.txt"]]
    # requirements-dev.txt pulls in requirements.txt: a change there re-installs too
    (repo / "requirements.txt").write_text("pandas==3.1.2\n", encoding="utf-8")
    bs.main(["test"], root=repo, runner=runner, host_probe=lambda: host())
    assert len(pip_calls(runner)) == 2
    # requirements-dev.txt installed covers requirements.txt: app needs no pip run
    bs.main(["app"], root=repo, runner=runner, host_probe=lambda: host())
    assert len(pip_calls(runner)) == 2


def test_app_and_test_stamps(repo):
    runner = FakeRunner()
    bs.main(["app"], root=repo, runner=runner, host_probe=lambda: host())
    bs.main(["app"], root=repo, runner=runner, host_probe=lambda: host())
    bs.main(["test"], root=repo, runner=runner, host_probe=lambda: host())      # more to install
    assert [c[-1] for c in pip_calls(runner)] == ["requirements.txt", "requirements-dev.txt"]
    (repo / "requirements-dev.txt").write_text("-r requirements.txt\npytest==9.2.1\n", encoding="utf-8")
    bs.main(["app"], root=repo, runner=runner, host_probe=lambda: host())       # its own stamp still holds
    assert len(pip_calls(runner)) == 2


def test_failed_install_writes_no_stamp_and_returns_pips_code(repo):
    venv = repo / ".venv"
    failing = FakeRunner(codes=lambda cmd: 1 if "pip" in cmd else 0)
    assert bs.main(["app"], root=repo, runner=failing, host_probe=lambda: host()) == 1
    assert failing.replaced is None
    assert not bs.stamp_path(venv, repo / "requirements.txt").exists()
    ok = FakeRunner()
    bs.main(["app"], root=repo, runner=ok, host_probe=lambda: host())
    assert len(pip_calls(ok)) == 1 and bs.stamp_path(venv, repo / "requirements.txt").exists()


def test_requirement_files_follow_dash_r(repo):
    assert bs.requirement_files(repo / "requirements-dev.txt") == [repo / "requirements-dev.txt",
                                                                    repo / "requirements.txt"]
    assert bs.requirement_files(ROOT / "requirements-dev.txt")[-1] == ROOT / "requirements.txt"


# ---------------------------------------------------------------- a. no browser outside Debian/Ubuntu

def test_test_stops_with_one_line_before_creating_the_venv(repo, capsys):
    runner = FakeRunner()
    assert bs.main(["test"], root=repo, runner=runner, host_probe=lambda: host("macos", browser=None)) == 1
    out = lines(capsys)
    assert len(out) == 1
    assert bs.load_browser_module().install_command("macos") in out[0]
    assert re.match(r"[\u4e00-\u9fff]", out[0]) and "Chromium" in out[0].split(" · ")[1]   # Chinese, then English
    assert runner.calls == [] and runner.replaced is None and not (repo / ".venv").exists()


def test_app_prints_the_line_first_and_goes_on(repo, capsys):
    runner = FakeRunner()
    assert bs.main(["app", "--server.port=8599"], root=repo, runner=runner,
                   host_probe=lambda: host("windows", browser=None)) == 0
    out = lines(capsys)
    assert "winget install -e --id Microsoft.Edge" in out[0]
    python = str(bs.venv_python(repo / ".venv"))
    assert runner.calls[0][1:] == ["-m", "venv", str(repo / ".venv")]
    assert runner.replaced == ([python, "-m", "streamlit", "run", "app.py", "--server.port=8599"], repo)


def test_debian_without_root_or_sudo_says_what_to_install(repo, capsys):
    runner = FakeRunner()
    assert bs.main(["test"], root=repo, runner=runner, host_probe=lambda: host("debian", browser=None)) == 1
    assert runner.calls == []
    assert lines(capsys)[-1].count("sudo apt-get install -y --no-install-recommends chromium") == 2


# ---------------------------------------------------------------- a. apt-get on Debian/Ubuntu

def test_debian_as_root_installs_venv_module_and_chromium(repo):
    before = host("debian", browser=None, venv_module=False, is_root=True)
    after = host("debian", is_root=True)
    runner = FakeRunner()
    assert bs.main(["test", "-x"], root=repo, runner=runner, host_probe=iter([before, after]).__next__) == 0
    assert runner.calls[:3] == [["apt-get", "update"],
                                APT_INSTALL + ["python3.11-venv"],
                                APT_INSTALL + ["chromium"]]
    assert runner.calls[3][1:3] == ["-m", "venv"]
    assert runner.replaced[0][1:] == ["-m", "pytest", "-q", "-x"]


def test_debian_with_sudo_prefixes_sudo_and_the_noninteractive_frontend(repo):
    runner = FakeRunner()
    probes = iter([host("debian", browser=None, has_sudo=True), host("debian", has_sudo=True)])
    bs.main(["app"], root=repo, runner=runner, host_probe=probes.__next__)
    assert runner.calls[:2] == [["sudo", "DEBIAN_FRONTEND=noninteractive", "apt-get", "update"],
                                ["sudo", "DEBIAN_FRONTEND=noninteractive"] + APT_INSTALL + ["chromium"]]


def test_ubuntu_without_apt_chromium_points_to_snap(repo, capsys):
    runner = FakeRunner(codes=lambda cmd: 100 if cmd[-1] == "chromium" else 0)
    still_missing = host("ubuntu", browser=None, is_root=True)
    assert bs.main(["test"], root=repo, runner=runner, host_probe=lambda: still_missing) == 1
    assert runner.calls == [["apt-get", "update"], APT_INSTALL + ["chromium"]]
    assert "sudo snap install chromium" in lines(capsys)[-1]


def test_nothing_missing_means_no_apt_and_an_existing_venv_is_kept(repo):
    runner = FakeRunner()
    bs.main(["app"], root=repo, runner=runner, host_probe=lambda: host("debian", is_root=True))
    # venv module missing does not matter once .venv exists
    bs.main(["app"], root=repo, runner=runner,
            host_probe=lambda: host("debian", venv_module=False, is_root=True))
    assert not any("apt-get" in c for c in runner.calls)
    assert sum(c[1:3] == ["-m", "venv"] for c in runner.calls) == 1


def test_missing_venv_module_elsewhere_stops(repo, capsys):
    runner = FakeRunner()
    assert bs.main(["app"], root=repo, runner=runner, host_probe=lambda: host("fedora", venv_module=False)) == 1
    assert runner.calls == [] and "venv" in lines(capsys)[0]


def test_old_python_stops_with_the_install_line(repo, capsys):
    runner = FakeRunner()
    assert bs.main(["app"], root=repo, runner=runner,
                   host_probe=lambda: host("windows", python=(3, 10))) == 1
    assert runner.calls == []
    assert "winget install -e --id Python.Python.3.12" in lines(capsys)[0]


# ---------------------------------------------------------------- b. the virtual environment

def test_windows_and_posix_venv_paths():
    assert bs.venv_python(Path(".venv"), windows=True) == Path(".venv", "Scripts", "python.exe")
    assert bs.venv_python(Path(".venv"), windows=False) == Path(".venv", "bin", "python")


def test_a_venv_of_an_old_python_is_recreated(repo):
    venv = repo / ".venv"
    bs.venv_python(venv).parent.mkdir(parents=True)
    bs.venv_python(venv).touch()
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.9.2\n", encoding="utf-8")
    assert bs.venv_needed(venv)
    runner = FakeRunner()
    bs.main(["app"], root=repo, runner=runner, host_probe=lambda: host())
    assert runner.calls[0][1:] == ["-m", "venv", "--clear", str(venv)]
    (venv / "pyvenv.cfg").write_text("version_info = 3.12.1.final.0\n", encoding="utf-8")
    assert not bs.venv_needed(venv)


def test_usage_without_a_subcommand(repo, capsys):
    assert bs.main([], root=repo, runner=FakeRunner()) == 2
    assert bs.main(["--help"], root=repo, runner=FakeRunner()) == 0
    assert "./dip test" in capsys.readouterr().out


# ---------------------------------------------------------------- the real pieces, without side effects

def test_probe_and_runner_on_this_machine(capsys):
    h = bs.probe()
    assert h.family in bs.load_browser_module().INSTALL and h.python == sys.version_info[:2]
    runner = bs.Runner()
    assert runner.run([sys.executable, "-c", "import sys; print('tail'); sys.exit(3)"], quiet=True) == 3
    assert "tail" in capsys.readouterr().err
    assert runner.run(["no-such-command-here"]) == 127


# ---------------------------------------------------------------- README, .ci/run and the launchers agree

def readme_commands():
    top = (ROOT / "README.md").read_text(encoding="utf-8").split("\n---\n", 1)[0]
    return [line.strip() for line in top.splitlines() if line.startswith("    ") and line.strip()]


def test_readme_opens_with_the_two_launcher_commands():
    cmds = readme_commands()
    assert [c.split("#")[0].strip() for c in cmds] == ["./dip app", "./dip test"]
    assert [c.split("#")[1].strip() for c in cmds] == [r"Windows: .\dip.cmd app", r"Windows: .\dip.cmd test"]


def test_ci_runs_exactly_the_readme_test_command():
    text = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    steps = [line.strip() for line in text.splitlines()
             if line.strip() and not line.startswith("#") and not line.startswith(("set ", "cd "))]
    assert steps == ["exec " + readme_commands()[1].split("#")[0].strip()]
    assert "apt-get" not in text and 'cd "$(dirname "$0")/.."' in text


def test_launchers_hand_over_to_bootstrap():
    sh = (ROOT / "dip").read_text(encoding="utf-8")
    assert sh.startswith("#!/bin/sh\n") and 'exec "$py" "$here/scripts/bootstrap.py" "$@"' in sh
    cmd = (ROOT / "dip.cmd").read_bytes()
    assert cmd.count(b"\n") == cmd.count(b"\r\n")          # cmd.exe wants CRLF
    assert rb'"%~dp0scripts\bootstrap.py" %*' in cmd and b"py -3" in cmd
    assert b"winget install -e --id Python.Python.3.12" in cmd


@pytest.mark.skipif(not shutil.which("git") or not (ROOT / ".git").exists(), reason="not a git checkout")
def test_dip_is_executable_in_git():
    mode = subprocess.run(["git", "ls-files", "-s", "dip", ".ci/run"], cwd=ROOT, capture_output=True,
                          text=True).stdout.split()
    assert mode[0] == "100755" and mode[4] == "100755"


@pytest.mark.skipif(os.name != "posix", reason="POSIX sh")
def test_dip_runs_bootstrap_from_any_directory(tmp_path):
    done = subprocess.run(["sh", str(ROOT / "dip"), "--help"], cwd=tmp_path, capture_output=True, text=True,
                          encoding="utf-8")
    assert done.returncode == 0 and "Usage: ./dip app" in done.stdout
