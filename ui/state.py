"""Loading the dataset once per process and running the engine; cached by explicit keys."""
from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

import dip_model

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
SAMPLE_CASES = 60_000
SAMPLE_SEED = 2024


def ensure_sample() -> Path:
    """The dataset folder: DIP_DATA when set, else the bundled sample city, generated
    (deterministically) on first start if absent."""
    if os.environ.get("DIP_DATA"):
        return Path(os.environ["DIP_DATA"])
    if not (SAMPLE / "cases.csv").exists():
        from dip_model.synth import write_city
        write_city(SAMPLE, n_cases=SAMPLE_CASES, seed=SAMPLE_SEED)
    return SAMPLE


def folder_signature(path: str) -> str:
    """Names, sizes and modification times of a folder's files: a changed file is a new dataset."""
    return ";".join(f"{f.name}:{f.stat().st_size}:{f.stat().st_mtime_ns}" for f in sorted(Path(path).iterdir())
                    if f.is_file())


@st.cache_resource(show_spinner=False, max_entries=4)
def _dataset(path: str, signature: str) -> dip_model.DataSet:
    return dip_model.load_data(path)


def dataset(path: str) -> dip_model.DataSet:
    """One shared, read-only DataSet per folder version (never mutated; its stage caches live on it)."""
    return _dataset(path, folder_signature(path))


def results(data: dip_model.DataSet, params: dip_model.Params) -> dip_model.Results:
    # the DataSet caches the case-level stages itself, keyed by the parameters they use
    return dip_model.simulate(data, params)
