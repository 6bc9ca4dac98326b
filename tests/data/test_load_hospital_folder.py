"""Reading a hospital folder (docs/data-contract.md, "Hospital folders"): its mode, what it needs, the cases'
groups against the catalogue, the optional case columns department, doctor and readmission_elsewhere, and
the import of a hospital's own export."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import dip_model
from citykit import case, hospital, params, write_city, write_table
from dip_model.data.importer import run_import
from dip_model.data.importer.mapping import recognise
from dip_model.data.load import folder_mode, validate
from dip_model.data.store import Store
from dip_model.errors import InputError

PUBLISHED = {"point_value": {"given": {"employee": 12.0, "resident": 11.0}}}


def folder(tmp_path: Path, cases=None, fund=None, **tables) -> Path:
    """A hospital folder of the tiny city (citykit): H1, its cases, the catalogue and level costs."""
    cases = cases or [case("C1", "H1", "G1", 9000), case("C2", "H1", "G2", 4000, scheme="resident")]
    return write_city(tmp_path / "data", [hospital("H1")], cases, fund=fund, **tables)


def test_the_mode_of_a_folder(tmp_path):
    hosp = folder(tmp_path / "h")
    city = write_city(tmp_path / "c", [hospital("H1")], [case("C1", "H1", "G1", 9000)])
    assert folder_mode(hosp) == "hospital" and dip_model.load_data(hosp).mode == "hospital"
    assert folder_mode(city) == "city" and dip_model.load_data(city).mode == "city"
    assert dip_model.load_data(hosp).fund is None


def test_a_hospital_folder_validates_cleanly(tmp_path):
    problems, warnings = validate(folder(tmp_path))
    assert problems == [] and warnings == []


def test_a_hospital_folder_needs_the_catalogue(tmp_path):
    problems, _ = validate(folder(tmp_path, catalogue=None))
    assert [(p.file, p.row, p.column) for p in problems] == [("catalogue.csv", None, None)]
    assert "a hospital folder (no fund.csv) needs the bureau's published catalogue" in str(problems[0])
    assert "医院数据（无 fund.csv）须提供医保局公布的病种目录库" in problems[0].text("zh")


def test_history_in_a_hospital_folder_is_not_used(tmp_path):
    hist = [case("H23-1", "H1", "G1", 50000, date="2023-05-01")]
    data = dip_model.load_data(folder(tmp_path, history=hist))
    assert data.history is None
    assert [w.key for w in data.warnings] == ["history_ignored_hospital"]
    # M comes from the parameters, not from the (ignored) history: citykit's 10 000
    res = dip_model.simulate(data, params(PUBLISHED))
    assert res.stage.ref.mean_cost == 10000.0


# ---------------------------------------------------------------- the cases' groups against the catalogue
def test_no_case_in_the_catalogue_is_a_problem(tmp_path):
    cases = [case("C1", "H1", "X1", 9000), case("C2", "H1", "X2", 4000), case("C3", "H1", None, 100, dx_code="Q99.9")]
    problems, _ = validate(folder(tmp_path, cases))
    p = next(p for p in problems if p.column == "group_id")
    assert (p.file, p.row, p.count, p.rows) == ("cases.csv", 2, 3, (2, 3, 4))
    assert str(p).startswith("cases.csv, row 2, column group_id: no case's group is in catalogue.csv (3 case(s)")
    with pytest.raises(InputError):
        dip_model.load_data(folder(tmp_path, cases))


def test_cases_outside_the_catalogue_are_counted_in_a_hospital_folder(tmp_path):
    cases = [case("C1", "H1", "G1", 9000), case("C2", "H1", "X2", 4000), case("C3", "H1", "G2", 4000),
             case("C4", "H1", "G9", 4000)]
    problems, warnings = validate(folder(tmp_path, cases))
    assert problems == []
    assert [str(w) for w in warnings] == [
        "cases.csv, row 3, column group_id: 2 of 4 case(s) (50.0%) have a group not in catalogue.csv: each scores "
        "as an unmatched case (A-21); the codes most often not found: X2, G9 (2 rows in all; rows 3, 5)"]
    assert warnings[0].text("zh").startswith("cases.csv 第 3 行，列 group_id：4 例中有 2 例（50.0%）的病种不在 catalogue.csv 中")


def test_a_city_folder_warns_only_when_most_groups_are_unknown(tmp_path):
    few = [case("C1", "H1", "G1", 9000), case("C2", "H1", "G9", 4000), case("C3", "H1", "G2", 4000)]
    most = [case("C1", "H1", "G1", 9000), case("C2", "H1", "G8", 4000), case("C3", "H1", "G9", 4000)]
    city = [hospital("H1")]
    assert validate(write_city(tmp_path / "few", city, few))[1] == []          # A-21 scores a few new groups
    _, warnings = validate(write_city(tmp_path / "most", city, most))
    assert len(warnings) == 1 and "2 of 3 case(s) (66.7%) have a group not in catalogue.csv" in warnings[0]


def test_cases_grouped_from_their_diagnosis_match(tmp_path):
    cat = [{"group_id": "K80.1|51.23", "group_type": "core", "rw": 1350},
           {"group_id": "J18|comp|conservative", "group_type": "comprehensive", "rw": 500}]
    cases = [case("C1", "H1", None, 9000, dx_code="K80.1", proc_codes="51.23"),
             case("C2", "H1", None, 5000, dx_code="J18.0"),
             case("C3", "H1", None, 5000, dx_code="Z00.0")]
    _, warnings = validate(folder(tmp_path, cases, catalogue=cat, level_costs=None))
    assert len(warnings) == 1
    assert "1 of 3 case(s) (33.3%) have a group not in catalogue.csv" in warnings[0] and warnings[0].endswith("Z00.0")


# ---------------------------------------------------------------- department, doctor, readmission_elsewhere
def test_department_and_doctor_are_carried_to_the_results(tmp_path):
    cases = [case("C1", "H1", "G1", 9000, department="普外科", doctor="D017"),
             case("C2", "H1", "G2", 4000, scheme="resident", department="呼吸内科")]
    res = dip_model.simulate(dip_model.load_data(folder(tmp_path, cases)), params(PUBLISHED))
    c = res.cases.set_index("case_id")
    assert c.loc["C1", "department"] == "普外科" and c.loc["C1", "doctor"] == "D017"
    assert c.loc["C2", "department"] == "呼吸内科" and c.loc["C2", "doctor"] is None


def test_without_them_the_columns_are_empty(tmp_path):
    res = dip_model.simulate(dip_model.load_data(folder(tmp_path)), params(PUBLISHED))
    assert res.cases["department"].isna().all() and res.cases["doctor"].isna().all()


def test_readmission_elsewhere_strips_grassroots_treatment(tmp_path):
    """G4 is a grassroots group (RW 300): kept it scores 300 whatever K; flagged, it is a core case, 0.8 × 300
    at a 2A hospital (R = 3 000 / 3 000 = 1, normal). C3 is the scheme's one special case (A-20)."""
    cases = [case("C1", "H1", "G4", 3000), case("C2", "H1", "G4", 3000, readmission_elsewhere=True),
             case("C3", "H1", "G1", 30000)]
    res = dip_model.simulate(dip_model.load_data(write_city(tmp_path / "d", [hospital("H1", "2A", 2)], cases,
                                                            fund=None)), params(PUBLISHED))
    c = res.cases.set_index("case_id")
    assert (c.loc["C1", "case_type"], c.loc["C1", "weighted_score"]) == ("grassroots", 300.0)
    assert (c.loc["C2", "case_type"], c.loc["C2", "weighted_score"]) == ("normal", 240.0)
    assert bool(c.loc["C2", "lost_grassroots"]) and not bool(c.loc["C1", "lost_grassroots"])


def test_a_hospital_folder_through_the_store(tmp_path):
    store = Store(tmp_path / "dip.duckdb")
    data = store.load_dataset(store.save_dataset(dip_model.load_data(folder(tmp_path)), "一院"))
    assert data.mode == "hospital" and data.fund is None
    assert dip_model.simulate(data, params(PUBLISHED)).summary["schemes"]["employee"]["settlement_point_value"] == 12.0


# ---------------------------------------------------------------- import
def test_department_and_doctor_headers_are_recognised():
    got = recognise(["结算ID", "出院科别", "主诊医师", "入院科别"])
    assert got == {"结算ID": "case_id", "出院科别": "department", "主诊医师": "doctor", "入院科别": ""}
    for header, target in (("科室", "department"), ("出院科室", "department"), ("主治医师", "doctor"),
                           ("主诊医生", "doctor")):
        assert recognise([header]) == {header: target}


def test_a_hospitals_own_export_imports_into_a_hospital_folder(tmp_path):
    export = tmp_path / "export.csv"
    export.write_text("结算ID,医疗机构编码,医院等级,险种类型,出院日期,病种编码,医疗总费用,统筹基金支付,科室,主治医师\n"
                      "S1,H1,三级甲等,职工基本医疗保险,2024-01-09,G1,9000,4500,普外科,李医生\n"
                      "S2,H1,三级甲等,城乡居民基本医疗保险,2024-02-09,G2,4000,2000,呼吸内科,王医生\n",
                      encoding="utf-8")
    cat = tmp_path / "catalogue.csv"
    write_table(cat, [{"group_id": "G1", "group_type": "core", "rw": 1000},
                      {"group_id": "G2", "group_type": "core", "rw": 500}])
    res = run_import([export], tmp_path / "out", catalogue=cat, hospital=True)
    assert not (res.out / "fund.csv").exists()
    assert res.quality["derived"]["fund"] == "none"
    assert "hospital_folder" in [n["code"] for n in res.quality["notes"]]
    cases = pd.read_csv(res.out / "cases.csv", dtype=str)
    assert cases["department"].tolist() == ["普外科", "呼吸内科"] and cases["doctor"].tolist() == ["李医生", "王医生"]
    data = dip_model.load_data(res.out)
    assert data.mode == "hospital"
    out = dip_model.simulate(data, params(PUBLISHED)).cases.set_index("case_id")
    assert out.loc["S1", "department"] == "普外科"
    # without the flag the import writes the city's fund template, as before
    city = run_import([export], tmp_path / "out2", catalogue=cat)
    assert (city.out / "fund.csv").exists() and city.quality["derived"]["fund"] == "template"
