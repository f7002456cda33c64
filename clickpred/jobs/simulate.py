"""Synthetic impression logs drawn from a known model, with the true class probabilities.

Labels follow a funnel: an impression is clicked with probability p_click (~0.2%),
and a click converts with probability p_conv|click (~10%); the label is
``view``, ``click`` or ``conversion``. The per-row true probabilities are the
oracle against which a model's PR-AUC can be judged.

``world_seed`` fixes the world (sites, apps, ads and their effects) apart from
``seed``, which draws the rows: two files with the same world seed and other
seeds are fresh rows of the same world, so a model can be checked on them.
``integer_codes`` writes the categorical fields as an ad log often does, as
scattered integer codes under plain names (``site``, ``app``, ``ad``,
``campaign``, ``device``, ``os``), like the app-install logs whose ``app``,
``os``, ``device`` and ``channel`` are integers.

Example
-------
>>> stats = simulate("/tmp/sim.csv", rows=1000, seed=1)  # doctest: +SKIP
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import ClickpredError
from ..io.writers import write_error

CLASSES = ("view", "click", "conversion")
CHUNK = 500_000
START = np.datetime64("2026-01-05T00:00:00", "s")


def _zipf_probs(n: int, a: float) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** a
    return w / w.sum()


def _hex_ids(rng: np.random.Generator, n: int, prefix: str) -> pa.Array:
    raw = rng.integers(0, 2**32, size=n, dtype=np.uint64)
    return pa.array([f"{prefix}{v:08x}" for v in raw.tolist()], type=pa.string())


@dataclass
class _World:
    """The fixed parameters of the known model (drawn once per seed)."""

    site: pa.Array
    app: pa.Array
    ad: pa.Array
    campaign: pa.Array
    site_p: np.ndarray
    app_p: np.ndarray
    ad_p: np.ndarray
    ad_campaign: np.ndarray
    site_eff: np.ndarray
    app_eff: np.ndarray
    ad_eff: np.ndarray
    camp_eff: np.ndarray
    camp_conv: np.ndarray
    click_intercept: float = 0.0
    conv_intercept: float = 0.0
    seed: int = 0


DEVICES = np.array(["mobile", "desktop", "tablet"])
DEVICE_P = np.array([0.62, 0.30, 0.08])
DEVICE_EFF = np.array([0.0, -0.35, 0.2])
OS_BY_DEVICE = {
    0: (["android", "ios"], [0.7, 0.3]),
    1: (["windows", "macos", "linux"], [0.75, 0.2, 0.05]),
    2: (["android", "ios"], [0.4, 0.6]),
}
OS_NAMES = np.array(["android", "ios", "windows", "macos", "linux"])
OS_EFF = np.array([0.0, 0.25, -0.1, 0.15, -0.3])
POS_P = np.array([0.55, 0.25, 0.08, 0.05, 0.03, 0.02, 0.01, 0.01])
POS_EFF = np.array([0.0, 0.45, 0.2, -0.1, -0.2, 0.3, 0.0, -0.4])


def _world(seed: int) -> _World:
    rng = np.random.default_rng([seed, 0])
    n_site, n_app, n_ad, n_camp = 3000, 1500, 6000, 400
    return _World(
        site=_hex_ids(rng, n_site, "s"),
        app=_hex_ids(rng, n_app, "a"),
        ad=_hex_ids(rng, n_ad, "ad"),
        campaign=pa.array([f"camp{i:04d}" for i in range(n_camp)]),
        site_p=_zipf_probs(n_site, 1.1),
        app_p=_zipf_probs(n_app, 1.2),
        ad_p=_zipf_probs(n_ad, 0.9),
        ad_campaign=rng.integers(0, n_camp, size=n_ad),
        site_eff=rng.normal(0, 1.0, n_site),
        app_eff=rng.normal(0, 0.8, n_app),
        ad_eff=rng.normal(0, 0.8, n_ad),
        camp_eff=rng.normal(0, 0.6, n_camp),
        camp_conv=rng.normal(0, 1.2, n_camp),
        seed=seed,
    )


def _codes(world_seed: int, n_levels: int, salt: int) -> np.ndarray:
    """Scattered integer codes for a field's levels (fixed by the world)."""
    rng = np.random.default_rng([world_seed, 3, salt])
    top = max(100, n_levels * 7)
    return np.sort(rng.choice(np.arange(1, top), size=n_levels, replace=False))[rng.permutation(n_levels)]


def _draw(world: _World, rng: np.random.Generator, n: int, offset: int, integer_codes: bool = False) -> dict:
    site = rng.choice(len(world.site_p), size=n, p=world.site_p)
    app = rng.choice(len(world.app_p), size=n, p=world.app_p)
    ad = rng.choice(len(world.ad_p), size=n, p=world.ad_p)
    camp = world.ad_campaign[ad]
    device = rng.choice(3, size=n, p=DEVICE_P)
    os_idx = np.empty(n, dtype=int)
    for d, (names, p) in OS_BY_DEVICE.items():
        m = device == d
        codes = np.array([int(np.flatnonzero(OS_NAMES == x)[0]) for x in names])
        os_idx[m] = codes[rng.choice(len(names), size=int(m.sum()), p=p)]
    pos = rng.choice(len(POS_P), size=n, p=POS_P)
    seconds = np.sort(rng.integers(0, 7 * 86400, size=n))
    hour = (seconds // 3600) % 24
    bid = np.round(rng.lognormal(mean=0.0, sigma=0.6, size=n), 4)
    depth = rng.geometric(0.15, size=n)
    age = rng.exponential(200, size=n).round(1)
    age_missing = rng.random(n) < 0.1
    click_logit = (
        world.site_eff[site]
        + world.app_eff[app]
        + world.ad_eff[ad]
        + world.camp_eff[camp]
        + DEVICE_EFF[device]
        + OS_EFF[os_idx]
        + POS_EFF[pos]
        + 0.45 * np.sin(2 * np.pi * (hour - 14) / 24)
        + 0.5 * np.log(bid)
        - 0.04 * depth
        + np.where(age_missing, 0.3, -0.0015 * np.minimum(age, 600))
    )
    conv_logit = world.camp_conv[camp] + 0.6 * (device == 1) + 0.03 * np.minimum(depth, 20) + 0.3 * np.log(bid)
    age_col = pa.array(np.where(age_missing, np.nan, age), from_pandas=True)
    columns = {
        "impression_id": pa.array(np.arange(offset, offset + n, dtype=np.int64)),
        "timestamp": pa.array(START + seconds.astype("timedelta64[s]")),
        "site_id": pc.take(world.site, pa.array(site)),
        "app_id": pc.take(world.app, pa.array(app)),
        "ad_id": pc.take(world.ad, pa.array(ad)),
        "campaign_id": pc.take(world.campaign, pa.array(camp)),
        "device_type": pa.array(DEVICES[device]),
        "os": pa.array(OS_NAMES[os_idx]),
        "banner_pos": pa.array(pos.astype(np.int64)),
        "bid_price": pa.array(bid),
        "session_depth": pa.array(depth.astype(np.int64)),
        "user_age_days": age_col,
    }
    if integer_codes:  # the same rows, their categorical fields written as scattered integer codes
        fields = {
            "site_id": ("site", site, 1),
            "app_id": ("app", app, 2),
            "ad_id": ("ad", ad, 3),
            "campaign_id": ("campaign", camp, 4),
            "device_type": ("device", device, 5),
            "os": ("os", os_idx, 6),
        }
        sizes = {
            "site_id": len(world.site_p),
            "app_id": len(world.app_p),
            "ad_id": len(world.ad_p),
            "campaign_id": len(world.camp_eff),
            "device_type": len(DEVICES),
            "os": len(OS_NAMES),
        }
        columns = {
            fields[k][0] if k in fields else k: (
                pa.array(_codes(world.seed, sizes[k], fields[k][2])[fields[k][1]].astype(np.int64))
                if k in fields
                else v
            )
            for k, v in columns.items()
        }
    return {"columns": columns, "click_logit": click_logit, "conv_logit": conv_logit}


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _solve_intercept(logit: np.ndarray, target: float) -> float:
    lo, hi = -30.0, 30.0
    for _ in range(100):
        mid = (lo + hi) / 2
        if _sigmoid(logit + mid).mean() > target:
            hi = mid
        else:
            lo = mid
    return (lo + hi) / 2


class _Writer:
    """Writes a table in parts to a temporary file beside ``path``; :meth:`commit` renames it into place, so a
    failed or killed run leaves no finished-looking file (:meth:`discard` removes the temporary one)."""

    def __init__(self, path: Path, option: str):
        self.final, self.option = path, option
        self.path = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        self.kind = "parquet" if path.suffix.lower() in (".parquet", ".pq") else "csv"
        self.gz = path.suffix.lower() == ".gz"
        self._w = None
        self._sink = None

    def write(self, table: pa.Table):
        if self._w is None:
            if self.kind == "parquet":
                self._w = pq.ParquetWriter(self.path, table.schema)
            else:
                self._sink = (
                    pa.CompressedOutputStream(str(self.path), "gzip") if self.gz else pa.OSFile(str(self.path), "wb")
                )
                self._w = pacsv.CSVWriter(self._sink, table.schema)
        assert self._w is not None
        self._w.write_table(table)

    def close(self):
        if self._w is not None:
            self._w.close()
        if self._sink is not None:
            self._sink.close()
        self._w = self._sink = None

    def commit(self) -> None:
        self.close()
        os.replace(self.path, self.final)

    def discard(self) -> None:
        try:
            self.close()
        except (OSError, pa.ArrowException):
            pass
        if self.path.exists():
            self.path.unlink()


def simulate(
    output: str | Path,
    rows: int,
    seed: int = 0,
    truth: str | Path | None = None,
    click_rate: float = 0.002,
    conversion_rate: float = 0.10,
    world_seed: int | None = None,
    integer_codes: bool = False,
) -> dict:
    """Write a synthetic impression log (and optionally its true probabilities).

    ``world_seed`` (default: ``seed``) fixes the world, ``seed`` the rows drawn from it;
    ``integer_codes`` writes categorical fields as integer codes. Returns counts per
    class and the realised rates.
    """
    if rows < 1:
        raise ClickpredError(f"--rows must be at least 1, got {rows}")
    if not 0 < click_rate < 1 or not 0 < conversion_rate < 1:
        raise ClickpredError("--click-rate and --conversion-rate must be in (0, 1)")
    output = Path(output)
    targets = [("--output", output)] + ([("--truth", Path(truth))] if truth else [])
    if truth and Path(truth).resolve() == output.resolve():
        raise ClickpredError(f"--truth {truth}: the same file as --output: write the true probabilities elsewhere")
    for option, p in targets:
        if not p.parent.exists():
            raise ClickpredError(f"{option} {p}: folder {p.parent} does not exist")
    for name, value in (("--seed", seed), ("--world-seed", world_seed)):
        if value is not None and not 0 <= value < 2**63:
            raise ClickpredError(f"{name} must be between 0 and 2^63 - 1, got {value}")
    world_seed = seed if world_seed is None else world_seed
    world = _world(world_seed)
    # Fix the intercepts on a calibration draw of the world so that every chunk (and every file of it) shares them.
    calib = _draw(world, np.random.default_rng([world_seed, 1]), 200_000, 0)
    world.click_intercept = _solve_intercept(calib["click_logit"], click_rate)
    world.conv_intercept = _solve_intercept(calib["conv_logit"], conversion_rate)
    writers = [_Writer(p, option) for option, p in targets]
    out, tw = writers[0], (writers[1] if truth else None)
    counts = dict.fromkeys(CLASSES, 0)
    current = out
    try:
        for k, start in enumerate(range(0, rows, CHUNK)):
            n = min(CHUNK, rows - start)
            rng = np.random.default_rng([seed, 2, k])
            d = _draw(world, rng, n, start, integer_codes)
            p_click = _sigmoid(d["click_logit"] + world.click_intercept)
            p_conv_given = _sigmoid(d["conv_logit"] + world.conv_intercept)
            clicked = rng.random(n) < p_click
            converted = clicked & (rng.random(n) < p_conv_given)
            label = np.where(converted, 2, np.where(clicked, 1, 0))
            cols = dict(d["columns"])
            cols["event"] = pa.array(np.array(CLASSES)[label])
            current = out
            out.write(pa.table(cols))
            for i, c in enumerate(CLASSES):
                counts[c] += int((label == i).sum())
            if tw:
                current = tw
                tw.write(
                    pa.table(
                        {
                            "impression_id": cols["impression_id"],
                            "p_view": pa.array(1 - p_click),
                            "p_click": pa.array(p_click * (1 - p_conv_given)),
                            "p_conversion": pa.array(p_click * p_conv_given),
                        }
                    )
                )
        for w in reversed(writers):  # the log last: it appears only once its truth file has
            current = w
            w.commit()
    except OSError as exc:
        raise ClickpredError(f"{current.option} {write_error(current.final, exc)}") from None
    finally:
        for w in writers:
            w.discard()  # after a commit there is nothing left to remove
    return {"rows": rows, "counts": counts, "rates": {c: counts[c] / rows for c in CLASSES}}
