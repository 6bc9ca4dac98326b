"""Plotly figures to PNG through kaleido and the machine's Chromium, all figures of a report in one
browser session (starting Chromium costs about 2 s; each further figure a fraction of that)."""
from __future__ import annotations

import asyncio
import threading

from ..errors import DipError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


async def _render(specs: list[tuple[dict, dict]]) -> list[bytes]:
    import kaleido
    # mathjax off: nothing is fetched from the network at run time
    async with kaleido.Kaleido(n=1, mathjax=False) as k:
        return [await k.calc_fig(fig, opts=opts) for fig, opts in specs]


def to_png(figs, width: int = 1400, height: int = 700, scale: float = 1.5) -> list[bytes]:
    """PNG bytes of each figure (a go.Figure or (figure, (width, height)))."""
    specs = []
    for f in figs:
        fig, (w, h) = (f if isinstance(f, tuple) else (f, (width, height)))
        specs.append((fig.to_dict(), {"format": "png", "width": int(w), "height": int(h), "scale": scale}))
    if not specs:
        return []
    out: dict = {}

    def run():                      # a thread of its own: the caller may already run an event loop
        try:
            out["png"] = asyncio.run(_render(specs))
        except BaseException as e:  # noqa: BLE001 (re-raised below as a message)
            out["error"] = e

    th = threading.Thread(target=run, name="report-png")
    th.start()
    th.join()
    if "error" in out:
        e = out["error"]
        if type(e).__name__ == "ChromeNotFoundError":
            raise DipError("charts need Chromium for the static images (Debian: apt-get install chromium)") from e
        raise DipError(f"the charts could not be rendered ({type(e).__name__}: {e})") from e
    pngs = out["png"]
    if any(not isinstance(p, (bytes, bytearray)) or not p.startswith(PNG_SIGNATURE) for p in pngs):
        raise DipError("the chart renderer returned something that is not a PNG image")
    return [bytes(p) for p in pngs]
