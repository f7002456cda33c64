"""A report page opened in a real headless Chromium (skipped, saying why, where none is installed)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def rendered(html: Path) -> tuple[str, list[str]]:
    """The page's DOM after its scripts ran, and the console errors it raised."""
    if os.environ.get("CLICKPRED_NO_BROWSER"):
        pytest.skip("CLICKPRED_NO_BROWSER is set")
    browser = chromium()
    if browser is None:
        pytest.skip("Chromium is not installed (make test installs it from the distribution's packages where it can)")
    cmd = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=5000",
        "--dump-dom",
        html.resolve().as_uri(),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout, [line for line in out.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
