"""Helpers for the browser tests."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"


def settle(pg, timeout=60_000) -> None:
    """Wait until the app is connected and its script has stayed finished for a moment
    (a run may start a second run, e.g. when a link restores a scenario)."""
    pg.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=timeout)
    for _ in range(3):
        pg.wait_for_timeout(500)
        pg.wait_for_selector("[data-test-script-state='notRunning']", timeout=timeout)
    pg.wait_for_timeout(300)


def shot(pg, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path
