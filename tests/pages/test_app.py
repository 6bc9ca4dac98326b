"""The app starts, runs the engine on a dataset and shows the headline figures in both languages."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

import dip_model

ROOT = Path(__file__).resolve().parents[2]


def _run(city, monkeypatch, lang="zh"):
    monkeypatch.setenv("DIP_DATA", str(city))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = lang
    return at.run()


def test_overview_shows_point_values(city, monkeypatch):
    at = _run(city, monkeypatch)
    assert not at.exception and not at.error
    res = dip_model.simulate(dip_model.load_data(city), dip_model.load_params())
    shown = {m.label: m.value for m in at.metric}
    assert shown["结算点值"] in {f"{v['settlement_point_value']:.3f}" for v in res.summary["schemes"].values()}


def test_english_labels(city, monkeypatch):
    at = _run(city, monkeypatch, "en")
    assert not at.exception
    assert "Settlement point value" in [m.label for m in at.metric]


def test_bad_data_gives_a_message_not_a_traceback(tmp_path, monkeypatch):
    (tmp_path / "hospitals.csv").write_text("hospital_id,level,reimb_level\nH1,3A,3\n", encoding="utf-8")
    (tmp_path / "cases.csv").write_text("case_id,hospital_id,scheme,discharge_date,group_id,total_cost,ffs_fund\n"
                                        "C1,H9,employee,2024-01-01,G1,-5,1\n", encoding="utf-8")
    (tmp_path / "fund.csv").write_text("scheme,prior_expenditure,prior_revenue,revenue_growth\nemployee,1,1,0.05\n",
                                       encoding="utf-8")
    at = _run(tmp_path, monkeypatch)
    assert not at.exception
    assert at.error and "cases.csv" in at.error[0].value
