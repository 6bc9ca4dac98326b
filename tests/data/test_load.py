"""dip_model.data.load: reading, normalising and checking a data folder."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dip_model.errors import InputError
from dip_model.data.load import load_data, validate

HERE = Path(__file__).resolve().parents[1]             # tests/
EXAMPLE_ROOTS = [HERE / "examples"]
EXAMPLES = next((sorted(p for p in r.iterdir() if (p / "data").is_dir())
                 for r in EXAMPLE_ROOTS if r.is_dir()), [])

# A small valid folder; tests override single files.
BASE = {
    "hospitals.csv": "hospital_id,name,level,reimb_level,assessment_score\n"
                     "H1,市第一人民医院,3A,3,90\n"
                     "H2,纳溪区人民医院,2A,2,\n",
    "cases.csv": "case_id,hospital_id,scheme,discharge_date,admit_date,group_id,total_cost,ffs_fund\n"
                 "C1,H1,employee,2024-01-15,2024-01-10,G1,12500,9000\n"
                 "C2,H2,resident,2024/02/10,,G2,6000,4000\n"
                 "C3,H1,employee,2024-03-01,2024-02-25,G1,11000,8000\n",
    "fund.csv": "scheme,revenue,prior_revenue,revenue_growth\n"
                "employee,1000,900,\n"
                "resident,,1800,0.05\n",
    "catalogue.csv": "group_id,group_type,rw\nG1,core,1000\nG2,comprehensive,500\n",
    "group_level_costs.csv": "group_id,level,mean_cost\nG1,3A,12000\nG2,2A,4500\n",
}


def make(tmp_path: Path, encoding: str = "utf-8", **files) -> Path:
    """Write BASE with overrides (name_csv=text; None drops the file)."""
    folder = tmp_path / "data"
    folder.mkdir(parents=True, exist_ok=True)
    content = dict(BASE)
    content.update({k.replace("_csv", ".csv"): v for k, v in files.items()})
    for name, text in content.items():
        if text is not None:
            (folder / name).write_text(text, encoding=encoding)
    return folder


def problems_of(folder: Path):
    with pytest.raises(InputError) as err:
        load_data(folder)
    return err.value.problems


def one(problems, file, column):
    hits = [p for p in problems if p.file == file and p.column == column]
    assert hits, f"no problem for {file}/{column} in {[str(p) for p in problems]}"
    return hits[0]


# ---------------------------------------------------------------- good folders
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_examples_load(example):
    ds = load_data(example / "data")
    assert len(ds.cases) > 0 and len(ds.hospitals) > 0
    assert ds.warnings == []


def test_examples_found():
    assert EXAMPLES, "no example folders found"


def test_normalised_dtypes_and_defaults(tmp_path):
    ds = load_data(make(tmp_path))
    h, c, f, cat = ds.hospitals, ds.cases, ds.fund, ds.catalogue
    assert isinstance(c.index, pd.RangeIndex) and isinstance(h.index, pd.RangeIndex)
    assert h["reimb_level"].dtype == np.int64
    assert h["assessment_max"].tolist() == [100.0, 100.0]
    assert h["assessment_score"].tolist() == [90.0, 100.0]          # default = max
    assert h["type"].tolist() == ["general", "general"]
    assert h["is_new"].dtype == bool and not h["is_new"].any()
    assert h["prev_level"].dtype == object and h["prev_level"].isna().all()
    assert h["key_specialty_city"].dtype == np.int64
    assert c["discharge_date"].dtype == "datetime64[ns]"
    assert c["discharge_date"][1] == pd.Timestamp("2024-02-10")    # YYYY/MM/DD
    assert pd.isna(c["admit_date"][1])
    assert c["ffs_amount"].tolist() == c["total_cost"].tolist()
    assert c["other_insurance"].eq(0).all() and c["self_pay"].isna().all()
    assert c["qc_pass"].all() and not c["transferred"].any()
    assert c["group_id"].dtype == object and c["dx_code"].tolist() == [None] * 3
    assert f["revenue"].dtype == np.float64 and np.isnan(f["revenue"][1])
    assert np.isnan(f["opening_balance"]).all()                     # not given -> NaN
    assert cat["policy_factor"].eq(1).all() and cat["category"].eq("normal").all()
    assert ds.history is None and ds.aux is None
    assert len(ds.version) == 64 and ds.source == str(tmp_path / "data")
    for table in (h, c, f, cat, ds.group_level_costs):
        assert_settable(table)


def test_extra_columns_kept_and_ids_stripped(tmp_path):
    cases = ("case_id,hospital_id,scheme,discharge_date,group_id,total_cost,ffs_fund,note\n"
             " C1 , H1 , Employee ,2024-01-15,G1,100,50,hello\n")
    ds = load_data(make(tmp_path, cases_csv=cases))
    assert ds.cases["case_id"][0] == "C1" and ds.cases["hospital_id"][0] == "H1"
    assert ds.cases["scheme"][0] == "employee"
    assert ds.cases["note"][0] == "hello"


def test_booleans_in_all_spellings(tmp_path):
    hospitals = ("hospital_id,level,reimb_level,is_new,suspended,fraud_penalized\n"
                 "H1,3A,3,是,TRUE,1\nH2,2A,2,否,False,no\n")
    h = load_data(make(tmp_path, hospitals_csv=hospitals)).hospitals
    assert h["is_new"].tolist() == [True, False]
    assert h["suspended"].tolist() == [True, False]
    assert h["fraud_penalized"].tolist() == [True, False]


def test_gbk_csv_with_chinese_text(tmp_path):
    hospitals = "hospital_id,name,district,level,reimb_level\nH1,泸州市人民医院,江阳区,三级甲等,3\n" \
                "H2,纳溪区人民医院,纳溪区,2A,2\n"
    cases = BASE["cases.csv"].replace("employee", "职工").replace("resident", "居民")
    folder = make(tmp_path, encoding="gbk", hospitals_csv=hospitals, cases_csv=cases)
    ds = load_data(folder)
    assert ds.hospitals["name"][0] == "泸州市人民医院"
    assert ds.hospitals["district"][0] == "江阳区"
    assert ds.hospitals["level"][0] == "3A"
    assert ds.cases["scheme"].tolist() == ["employee", "resident", "employee"]


def test_utf8_bom(tmp_path):
    folder = make(tmp_path, encoding="utf-8-sig")
    ds = load_data(folder)
    assert ds.hospitals.columns[0] == "hospital_id"
    assert ds.hospitals["name"][0] == "市第一人民医院"


def test_xlsx_and_parquet_variants(tmp_path):
    folder = make(tmp_path, hospitals_csv=None, cases_csv=None)
    pd.DataFrame({"hospital_id": ["H1", "H2"], "name": ["甲医院", "乙医院"], "level": ["3A", "2A"],
                  "reimb_level": [3, 2], "is_new": [True, False],
                  "level_change_date": [pd.Timestamp("2024-05-15"), None],
                  "prev_level": ["3B", None]}).to_excel(folder / "hospitals.xlsx", index=False)
    pd.DataFrame({"case_id": [1, 2], "hospital_id": ["H1", "H2"], "scheme": ["employee", "resident"],
                  "discharge_date": pd.to_datetime(["2024-01-15", "2024-02-10"]),
                  "group_id": ["G1", "G2"], "total_cost": [12500.0, 6000.0],
                  "ffs_fund": [9000, 4000], "qc_pass": [True, False]}).to_parquet(folder / "cases.parquet")
    ds = load_data(folder)
    h, c = ds.hospitals, ds.cases
    assert h["reimb_level"].tolist() == [3, 2] and h["name"].tolist() == ["甲医院", "乙医院"]
    assert h["is_new"].tolist() == [True, False]
    assert h["level_change_date"][0] == pd.Timestamp("2024-05-15") and h["prev_level"][0] == "3B"
    assert c["case_id"].tolist() == ["1", "2"]
    assert c["ffs_fund"].dtype == np.float64 and c["qc_pass"].tolist() == [True, False]
    assert c["discharge_date"].dtype == "datetime64[ns]"


def test_parquet_preferred_over_csv_with_warning(tmp_path):
    folder = make(tmp_path, aux_csv="aux_type,aux_coef\nfrom_csv,0.1\n")
    pd.DataFrame({"aux_type": ["from_parquet"], "aux_coef": [0.2]}).to_parquet(folder / "aux.parquet")
    ds = load_data(folder)
    assert ds.aux["aux_type"].tolist() == ["from_parquet"]
    assert any("aux.csv" in w for w in ds.warnings)


def test_history_unknown_hospital_is_a_warning(tmp_path):
    history = BASE["cases.csv"].replace("C2,H2", "C2,H9")
    ds = load_data(make(tmp_path, history_csv=history))
    assert len(ds.history) == 3 and "H9" in set(ds.history["hospital_id"])
    assert any("history.csv" in w and "H9" in w for w in ds.warnings)


def test_version_follows_content(tmp_path):
    a = load_data(make(tmp_path)).version
    assert load_data(tmp_path / "data").version == a
    (tmp_path / "data" / "fund.csv").write_text(BASE["fund.csv"].replace("1000", "1001"))
    assert load_data(tmp_path / "data").version != a


# ---------------------------------------------------------------- bad folders
def _cases(*rows: str, header="case_id,hospital_id,scheme,discharge_date,admit_date,group_id,"
                              "total_cost,ffs_fund,qc_pass") -> str:
    return header + "\n" + "\n".join(rows) + "\n"


GOOD = "C1,H1,employee,2024-01-15,2024-01-10,G1,100,50,true"
HOSP = "hospital_id,level,reimb_level,assessment_score,assessment_max,level_change_date,prev_level\n"

BAD = [  # (id, files, file, row, column, words in the message)
    ("missing column", {"hospitals_csv": "hospital_id,level\nH1,3A\n"},
     "hospitals.csv", None, "reimb_level", "missing"),
    ("no group_id or dx_code", {"cases_csv": "case_id,hospital_id,scheme,discharge_date,total_cost,"
                                             "ffs_fund\nC1,H1,employee,2024-01-15,100,50\n"},
     "cases.csv", None, "group_id", "dx_code"),
    ("not a number", {"cases_csv": _cases(GOOD, "C2,H1,employee,2024-01-15,,G1,abc,50,true")},
     "cases.csv", 3, "total_cost", "abc"),
    ("bad boolean", {"cases_csv": _cases(GOOD, "C2,H1,employee,2024-01-15,,G1,100,50,maybe")},
     "cases.csv", 3, "qc_pass", "maybe"),
    ("impossible date", {"cases_csv": _cases("C1,H1,employee,2024-02-30,,G1,100,50,true")},
     "cases.csv", 2, "discharge_date", "2024-02-30"),
    ("negative cost", {"cases_csv": _cases(GOOD, GOOD.replace("C1", "C2").replace(",100,50", ",-5,0"))},
     "cases.csv", 3, "total_cost", "-5"),
    ("ffs_fund > total_cost", {"cases_csv": _cases(GOOD.replace(",100,50", ",100,150"))},
     "cases.csv", 2, "ffs_fund", "150"),
    ("admit after discharge", {"cases_csv": _cases(GOOD.replace("2024-01-10", "2024-01-20"))},
     "cases.csv", 2, "admit_date", "2024-01-20"),
    ("unknown hospital", {"cases_csv": _cases(GOOD, GOOD.replace("C1,H1", "C2,H7"))},
     "cases.csv", 3, "hospital_id", "H7"),
    ("duplicate case_id", {"cases_csv": _cases(GOOD, GOOD)}, "cases.csv", 3, "case_id", "C1"),
    ("duplicate hospital_id", {"hospitals_csv": "hospital_id,level,reimb_level\nH1,3A,3\nH2,2A,2\n"
                                                "H1,3A,3\n"}, "hospitals.csv", 4, "hospital_id", "H1"),
    ("duplicate group_id", {"catalogue_csv": "group_id,group_type,rw\nG1,core,1\nG1,core,2\n"},
     "catalogue.csv", 3, "group_id", "G1"),
    ("duplicate scheme", {"fund_csv": "scheme,revenue\nemployee,1\nresident,2\nemployee,3\n"},
     "fund.csv", 4, "scheme", "employee"),
    ("unknown scheme", {"cases_csv": _cases(GOOD.replace("employee", "farmer"))},
     "cases.csv", 2, "scheme", "farmer"),
    ("reimb_level out of range", {"hospitals_csv": HOSP + "H1,3A,4,,,,\nH2,2A,2,,,,\n"},
     "hospitals.csv", 2, "reimb_level", "4"),
    ("unknown group_type", {"catalogue_csv": "group_id,group_type,rw\nG1,core,1\nG2,special,2\n"},
     "catalogue.csv", 3, "group_type", "special"),
    ("score above max", {"hospitals_csv": HOSP + "H1,3A,3,95,90,,\nH2,2A,2,,,,\n"},
     "hospitals.csv", 2, "assessment_score", "95"),
    ("negative score", {"hospitals_csv": HOSP + "H1,3A,3,,,,\nH2,2A,2,-1,,,\n"},
     "hospitals.csv", 3, "assessment_score", "-1"),
    ("rw not positive", {"catalogue_csv": "group_id,group_type,rw\nG1,core,1\nG2,core,0\n"},
     "catalogue.csv", 3, "rw", "0"),
    ("no revenue", {"fund_csv": "scheme,revenue,revenue_growth\nemployee,1,\nresident,,\n"},
     "fund.csv", 3, "revenue", "revenue"),
    ("level change without prev_level", {"hospitals_csv": HOSP + "H1,3A,3,,,2024-05-01,\nH2,2A,2,,,,\n"},
     "hospitals.csv", 2, "prev_level", "prev_level"),
    ("scheme without fund row", {"fund_csv": "scheme,revenue\nemployee,1\n"},
     "fund.csv", None, "scheme", "resident"),
    ("missing value", {"cases_csv": _cases(GOOD, "C2,,employee,2024-01-15,,G1,100,50,true")},
     "cases.csv", 3, "hospital_id", "missing"),
    ("malformed row", {"cases_csv": _cases(GOOD, GOOD.replace("C1", "C2") + ",extra")},
     "cases.csv", 3, None, "Expected 9 fields"),
    ("missing file", {"hospitals_csv": None}, "hospitals.csv", None, None, "missing"),
    ("no catalogue nor history", {"catalogue_csv": None}, "catalogue.csv", None, None, "history"),
    ("hospital folder without catalogue", {"fund_csv": None, "catalogue_csv": None}, "catalogue.csv", None, None,
     "hospital folder"),
    ("no case in the catalogue", {"catalogue_csv": "group_id,group_type,rw\nX1,core,1\n"},
     "cases.csv", 2, "group_id", "no case's group"),
]


@pytest.mark.parametrize("files,file,row,column,words", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input(tmp_path, files, file, row, column, words):
    folder = make(tmp_path, **files)
    p = one(problems_of(folder), file, column)
    assert p.row == row
    assert words in p.message


def test_undecodable_file(tmp_path):
    folder = make(tmp_path)
    (folder / "hospitals.csv").write_bytes(b"hospital_id,level,reimb_level\nH1,\xff\xfe,3\n")
    p = one(problems_of(folder), "hospitals.csv", None)
    assert "UTF-8" in p.message and p.row == 2


def test_one_problem_per_rule_with_rows(tmp_path):
    rows = [GOOD.replace("C1", f"C{i}").replace(",100,", ",x,") for i in range(1, 13)]
    problems = problems_of(make(tmp_path, cases_csv=_cases(*rows)))
    p = one(problems, "cases.csv", "total_cost")
    assert (p.row, p.count, p.rows[:3]) == (2, 12, (2, 3, 4))
    assert len([q for q in problems if q.column == "total_cost"]) == 1


def test_validate_collects_everything_without_raising(tmp_path):
    folder = make(tmp_path, hospitals_csv="hospital_id,level\nH1,3A\n",
                  cases_csv=_cases(GOOD.replace("100,50", "-1,50")))
    problems, warnings = validate(folder)
    assert {p.file for p in problems} == {"hospitals.csv", "cases.csv"}
    assert validate(tmp_path / "nowhere")[0][0].message == "data folder not found"
    assert validate(make(tmp_path / "ok")) == ([], [])


# ---------------------------------------------------------------- large tables
# Tables above 100k rows take the fast paths (Arrow casts, encoded text, parallel columns,
# hashed duplicate test); a problem there must still name its row, column and text.
BIG = 120_000
BIG_HEADER = "case_id,hospital_id,scheme,discharge_date,admit_date,group_id,total_cost,ffs_fund,qc_pass,patient_id"


def _big_rows(ids=lambda i: f"C{i:07d}") -> list[list[str]]:
    return [[ids(i), f"H{1 + i % 2}", "resident" if i % 3 == 0 else "employee", "2024-01-15",
             "2024-01-10", f"G{1 + i % 2}", f"{100 + i % 97}.5", "50", "true", f"P{i:07d}"]
            for i in range(BIG)]


def _big(tmp_path, edits=(), ids=lambda i: f"C{i:07d}") -> Path:
    """A large valid cases.csv; `edits` = (row number in the file, column, text)."""
    rows = _big_rows(ids)
    cols = BIG_HEADER.split(",")
    for row, column, text in edits:
        rows[row - 2][cols.index(column)] = text
    return make(tmp_path, cases_csv=_cases(*(",".join(r) for r in rows), header=BIG_HEADER))


def test_large_table_loads_with_the_normalised_types(tmp_path):
    c = load_data(_big(tmp_path, [(9, "total_cost", " 70 "), (10, "qc_pass", "否"),
                                  (11, "discharge_date", "2024/1/16"), (12, "scheme", " 职工 "),
                                  (13, "group_id", ""), (14, "patient_id", "  ")])).cases
    assert len(c) == BIG and isinstance(c.index, pd.RangeIndex)
    assert c["total_cost"].dtype == np.float64 and c["total_cost"][7] == 70.0
    assert c["qc_pass"].dtype == bool and not c["qc_pass"][8] and c["qc_pass"][9]
    assert c["discharge_date"].dtype == "datetime64[ns]"
    assert c["discharge_date"][9] == pd.Timestamp("2024-01-16")
    assert c["scheme"].dtype == "str" and c["scheme"][10] == "employee" and c["scheme"][0] == "resident"
    assert c["case_id"].dtype == "str" and c["case_id"][BIG - 1] == f"C{BIG - 1:07d}"
    assert c["group_id"].dtype == object and c["group_id"][11] is None and c["group_id"][0] == "G1"
    assert c["patient_id"].dtype == object and c["patient_id"][12] is None
    assert c["patient_id"][0] == "P0000000" and type(c["patient_id"][0]) is str
    assert c["ffs_amount"].equals(c["total_cost"]) and c["other_insurance"].eq(0).all()
    assert_settable(c)


def assert_settable(df: pd.DataFrame):
    """The engine may set values in the tables: no column may be a read-only view."""
    for col in df.columns:
        df.loc[0, col] = df[col].iloc[1]
        assert df[col].iloc[0] == df[col].iloc[1] or pd.isna(df[col].iloc[0]), col


LARGE_BAD = [  # (id, edits, row, column, words in the message)
    ("negative", [(BIG - 5, "total_cost", "-5.5")], BIG - 5, "total_cost", "negative value: -5.5"),
    ("negative with spaces", [(70_000, "total_cost", " -5.5 ")], 70_000, "total_cost", "negative value: -5.5"),
    ("not a number", [(3, "ffs_fund", "nan")], 3, "ffs_fund", "'nan'"),
    ("impossible date", [(80_000, "discharge_date", "2024-02-30")], 80_000, "discharge_date",
     "'2024-02-30'"),
    ("bad boolean", [(90_000, "qc_pass", "maybe")], 90_000, "qc_pass", "'maybe'"),
    ("unknown scheme", [(5, "scheme", "farmer")], 5, "scheme", "'farmer'"),
    ("missing hospital", [(100_000, "hospital_id", " ")], 100_000, "hospital_id", "missing"),
    ("ffs_fund > total_cost", [(50_000, "ffs_fund", "999")], 50_000, "ffs_fund", "999"),
    ("admit after discharge", [(60_000, "admit_date", "2024-02-01")], 60_000, "admit_date",
     "2024-02-01"),
    ("duplicate case_id", [(100_002, "case_id", "C0000007")], 100_002, "case_id", "C0000007"),
    ("duplicate after stripping", [(100_003, "case_id", " C0000007")], 100_003, "case_id",
     "C0000007"),
]


@pytest.mark.parametrize("edits,row,column,words", [b[1:] for b in LARGE_BAD],
                         ids=[b[0] for b in LARGE_BAD])
def test_large_table_problems_name_row_column_and_text(tmp_path, edits, row, column, words):
    p = one(problems_of(_big(tmp_path, edits)), "cases.csv", column)
    assert (p.row, p.count) == (row, 1)
    assert words in p.message


def test_large_table_duplicates_with_ids_of_any_length(tmp_path):
    folder = _big(tmp_path, [(BIG, "case_id", "C17")], ids=lambda i: f"C{i}")
    p = one(problems_of(folder), "cases.csv", "case_id")
    assert (p.row, p.count, p.message) == (BIG, 1, "duplicate case_id 'C17'")
    assert validate(_big(tmp_path / "ok", ids=lambda i: f"C{i}")) == ([], [])


def test_version_is_sha256_of_file_names_and_bytes(tmp_path):
    folder = make(tmp_path)
    h = hashlib.sha256()
    for name in ("hospitals.csv", "cases.csv", "fund.csv", "catalogue.csv", "group_level_costs.csv"):
        h.update(name.encode() + b"\0" + (folder / name).read_bytes())
    assert load_data(folder).version == h.hexdigest()
