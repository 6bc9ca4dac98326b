"""The filtered views, for each role: every frame and array reachable from a filtered Results or DataSet (found
by walking the objects, so a new attribute is checked too) holds only the permitted hospitals' rows, while
the city's published figures stay; the hospital users' views partition the city's case rows exactly
(hypothesis); the hospital views, explain and the statements on a hospital user's view equal those on the
whole city for that hospital."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hyp

import dip_model
from dip_model.access import (
    AccessDenied, Role, User, visible_dataset, visible_forecast, visible_hospital_ids, visible_outlook,
    visible_results,
)
from dip_model.access import views
from dip_model.analysis import hospital_cases, hospital_forecast, hospital_margins, hospital_mix, hospital_outlook
from dip_model.analysis import hospital_warnings
from dip_model.errors import DipError
from dip_model.report.scenario import Scenario
from dip_model.report.statements import statement_rows

SKIP = {"_cache", "_lock", "_access_views", "_hospital_views"}


@pytest.fixture(scope="module")
def city_data(city):
    data = dip_model.load_data(city)
    rng = np.random.default_rng(3)
    data.cases["department"] = rng.choice(np.array(["内科", "外科", None], dtype=object), len(data.cases))
    data.cases["doctor"] = rng.choice(np.array(["王", "李", "张"], dtype=object), len(data.cases))
    return data


@pytest.fixture(scope="module")
def res(city_data):
    return dip_model.simulate(city_data)


def hospital_user(hid: str) -> User:
    return User(f"finance@{hid.lower()}.cn", hid, Role("hospital", hid))


VIEWER = User("guest@ybj.cn", "guest", Role("viewer"))
BUREAU = User("zhang@ybj.cn", "zhang", Role("bureau"))


def walk(obj, path: str = "", seen=None):
    """(path, frame or array) of everything reachable from obj through attributes, dataclass fields, dicts and
    lists."""
    seen = set() if seen is None else seen
    if isinstance(obj, (pd.DataFrame, pd.Series, np.ndarray, pd.Index)):
        yield path, obj
        return
    if id(obj) in seen:                                          # containers once (no cycles)
        return
    seen.add(id(obj))
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from walk(v, f"{path}[{k}]", seen)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from walk(v, f"{path}[{i}]", seen)
    elif dataclasses.is_dataclass(obj) or isinstance(obj, dip_model.Results):
        names = set(vars(obj)) | ({f.name for f in dataclasses.fields(obj)} if dataclasses.is_dataclass(obj) else set())
        for name in sorted(names - SKIP):
            yield from walk(getattr(obj, name), f"{path}.{name}", seen)


def _rows(x) -> int:
    return len(x)


def check_cut(full, cut, allowed: set[str], cases: bool) -> None:
    """Every frame / array of `cut` against its counterpart in `full` (same path)."""
    data = full.data if isinstance(full, dip_model.Results) else full
    ids = data.hospitals["hospital_id"].astype(str)
    n_hosp, n_cases = len(ids), len(data.cases)
    n_hist = 0 if data.history is None else len(data.history)
    keep_h = int(ids.isin(allowed).sum())
    keep_c = int(data.cases["hospital_id"].isin(allowed).sum()) if cases else 0
    keep_hist = int(data.history["hospital_id"].isin(allowed).sum()) if cases and n_hist else 0
    sizes = {n_cases: keep_c, n_hosp: keep_h, 2 * n_hosp: 2 * keep_h, n_hist: keep_hist}
    assert len(sizes) == 4, "the test city's sizes must not collide"
    whole = dict(walk(full))
    found = list(walk(cut))
    assert len(found) > (40 if isinstance(full, dip_model.Results) else 5), "the walk must reach every table"
    for path, value in found:
        if isinstance(value, pd.DataFrame) and "hospital_id" in value.columns:
            assert set(value["hospital_id"].astype(str)) <= allowed, path
        if path not in whole:
            assert path.endswith(("city_figures", "]")) or _rows(value) == 0, f"{path}: no counterpart"
            continue
        before = whole[path]
        n = _rows(before)
        if isinstance(before, pd.DataFrame) and "hospital_id" in before.columns and n not in sizes:
            expected = int(before["hospital_id"].astype(str).isin(allowed).sum())      # e.g. hospital × scheme rows
            assert _rows(value) == expected, path
        elif n in sizes and not isinstance(before, pd.Index):
            assert _rows(value) == sizes[n], f"{path}: {_rows(value)} rows, expected {sizes[n]} of {n}"
        else:                                                   # a published table: unchanged
            assert _rows(value) == n, path


@pytest.mark.parametrize("who", ["H001", "H005", "viewer", "H999"])
def test_each_role_holds_only_permitted_hospitals(res, who):
    user = VIEWER if who == "viewer" else hospital_user(who)
    ids = set(res.data.hospitals["hospital_id"].astype(str))
    allowed = ids if who == "viewer" else ids & {who}
    cut = visible_results(res, user)
    check_cut(res, cut, allowed, cases=who != "viewer")
    check_cut(res.data, visible_dataset(res.data, user), allowed, cases=who != "viewer")
    assert set(cut.cases["hospital_id"]) <= allowed and len(cut.cases) == len(cut.data.cases)
    if who == "viewer":
        assert cut.cases.empty and cut.data.history is None and len(cut.hospitals) == len(res.hospitals)
    assert visible_hospital_ids(res, user) == [h for h in res.data.hospitals["hospital_id"] if h in allowed]
    assert cut.summary["schemes"] == res.summary["schemes"]                 # the city's figures stay
    assert cut.data.version != res.data.version and cut.data.catalogue is res.data.catalogue
    assert cut.stage.ref.catalogue is res.stage.ref.catalogue


def test_the_bureau_gets_the_objects_themselves(res):
    assert visible_results(res, BUREAU) is res and visible_dataset(res.data, BUREAU) is res.data
    assert visible_results(res, User.local()) is res


def test_a_hospital_users_dataset_is_its_hospital_folder(res):
    cut = visible_dataset(res.data, hospital_user("H001"))
    assert cut.mode == "hospital" and cut.fund is None
    with pytest.raises(DipError, match="city"):
        hospital_forecast.forecast(cut, None, "H001")
    assert visible_dataset(res.data, VIEWER).fund is res.data.fund


def test_warnings_that_point_at_rows_or_other_hospitals_are_dropped(res):
    from dip_model.errors import Problem
    from dip_model.messages import Message
    data = dip_model.load_data(res.data.source)
    data.warnings = [Problem("cases.csv", Message("negative_value", v="-5"), row=12).located(),
                     Message("report_unknown_hospital", hospital="H002"),
                     Message("history_ignored_hospital")]
    cut = visible_dataset(data, hospital_user("H001"))
    assert [w.key for w in cut.warnings] == ["history_ignored_hospital"]


def test_an_undecided_attribute_is_refused(city_data):
    res = dip_model.simulate(city_data, {"budget": {"growth_rate": 0.061}})
    res.new_table = res.hospitals
    with pytest.raises(DipError, match="no rule for Results.new_table"):
        visible_results(res, hospital_user("H001"))
    del res.new_table
    res.summary["by_hospital"] = {}
    with pytest.raises(DipError, match="summary.by_hospital"):
        visible_results(res, hospital_user("H001"))


def test_every_dataclass_field_has_a_decision(res):
    """A field the tables do not name must be a per-row array of a class the rows rule covers (one row per
    case, or per hospital × scheme); anything else is a new field waiting for a decision."""
    st = res.stage
    rows = {views.Prepared: (st.prep, len(res.data.cases)), views.CaseScores: (st.scores, len(res.data.cases)),
            views.Aggregates: (st.agg, 2 * len(res.data.hospitals))}
    for cls, table in views.DECIDED.items():
        for f in dataclasses.fields(cls):
            if f.name in table:
                continue
            assert cls in rows, f"{cls.__name__}.{f.name} has no decision"
            obj, n = rows[cls]
            value = getattr(obj, f.name)
            assert isinstance(value, np.ndarray) and len(value) == n, f"{cls.__name__}.{f.name} has no decision"


# ---------------------------------------------------------------- the partition (hypothesis)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hyp.data())
def test_hospital_views_partition_the_city(res, draw):
    ids = list(res.data.hospitals["hospital_id"].astype(str))
    users = draw.draw(hyp.lists(hyp.sampled_from(ids + ["H404"]), min_size=1, max_size=12))
    cuts = {u: visible_results(res, hospital_user(u)) for u in users}
    got = pd.concat([c.cases for c in cuts.values() if len(c.cases)] or [res.cases.iloc[:0]], ignore_index=True)
    assert not got["case_id"].duplicated().any()
    full = res.cases
    want = full[full["hospital_id"].isin(list(cuts))]
    assert sorted(got["case_id"]) == sorted(want["case_id"])
    merged = got.set_index("case_id").loc[want["case_id"]].reset_index()
    pd.testing.assert_frame_equal(merged[want.columns], want.reset_index(drop=True), check_exact=True,
                                  check_dtype=len(want) > 0)
    raw = np.concatenate([c.stage.scores.raw for c in cuts.values()])
    assert np.isclose(raw.sum(), res.stage.scores.raw[full["hospital_id"].isin(list(cuts)).to_numpy()].sum())
    for c in cuts.values():
        assert c.summary["schemes"] == res.summary["schemes"]
        assert c.stage.ref.mean_cost == res.stage.ref.mean_cost
    if set(ids) <= set(users):                                   # every hospital: every row, once
        assert len(got) == len(full)
        hosp = pd.concat([c.hospitals for c in cuts.values()], ignore_index=True)
        pd.testing.assert_frame_equal(hosp.sort_values(["hospital_id", "scheme"]).reset_index(drop=True),
                                      res.hospitals.sort_values(["hospital_id", "scheme"]).reset_index(drop=True))


def test_all_hospital_users_together_hold_every_row_once(res):
    ids = list(res.data.hospitals["hospital_id"].astype(str))
    cases = pd.concat([visible_results(res, hospital_user(h)).cases for h in ids], ignore_index=True)
    assert len(cases) == len(res.cases) and not cases["case_id"].duplicated().any()


# ---------------------------------------------------------------- the hospital views on a cut
def _same(a: pd.DataFrame, b: pd.DataFrame, drop=("case_row",)) -> None:
    pd.testing.assert_frame_equal(a.drop(columns=[c for c in drop if c in a]),
                                  b.drop(columns=[c for c in drop if c in b]), check_exact=True)


@pytest.mark.parametrize("hid", ["H001", "H004", "H008"])
def test_hospital_views_on_a_cut_equal_the_citys(res, hid):
    cut = visible_results(res, hospital_user(hid))
    _same(hospital_cases.case_margins(res, hid), hospital_cases.case_margins(cut, hid))
    assert hospital_cases.hospital_totals(res, hid) == hospital_cases.hospital_totals(cut, hid)
    _same(hospital_margins.group_margins(res, hid), hospital_margins.group_margins(cut, hid))
    for by in ("department", "doctor"):
        assert hospital_margins.has_breakdown(cut, by)
        _same(hospital_margins.margins_by(res, hid, by), hospital_margins.margins_by(cut, hid, by))
    _same(hospital_warnings.deviation_warnings(res, hid), hospital_warnings.deviation_warnings(cut, hid))
    _same(hospital_warnings.special_candidates(res, hid), hospital_warnings.special_candidates(cut, hid))
    for scheme in ("employee", "resident"):
        if ((res.hospitals["hospital_id"] == hid) & (res.hospitals["scheme"] == scheme)).any():
            assert [s.to_dict() for s in res.explain(hid, scheme)] == [s.to_dict() for s in cut.explain(hid, scheme)]
    assert statement_rows(Scenario(res), hid) == statement_rows(Scenario(cut), hid)
    with pytest.raises(DipError):                                # another hospital is not in the cut
        hospital_cases.case_margins(cut, "H002" if hid != "H002" else "H003")


def test_mix_profile_on_a_cut(res, monkeypatch):
    hid = "H001"                                                 # category 3A: two hospitals
    full = hospital_mix.mix_profile(res, hid)
    cut = hospital_mix.mix_profile(visible_results(res, hospital_user(hid)), hid)
    _same(full.drop(columns=["category"]), cut.drop(columns=["category"]))
    assert cut["category"].isna().all()                          # fewer than MIN_CELL hospitals: not shown
    monkeypatch.setattr(views, "MIN_CELL", 2)
    fresh = dip_model.simulate(res.data, {"budget": {"growth_rate": 0.062}})
    _same(hospital_mix.mix_profile(fresh, hid), hospital_mix.mix_profile(visible_results(fresh, hospital_user(hid)), hid))


def test_what_needs_the_whole_city_is_cut_after(res):
    hid = "H001"
    user = hospital_user(hid)
    cut = visible_results(res, user)
    with pytest.raises(DipError) as err:                         # the outlook settles the city again
        hospital_outlook.outlook(cut, hid)
    assert err.value.message.key == "access_resettle"
    ol = visible_outlook(hospital_outlook.outlook(res, hid), user)
    pd.testing.assert_frame_equal(ol.settlement, hospital_outlook.outlook(res, hid).settlement)
    for run in ol.runs.values():
        assert set(run.hospitals["hospital_id"]) == {hid} and set(run.cases["hospital_id"]) == {hid}
    with pytest.raises(AccessDenied):
        visible_outlook(hospital_outlook.outlook(res, "H002"), user)
    with pytest.raises(AccessDenied):
        visible_outlook(hospital_outlook.outlook(res, hid), VIEWER)
    fc = hospital_forecast.forecast(res.data, None, hid)
    seen = visible_forecast(fc, user)
    assert set(seen.settled.hospitals["hospital_id"]) == {hid}
    pd.testing.assert_frame_equal(seen.summary, fc.summary)
    with pytest.raises(AccessDenied):
        visible_forecast(fc, hospital_user("H002"))


def test_special_candidates_ranked_city_wide_refuse_a_cut(city_data):
    res = dip_model.simulate(city_data, {"interpretations": {"I-1": "city"}})
    cut = visible_results(res, hospital_user("H001"))
    with pytest.raises(DipError) as err:
        hospital_warnings.special_candidates(cut, "H001")
    assert err.value.message.key == "access_city_pool"
    _same(hospital_warnings.deviation_warnings(res, "H001"), hospital_warnings.deviation_warnings(cut, "H001"))
