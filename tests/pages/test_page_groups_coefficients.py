"""The groups-and-scores and coefficients-and-assessment pages render, and a changed input moves the figure
it should by exactly what dip_model gives for the same parameters."""
import json
import math
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import dip_model
from dip_model.analysis.groups import load_preset

ROOT = Path(__file__).resolve().parents[2]
GROUPS, COEFS = "pages/groups.py", "pages/coefficients.py"



def _open(city, monkeypatch, page, lang="zh", values=None):
    monkeypatch.setenv("DIP_DATA", str(city))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = lang
    if values:
        at.session_state["scenario_values"] = values
    at.run()
    at.switch_page(page)
    return at.run()


def _ok(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def _table(at, column):
    """The first read-only table that has this column header."""
    return next(d.value for d in at.dataframe if d.editing_mode == "read_only" and column in d.value.columns)


def _tab(at, label):
    """Open a tab of a page whose tabs are lazy (only the open one is drawn)."""
    key = next(k for k in at.session_state.keys() if "gc_tabs" in str(k))
    at.session_state[key] = label
    return at.run()


def _edit(at, key_part, rows: dict):
    """Seed a keyed data_editor's cell edits (AppTest applies them on the next run)."""
    key = next(d.key for d in at.data_editor if key_part in d.key)
    at.session_state[key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    return at.run()


def test_high_ratio_moves_the_high_deviation_count(city, data, monkeypatch):
    at = _open(city, monkeypatch, GROUPS)
    _ok(at)
    before = int(dip_model.simulate(data).hospitals["n_high"].sum())
    assert _metric(at, "费用偏高病例") == f"{before:,}"
    at.number_input(key=next(w.key for w in at.number_input if w.label == "费用偏高倍率")).set_value(2.5).run()
    _tab(at, "费用偏差")
    _ok(at)
    expected = int(dip_model.simulate(data, {"cases": {"high_ratio": 2.5}}).hospitals["n_high"].sum())
    assert expected != before
    assert _metric(at, "费用偏高病例") == f"{expected:,}"
    # the deviation chart draws the threshold where the parameter now is
    lines = [sh["x0"] for c in at.get("plotly_chart") for sh in json.loads(c.proto.spec)["layout"].get("shapes", [])
             if sh.get("type") == "line" and sh.get("x0") == sh.get("x1")]
    assert any(x == pytest.approx(math.log10(2.5)) for x in lines)
    assert not any(x == pytest.approx(math.log10(2.0)) for x in lines)


def test_special_cases_listed_as_the_engine_selects_them(city, data, monkeypatch):
    at = _open(city, monkeypatch, GROUPS, values={"cases": {"special_rate": 0.01}})
    _ok(at)
    res = dip_model.simulate(data, {"cases": {"special_rate": 0.01}})
    n = int(res.hospitals["n_special"].sum())
    assert _metric(at, "特殊病例") == f"{n:,}"
    _tab(at, "特殊病例")
    table = _table(at, "病例分值")
    cases = res.cases[res.cases["case_type"] == "special"].sort_values("raw_score", ascending=False)
    assert len(table) == min(50, n)
    assert table["病例号"].iloc[0] == cases["case_id"].iloc[0]
    assert table["病例分值"].iloc[0] == pytest.approx(cases["raw_score"].iloc[0])


def test_policy_factor_edit_changes_the_group_score(city, data, monkeypatch):
    at = _tab(_open(city, monkeypatch, GROUPS), "政策调节系数")
    _ok(at)
    gid = at.data_editor[0].value["病种编码"].iloc[0]
    at = _tab(_edit(at, "gc_pf_editor", {0: {"政策调节系数": 1.5}}), "病种目录")
    _ok(at)
    assert at.session_state["scenario_values"]["catalogue"]["policy_factors"] == {gid: 1.5}
    cat = dip_model.simulate(data, {"catalogue": {"policy_factors": {gid: 1.5}}}).stage.ref.catalogue
    row = _table(at, "执行分值（RW×调节系数）").set_index("病种编码").loc[gid]
    assert row["执行分值（RW×调节系数）"] == pytest.approx(cat.set_index("group_id").loc[gid, "rw_eff"])


def test_level_override_moves_hospital_coefficients_and_point_value(city, data, monkeypatch):
    at = _open(city, monkeypatch, COEFS)
    _ok(at)
    base = dip_model.simulate(data)
    levels = at.data_editor[0].value
    row = int(levels.index[levels["机构级别"] == "2A"][0])
    at = _edit(at, "gc_level", {row: {"覆盖值（可编辑）": 0.9}})
    _ok(at)
    assert at.session_state["scenario_values"]["coefficients"]["level"] == {"2A": 0.9}
    res = dip_model.simulate(data, {"coefficients": {"level": {"2A": 0.9}}})
    hosp = _table(at, "医院系数").set_index("医院编码")
    want = res.hospitals.drop_duplicates("hospital_id").set_index("hospital_id")
    for hid in want.index[want["category"] == "2A"]:
        assert hosp.loc[hid, "医院系数"] == pytest.approx(want.loc[hid, "hospital_coef"])
    for s, name in (("employee", "职工医保"), ("resident", "居民医保")):
        pv = res.summary["schemes"][s]["settlement_point_value"]
        assert _metric(at, f"结算点值（{name}）") == f"{pv:.3f}"
    assert any(res.summary["schemes"][s]["settlement_point_value"] != base.summary["schemes"][s]["settlement_point_value"]
               for s in res.summary["schemes"])


def test_illustrative_bonus_preset(city, data, monkeypatch):
    at = _open(city, monkeypatch, COEFS)
    _ok(at)
    next(b for b in at.button if "示例（非细则规定）" in b.label).click().run()
    _ok(at)
    rules = load_preset("illustrative-bonus")["values"]
    assert at.session_state["scenario_values"]["coefficients"]["bonus_rules"] == rules["coefficients"]["bonus_rules"]
    assert any("示例（非细则规定）" in w.value for w in at.warning)
    want = dip_model.simulate(data, rules).hospitals.drop_duplicates("hospital_id").set_index("hospital_id")
    shown = _table(at, "数据给定加成").set_index("医院编码")
    assert want["bonus"].max() > 0
    for hid in want.index:
        assert shown.loc[hid, "加成系数"] == pytest.approx(want.loc[hid, "bonus"])


def test_invalid_scenario_shows_the_message_and_no_figures(city, monkeypatch):
    at = _open(city, monkeypatch, GROUPS, values={"cases": {"high_ratio": 0.4}})
    assert not at.exception
    assert at.error and "high_ratio" in at.error[0].value
    assert not at.metric and not at.get("plotly_chart")


def test_english(city, monkeypatch):
    at = _open(city, monkeypatch, GROUPS, lang="en")
    _ok(at)
    assert "High-cost deviation" in [m.label for m in at.metric]
    at.switch_page(COEFS).run()
    _ok(at)
    assert "Settlement point value (Employee scheme)" in [m.label for m in at.metric]


def test_aggregations_match_the_case_table(data):
    """The page's numpy aggregations equal the same sums over the engine's one-row-per-case table."""
    from dip_model.analysis import groups as ag
    res = dip_model.simulate(data)
    cases = res.cases.assign(category=res.cases["hospital_id"].map(
        dict(zip(data.hospitals["hospital_id"], res.stage.categories))))
    for by, col in (("case_type", "case_type"), ("bucket", "bucket")):
        b = ag.breakdown(res.stage, by).set_index(["scheme", "category", "kind"])
        want = cases.groupby(["scheme", "category", col])[["raw_score"]].agg(["size", "sum"])
        for (s, c, k), row in want.iterrows():
            assert b.loc[(s, c, k), "cases"] == row[("raw_score", "size")]
            assert b.loc[(s, c, k), "raw_score"] == pytest.approx(row[("raw_score", "sum")])
        assert b["cases"].sum() == len(cases)
    hist = ag.ratio_histogram(res.stage, ("employee", "resident"), marks=(0.5, 2.0))
    assert hist["count"].sum() == cases["ratio"].notna().sum()
    sp = ag.special_cases(res.stage, data, ("employee", "resident"))
    want = cases[cases["case_type"] == "special"].sort_values("raw_score", ascending=False, kind="stable")
    assert list(sp["case_id"]) == list(want["case_id"]) or sorted(sp["case_id"]) == sorted(want["case_id"])
    assert sp["score"].to_numpy() == pytest.approx(want["raw_score"].to_numpy())
    assert set(ag.ratio_edges(0.05, 20, (0.5, 2.0))) >= {0.05, 0.5, 2.0, 20.0}


def test_scenario_assessment_score_and_violation_for_one_hospital(city, data, monkeypatch):
    at = _open(city, monkeypatch, COEFS)
    _ok(at)
    h = data.hospitals.set_index("hospital_id")
    hid = next(i for i in h.index if not (h.loc[i, "is_new"] or h.loc[i, "suspended"] or h.loc[i, "fraud_penalized"]))
    at.selectbox(key="gc_hd_hospital").set_value(hid).run()
    new_score = float(h.loc[hid, "assessment_max"]) * 0.5
    next(n for n in at.number_input if "hd_score" in n.key).set_value(new_score).run()
    next(n for n in at.number_input if "hd_viol" in n.key).set_value(12345.0).run()
    _ok(at)
    want = {"assessment_score": {hid: new_score}, "violation_amount": {hid: 12345.0}}
    assert at.session_state["scenario_values"]["hospital_data"] == want
    res = dip_model.simulate(data, {"hospital_data": want})
    row = res.hospitals[res.hospitals["hospital_id"] == hid].iloc[0]
    assert row["assessment_coef"] == pytest.approx(0.5)
    table = next(d.value for d in at.dataframe if "考核得分" in d.value.columns).set_index("医院编码")
    assert table.loc[hid, "考核系数"] == pytest.approx(0.5) and table.loc[hid, "考核得分"] == new_score
    assert any(hid in c.value and "12,345.00" in c.value for c in at.caption)
    at.button(key="gc_hd_clear").click().run()
    _ok(at)
    assert "hospital_data" not in at.session_state["scenario_values"]


def _delta(at, label):
    """The delta text of the metric with this label ('' when the card shows none)."""
    return next(m.proto.delta for m in at.metric if m.label == label)


def test_case_type_deltas_against_the_baseline(city, data, monkeypatch):
    """A changed case-scoring parameter: each count's change against the baseline is the engine's."""
    at = _open(city, monkeypatch, GROUPS)
    _ok(at)
    assert all(m.proto.delta == "" for m in at.metric)           # the scenario is the baseline: no deltas
    at.number_input(key=next(w.key for w in at.number_input if w.label == "费用偏高倍率")).set_value(2.5).run()
    _ok(at)
    base = dip_model.simulate(data).hospitals
    new = dip_model.simulate(data, {"cases": {"high_ratio": 2.5}}).hospitals
    for col, label in (("n_high", "费用偏高病例"), ("n_normal", "正常病例")):
        diff = int(new[col].sum()) - int(base[col].sum())
        assert diff != 0
        assert _delta(at, label) == f"{diff:+,} 较基准"


def test_point_value_score_and_payment_deltas_against_the_baseline(city, data, monkeypatch):
    """A changed level coefficient: point value, total score and final payment of each scheme, each
    with its change against the baseline as the engine gives it."""
    from dip_model.report.labels import money
    at = _open(city, monkeypatch, COEFS)
    _ok(at)
    assert all(m.proto.delta == "" for m in at.metric)
    levels = at.data_editor[0].value
    row = int(levels.index[levels["机构级别"] == "2A"][0])
    at = _edit(at, "gc_level", {row: {"覆盖值（可编辑）": 0.9}})
    _ok(at)
    base = dip_model.simulate(data).summary["schemes"]
    new = dip_model.simulate(data, {"coefficients": {"level": {"2A": 0.9}}}).summary["schemes"]
    for s, name in (("employee", "职工医保"), ("resident", "居民医保")):
        d_pv = new[s]["settlement_point_value"] - base[s]["settlement_point_value"]
        d_score = new[s]["total_score"] - base[s]["total_score"]
        d_pay = new[s]["total_final_payment"] - base[s]["total_final_payment"]
        assert d_pv != 0 and abs(d_score) >= 0.05
        assert _delta(at, f"结算点值（{name}）") == f"{d_pv:+.3f} 较基准"
        assert _delta(at, f"年度总分值（{name}）") == f"{d_score:+,.1f} 较基准"
        want = "" if abs(d_pay) < 0.005 else f"{'+' if d_pay > 0 else '−'}{money(abs(d_pay), 'zh', 'yuan')} 较基准"
        assert _delta(at, f"年度支付总额（{name}）") == want
