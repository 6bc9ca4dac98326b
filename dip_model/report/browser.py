"""The Chrome, Chromium or Edge that draws the static chart images (PNG, and the charts in PPTX and PDF).

Standard library only: the set-up script loads this file before anything is installed, to say which
browser it will use or the one command that installs one. Excel export never needs a browser.
"""
from __future__ import annotations

import os
import platform
import shutil
from collections.abc import Mapping
from pathlib import Path

ENV = ("DIP_BROWSER", "BROWSER_PATH")     # a user's choice wins (BROWSER_PATH is kaleido's own name)

# names looked up on PATH, Linux and other Unix
UNIX_NAMES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome", "chrome",
              "microsoft-edge-stable", "microsoft-edge")
# the usual install places (Debian's /usr/bin/chromium is a wrapper of the first)
LINUX_PATHS = ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser",
               "/snap/bin/chromium", "/usr/bin/google-chrome-stable", "/usr/bin/google-chrome",
               "/opt/google/chrome/chrome", "/usr/bin/microsoft-edge-stable", "/opt/microsoft/msedge/msedge")
MAC_APPS = ("Google Chrome.app/Contents/MacOS/Google Chrome", "Chromium.app/Contents/MacOS/Chromium",
            "Microsoft Edge.app/Contents/MacOS/Microsoft Edge")
WINDOWS_APPS = (r"Google\Chrome\Application\chrome.exe", r"Microsoft\Edge\Application\msedge.exe",
                r"Chromium\Application\chrome.exe")


def _executable(path: str | os.PathLike | None) -> str | None:
    if not path:
        return None
    p = Path(path)
    return str(p) if p.is_file() and (os.name == "nt" or os.access(p, os.X_OK)) else None


def candidates(system: str | None = None, environ: Mapping[str, str] | None = None) -> list[str]:
    """Every place looked at, in order, for this operating system."""
    system = system or platform.system()
    env = os.environ if environ is None else environ
    if system == "Windows":
        roots = [env.get(k) for k in ("PROGRAMFILES", "PROGRAMFILES(X86)", "LOCALAPPDATA")]
        roots = [r for r in roots if r] or [r"C:\Program Files", r"C:\Program Files (x86)"]
        return [f"{r}\\{app}" for app in WINDOWS_APPS for r in roots]
    if system == "Darwin":
        roots = ["/Applications", str(Path.home() / "Applications")]
        return [f"{r}/{app}" for app in MAC_APPS for r in roots]
    found = [shutil.which(n) for n in UNIX_NAMES]
    return [p for p in found if p] + list(LINUX_PATHS)


def find_browser(environ: Mapping[str, str] | None = None) -> str | None:
    """The browser's executable, or None: DIP_BROWSER (or BROWSER_PATH) first, then the usual places."""
    env = os.environ if environ is None else environ
    for key in ENV:
        if env.get(key):
            return _executable(env[key])
    for c in candidates(environ=env):
        if (hit := _executable(c)):
            return hit
    return None


def os_family(system: str | None = None, os_release: str = "/etc/os-release") -> str:
    """windows, macos, debian, ubuntu, fedora, arch, suse or linux (any other)."""
    system = system or platform.system()
    if system == "Windows":
        return "windows"
    if system == "Darwin":
        return "macos"
    try:
        text = Path(os_release).read_text(encoding="utf-8", errors="replace").lower()
    except OSError:
        return "linux"
    ids = " ".join(line.split("=", 1)[1].strip('"') for line in text.splitlines()
                   if line.startswith(("id=", "id_like=")))
    for fam, words in (("ubuntu", ("ubuntu",)), ("debian", ("debian",)), ("fedora", ("fedora", "rhel", "centos")),
                       ("arch", ("arch",)), ("suse", ("suse",))):
        if any(w in ids.split() for w in words):
            return fam
    return "linux"


INSTALL = {
    "debian": "sudo apt-get install -y --no-install-recommends chromium",
    "ubuntu": "sudo snap install chromium",
    "fedora": "sudo dnf install -y chromium",
    "arch": "sudo pacman -S --noconfirm chromium",
    "suse": "sudo zypper install -y chromium",
    "windows": "winget install -e --id Microsoft.Edge",
    "macos": "brew install --cask google-chrome",
    "linux": "install Chromium or Google Chrome with your system's package manager",
}


def install_command(family: str | None = None) -> str:
    """The one command that installs a browser on this system."""
    return INSTALL.get(family or os_family(), INSTALL["linux"])
