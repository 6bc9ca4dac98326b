"""Loading the dataset once per process and running the engine; cached by explicit keys."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

import dip_model

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
SAMPLE_CASES = 60_000
SAMPLE_SEED = 2024


def ensure_sample() -> Path:
    """The bundled sample city; generated (deterministically) on first start if absent."""
    if not (SAMPLE / "cases.csv").exists():
        from dip_model.synth import write_city
        write_city(SAMPLE, n_cases=SAMPLE_CASES, seed=SAMPLE_SEED)
    return SAMPLE


@st.cache_resource(show_spinner=False)
def dataset(path: str) -> dip_model.DataSet:
    """One shared, read-only DataSet per folder (never mutated; its stage caches live on it)."""
    return dip_model.load_data(path)


def results(data: dip_model.DataSet, params: dip_model.Params) -> dip_model.Results:
    # the DataSet caches the case-level stages itself, keyed by the parameters they use
    return dip_model.simulate(data, params)
