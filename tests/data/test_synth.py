"""The synthetic city generator: deterministic, complete, and every case type reachable."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dip_model.data import synth
from dip_model.data.load import validate

N = 3000
FILES = ("hospitals", "cases", "catalogue", "group_level_costs", "history", "fund", "aux")


@pytest.fixture(scope="module")
def city() -> dict[str, pd.DataFrame]:
    return synth.make_city(N, seed=7)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("city")
    summary = synth.write_city(out, n_cases=N, seed=7)
    return out, summary


def _bytes(path) -> dict[str, bytes]:
    return {f: (path / f"{f}.csv").read_bytes() for f in FILES}


def test_same_seed_same_bytes_other_seed_other_city(folder, tmp_path):
    out, _ = folder
    synth.write_city(tmp_path / "again", n_cases=N, seed=7)
    assert _bytes(out) == _bytes(tmp_path / "again")
    synth.write_city(tmp_path / "other", n_cases=N, seed=8)
    assert _bytes(out)["cases"] != _bytes(tmp_path / "other")["cases"]


def test_folder_is_complete_and_loads_clean(folder):
    out, summary = folder
    assert all((out / f"{f}.csv").exists() for f in FILES)
    problems, _ = validate(out)
    assert problems == []
    assert summary["cases"] == N and summary["hospitals"] >= 8
    assert (out / "cases.csv").read_bytes()[:3] != b"\xef\xbb\xbf"        # plain UTF-8


@pytest.mark.parametrize("n", [1000, 4321])
def test_sizes_and_ids(n):
    c = synth.make_city(n, seed=1)
    cases, hist = c["cases"], c["history"]
    assert len(cases) == n and cases["case_id"].is_unique and hist["case_id"].is_unique
    assert (cases["discharge_date"].dt.year == 2024).all()
    assert set(hist["discharge_date"].dt.year) == {2021, 2022, 2023}
    assert len(hist) == pytest.approx(n * (0.95 + 0.95 ** 2 + 0.95 ** 3), rel=0.01)


def test_hospitals_of_every_kind(city):
    h = city["hospitals"]
    assert set(h["level"]) == {"3A", "3B", "2A", "2B", "1"}
    assert set(h["type"]) == {"general", "tcm", "specialty"}
    assert (h["reimb_level"] == h["level"].map({"3A": 3, "3B": 3, "2A": 2, "2B": 2, "1": 1})).all()
    assert h["is_new"].any() and h["suspended"].any() and h["fraud_penalized"].sum() == 1
    change = h["level_change_date"].dropna()
    assert (change <= "2024-06-30").sum() == 1 and (change > "2024-06-30").sum() == 1
    assert h.loc[h["level_change_date"].notna(), "prev_level"].notna().all()
    assert h["bonus"].isna().all() and h["name"].is_unique and h["hospital_id"].is_unique
    assert h["assessment_score"].between(0, 100).all()


def test_cases_reference_known_hospitals_and_money_is_consistent(city):
    h, c, hist = city["hospitals"], city["cases"], city["history"]
    assert c["hospital_id"].isin(h["hospital_id"]).all() and hist["hospital_id"].isin(h["hospital_id"]).all()
    assert set(c["scheme"]) == {"employee", "resident"}
    assert 0.25 < (c["scheme"] == "employee").mean() < 0.42
    for t in (c, hist):
        assert (t["ffs_fund"] >= 0).all() and (t["ffs_fund"] <= t["total_cost"]).all()
        assert np.allclose(t["self_pay"], t["total_cost"] - t["ffs_fund"], atol=0.011)
        assert (t["admit_date"] <= t["discharge_date"]).all()
    assert 7000 < c["total_cost"].mean() < 14000
    new = h.loc[h["is_new"], "hospital_id"]
    assert not hist["hospital_id"].isin(new).any()                       # new this year


def test_every_case_type_is_reachable(city):
    h, c, cat, glc = city["hospitals"], city["cases"], city["catalogue"], city["group_level_costs"]
    grassroots = set(cat.loc[cat["grassroots"], "group_id"])
    assert c["group_id"].isin(grassroots).sum() > 0
    assert 0.02 < cat["grassroots"].mean() < 0.12
    tcm = c[c["tcm_advantage"]]
    assert len(tcm) > 0
    assert tcm["group_id"].isin(cat.loc[cat["tcm_standard"].notna(), "group_id"]).all()
    assert tcm["hospital_id"].isin(h.loc[h["type"] == "tcm", "hospital_id"]).all()
    assert c["transferred"].any() and (~c["qc_pass"]).any() and (~c["uploaded_on_time"]).any()
    assert (~c["group_id"].isin(cat["group_id"])).any()                  # unmatched
    assert c["aux_type"].dropna().isin(city["aux"]["aux_type"]).all() and c["aux_type"].notna().any()
    level = c["hospital_id"].map(h.set_index("hospital_id")["level"])
    m = pd.DataFrame({"group_id": c["group_id"], "level": level}).merge(glc, how="left")["mean_cost"]
    ratio = c["total_cost"].to_numpy() / m.to_numpy()
    assert 0.01 < np.nanmean(ratio > 2) < 0.08 and np.nanmean(ratio < 0.5) > 0.03


def test_readmissions_within_14_days(city):
    c = city["cases"].sort_values(["patient_id", "admit_date"])
    prev = c.groupby("patient_id")[["discharge_date", "group_id"]].shift()
    gap = (c["admit_date"] - prev["discharge_date"]).dt.days
    same = (prev["group_id"] == c["group_id"]) & (gap <= 14)
    assert same.sum() >= 4
    assert c.loc[same, "group_id"].isin(city["catalogue"].loc[city["catalogue"]["grassroots"], "group_id"]).any()


def test_lognormal_spread(city):
    c = city["cases"]
    log_ratio = np.log(c["total_cost"] / c.groupby("group_id")["total_cost"].transform("mean"))
    assert 0.5 < log_ratio.std() < 0.85


def test_catalogue_is_built_from_history(city):
    cat, hist, glc, h = city["catalogue"], city["history"], city["group_level_costs"], city["hospitals"]
    assert hist["group_id"].isin(cat["group_id"]).all()
    M = hist["total_cost"].mean()
    g = hist.groupby("group_id")["total_cost"].agg(["mean", "size"])
    cat = cat.set_index("group_id")
    assert np.allclose(cat["rw"], g.loc[cat.index, "mean"] / M * 1000)
    core = cat["group_type"] == "core"
    assert (g.loc[cat.index[core], "size"] >= 15).all()
    assert cat.index[~core].str.contains("|comp|", regex=False).all()
    assert set(cat["category"]) <= {"normal", "monitored", "ambiguous"} and (cat["policy_factor"] == 1).all()
    # level costs: the 2023 mean per group and the hospital's level in 2023
    lv = h.set_index("hospital_id")["prev_level"].fillna(h.set_index("hospital_id")["level"])
    y23 = hist[hist["discharge_date"].dt.year == 2023]
    want = y23.assign(level=y23["hospital_id"].map(lv)).groupby(["group_id", "level"])["total_cost"].mean()
    got = glc.set_index(["group_id", "level"])["mean_cost"]
    assert len(got) == len(want) and np.allclose(got, want.loc[got.index])


def test_engine_builds_the_same_catalogue_from_the_history(folder):
    """The generator's catalogue is what the engine's own A-15/A-16 builder makes of the history
    (catalogue.source = history): same groups, same types, same RW. Names, grassroots, category and TCM
    designations are the bureau's and only come with the file."""
    import dip_model
    data = dip_model.load_data(folder[0])
    built = dip_model.simulate(data, dip_model.load_params({"catalogue": {"source": "history"}})).stage.ref.catalogue
    given = dip_model.simulate(data, dip_model.load_params()).stage.ref.catalogue
    b, g = built.set_index("group_id"), given.set_index("group_id")
    assert set(b.index) == set(g.index) and len(b) > 50
    assert (b.loc[g.index, "group_type"] == g["group_type"]).all()
    assert np.allclose(b.loc[g.index, "rw"], g["rw"], rtol=1e-9)


def test_fund_gives_a_realistic_budget(city):
    f, c = city["fund"].set_index("scheme"), city["cases"]
    lines = ["out_of_area", "local_outpatient", "maternity", "critical_illness_premium", "non_dip_items", "other_rigid"]
    for scheme, r in f.iterrows():
        assert r["prior_revenue"] >= r["prior_expenditure"]             # balanced: B = E(1+g)
        g = r["revenue_growth"]
        B = r["prior_expenditure"] * (1 + min(g, 0.08))
        A = min(r["prior_adjustment_fund"] * (1 + g), 0.05 * B)
        F = B - r[lines].sum() - A
        ffs = c.loc[c["scheme"] == scheme, "ffs_fund"].sum()
        assert 0.99 < F / ffs < 1.06
        months = r["opening_balance"] / (B / 12)
        assert (7.5 < months < 12.5) if scheme == "employee" else (3.5 < months < 7.5)
