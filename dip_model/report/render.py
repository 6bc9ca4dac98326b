"""Plotly figures to PNG through kaleido and the machine's Chrome, Chromium or Edge (browser.py), all
figures of a report in one browser session (starting the browser costs about 2 s; each further figure a
fraction of that). On Linux the browser is pointed at the bundled CJK font (fonts.fontconfig_file)."""
from __future__ import annotations

import asyncio
import os
import threading
from contextlib import contextmanager

from ..errors import DipError
from ..messages import Message
from . import fonts
from .browser import find_browser, install_command

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_LAUNCH = threading.Lock()            # the browser reads its environment when it starts


@contextmanager
def _font_environment(fontconfig: str | None):
    """FONTCONFIG_FILE set for the browser about to start, and put back afterwards."""
    if not fontconfig:
        yield
        return
    before = os.environ.get("FONTCONFIG_FILE")
    os.environ["FONTCONFIG_FILE"] = fontconfig
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("FONTCONFIG_FILE", None)
        else:
            os.environ["FONTCONFIG_FILE"] = before


async def _render(specs: list[tuple[dict, dict]], browser: str, fontconfig: str | None) -> list[bytes]:
    import kaleido
    with _font_environment(fontconfig):
        # mathjax off: nothing is fetched from the network at run time
        k = kaleido.Kaleido(n=1, mathjax=False, path=browser)
        await k.open()
    try:
        return [await k.calc_fig(fig, opts=opts) for fig, opts in specs]
    finally:
        await k.close()


def browser_or_error() -> str:
    """The browser the charts use, or a DipError naming the one command that installs one."""
    found = find_browser()
    if not found:
        raise DipError(Message("browser_missing", command=install_command()))
    return found


def to_png(figs, width: int = 1400, height: int = 700, scale: float = 1.5,
           fontconfig: str | None | bool = True) -> list[bytes]:
    """PNG bytes of each figure (a go.Figure or (figure, (width, height))). `fontconfig`: True = the
    project's own file with the bundled font (on Linux), a path = that file, None/False = the caller's."""
    specs = []
    for f in figs:
        fig, (w, h) = (f if isinstance(f, tuple) else (f, (width, height)))
        specs.append((fig.to_dict(), {"format": "png", "width": int(w), "height": int(h), "scale": scale}))
    if not specs:
        return []
    browser = browser_or_error()
    if fontconfig is True:          # the project's file where the browser reads fontconfig, else nothing
        conf = str(fonts.fontconfig_file()) if fonts.uses_fontconfig() else None
    else:
        conf = fontconfig or None
    out: dict = {}

    def run():                      # a thread of its own: the caller may already run an event loop
        try:
            out["png"] = asyncio.run(_render(specs, browser, conf))
        except BaseException as e:  # noqa: BLE001 (re-raised below as a message)
            out["error"] = e

    with _LAUNCH:
        th = threading.Thread(target=run, name="report-png")
        th.start()
        th.join()
    if "error" in out:
        e = out["error"]
        if type(e).__name__ == "ChromeNotFoundError":
            raise DipError(Message("browser_missing", command=install_command())) from e
        raise DipError(Message("chart_render_failed", error=f"{type(e).__name__}: {e}")) from e
    pngs = out["png"]
    if any(not isinstance(p, (bytes, bytearray)) or not p.startswith(PNG_SIGNATURE) for p in pngs):
        raise DipError(Message("chart_not_png"))
    return [bytes(p) for p in pngs]
