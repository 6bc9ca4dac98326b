"""The bureau's published tables as a hospital receives them (dip_model/data/importer/published.py): the
disease-group catalogue 病种分值目录 and the prior-year cost per group and level 各级别次均费用, in CSV (UTF-8 or
GBK) or XLSX with a title above the header, Chinese headers and words (核心病种 / 综合病种 / 基层病种, 是 / 否),
the level costs as columns of the catalogue (one per level), or a table of their own, long or wide. Each is
checked row by row (a bad cell is rejected with its file, row, column and value, the others used), reported
in quality.json, and a file in an unknown layout is refused before anything is written.

The published files are made from the session's synthetic city (tests/conftest.py), so what they become must
be the city's own catalogue.csv and group_level_costs.csv, and a hospital folder imported with them must
settle exactly as the same hospital cut out of the city (tests/hospitalkit.py)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import dip_model
from dip_model.cli.main import main
from dip_model.data.importer import CATALOGUE_REJECTED, LEVEL_COSTS_REJECTED, MappingError, run_import
from dip_model.data.importer.mapping import Mapping
from dip_model.data.importer.published import inspect_side, read_catalogue, read_level_costs
from dip_model.data.load import folder_mode

LEVEL_NAMES = {"3A": "三级甲等", "3B": "三级乙等", "2A": "二级甲等", "2B": "二级乙等", "1": "一级"}
SHORT_NAMES = {"3A": "三甲", "3B": "三乙", "2A": "二甲", "2B": "二乙", "1": "一级"}
TITLE = "泸州市2024年度DIP病种分值目录库"


def city_tables(city: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    cat = pd.read_csv(city / "catalogue.csv", dtype=str, keep_default_na=False)
    lc = pd.read_csv(city / "group_level_costs.csv", dtype=str, keep_default_na=False)
    return cat, lc


def published_catalogue(city: Path, wide_costs: bool = True) -> pd.DataFrame:
    """The city's catalogue as the bureau publishes it: Chinese headers and words, a row number, the TCM flag,
    and (wide_costs) the level costs as one column per level."""
    cat, lc = city_tables(city)
    tcm = cat["tcm_standard"] != ""
    pub = pd.DataFrame({
        "序号": np.arange(1, len(cat) + 1), "病种编码": cat["group_id"], "病种名称": cat["name"],
        "病种类型": np.where(cat["group_type"] == "core", np.where(cat["grassroots"] == "true", "基层病种", "核心病种"),
                         "综合病种"),
        "分值": cat["rw"], "基层病种": np.where(cat["grassroots"] == "true", "是", "否"),
        "中医优势病种": np.where(tcm, "是", "否"), "中医优势病种支付标准": cat["tcm_standard"]})
    if wide_costs:
        wide = lc.pivot(index="group_id", columns="level", values="mean_cost")
        for level, word in LEVEL_NAMES.items():
            pub[f"{word}次均费用"] = cat["group_id"].map(wide[level]).fillna("") if level in wide else ""
    return pub


def long_costs(city: Path) -> pd.DataFrame:
    _, lc = city_tables(city)
    return pd.DataFrame({"病种编码": lc["group_id"], "医院等级": lc["level"].map(SHORT_NAMES), "次均费用": lc["mean_cost"]})


def write_csv(df: pd.DataFrame, path: Path, encoding: str) -> Path:
    path.write_bytes(df.to_csv(index=False).encode(encoding))
    return path


def write_xlsx(df: pd.DataFrame, path: Path, title: str | None = TITLE) -> Path:
    with pd.ExcelWriter(path) as xw:
        if title:
            pd.DataFrame([[title]]).to_excel(xw, index=False, header=False)
        df.to_excel(xw, index=False, startrow=2 if title else 0)
    return path


def assert_catalogue_is_the_citys(table: pd.DataFrame, city: Path) -> None:
    cat, _ = city_tables(city)
    got = table.set_index("group_id")
    want = cat.set_index("group_id")
    assert list(got.index) == list(want.index)
    assert (got["group_type"] == want["group_type"]).all() and (got["name"] == want["name"]).all()
    assert (got["rw"].to_numpy(float) == want["rw"].astype(float).to_numpy()).all()            # exact
    assert (got["grassroots"].astype(bool) == (want["grassroots"] == "true")).all()
    std = pd.to_numeric(want["tcm_standard"].replace("", np.nan))
    assert got["tcm_standard"].fillna(-1).to_numpy(float).tolist() == std.fillna(-1).tolist()
    assert (got["category"] == "normal").all() and (got["policy_factor"] == 1.0).all()


def assert_level_costs_are_the_citys(table: pd.DataFrame, city: Path) -> None:
    _, lc = city_tables(city)
    got = {(g, lv): float(c) for g, lv, c in table[["group_id", "level", "mean_cost"]].itertuples(index=False)}
    want = {(g, lv): float(c) for g, lv, c in lc[["group_id", "level", "mean_cost"]].itertuples(index=False)}
    assert got == want


# ---------------------------------------------------------------- reading the published catalogue
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_a_csv_catalogue_with_chinese_headers(city, tmp_path, encoding):
    path = write_csv(published_catalogue(city), tmp_path / "病种分值目录.csv", encoding)
    imp = read_catalogue(path)
    assert_catalogue_is_the_citys(imp.table, city)
    r = imp.report
    assert r["file"] == "病种分值目录.csv" and r["kind"] == "csv" and r["header_row"] == 1
    assert r["encoding"] == ("gb18030" if encoding == "gbk" else encoding)
    assert r["mapped"] == {"病种编码": "group_id", "病种名称": "name", "病种类型": "group_type", "分值": "rw",
                           "基层病种": "grassroots", "中医优势病种": "tcm_advantage",
                           "中医优势病种支付标准": "tcm_standard"}
    assert r["ignored"] == ["序号"]
    assert r["level_cost_columns"] == {f"{w}次均费用": lv for lv, w in LEVEL_NAMES.items()}
    assert (r["rows_read"], r["rows_used"], r["rows_rejected"]) == (700, 700, 0)
    cat, _ = city_tables(city)
    assert r["groups"] == {"total": 700, "core": int((cat["group_type"] == "core").sum()),
                           "comprehensive": int((cat["group_type"] == "comprehensive").sum()),
                           "grassroots": int((cat["grassroots"] == "true").sum()),
                           "tcm_standard": int((cat["tcm_standard"] != "").sum()), "monitored": 0, "ambiguous": 0}
    assert r["tcm_without_standard"] == 0 and imp.notes == []
    assert imp.table["tcm_advantage"].tolist() == (cat["tcm_standard"] != "").tolist()


def test_an_xlsx_catalogue_with_a_title_above_the_header(city, tmp_path):
    imp = read_catalogue(write_xlsx(published_catalogue(city), tmp_path / "目录.xlsx"))
    assert_catalogue_is_the_citys(imp.table, city)
    assert imp.report["kind"] == "excel" and imp.report["header_row"] == 3
    info = inspect_side(tmp_path / "目录.xlsx", "catalogue")
    assert info["missing"] == [] and info["mapped"]["分值"] == "rw" and info["header_row"] == 3
    assert info["level_cost_columns"] == {f"{w}次均费用": lv for lv, w in LEVEL_NAMES.items()}


@pytest.mark.parametrize("words", [("核心", "综合"), ("核心组", "综合组"), ("core", "comprehensive")])
def test_type_and_yes_no_words(tmp_path, words):
    path = write_csv(pd.DataFrame({"病种代码": ["G1", "G2", "G3"], "病种分值": [1000, 500, 300],
                                   "病种类别": [words[0], words[1], "基层病种"], "是否基层病种": ["否", "n", ""],
                                   "监管类别": ["正常", "监管组", "歧义"]}), tmp_path / "c.csv", "utf-8")
    t = read_catalogue(path).table.set_index("group_id")
    assert t["group_type"].tolist() == ["core", "comprehensive", "core"]
    assert t["grassroots"].tolist() == [False, False, True]                     # 基层病种 as a type word
    assert t["category"].tolist() == ["normal", "monitored", "ambiguous"]


def test_without_a_type_column_the_type_is_read_from_the_code(tmp_path):
    path = write_csv(pd.DataFrame({"病种编码": ["K80.1|51.23", "K80|comp|surgical"], "分值": [1200, 900]}),
                     tmp_path / "c.csv", "utf-8")
    imp = read_catalogue(path)
    assert imp.table["group_type"].tolist() == ["core", "comprehensive"]
    assert [n[0] for n in imp.notes] == ["catalogue_type_inferred"]


def test_scores_that_look_like_relative_weights_are_warned(tmp_path):
    path = write_csv(pd.DataFrame({"病种编码": ["G1", "G2"], "分值": [1.2, 0.8]}), tmp_path / "c.csv", "utf-8")
    notes = {n[0]: n[2] for n in read_catalogue(path).notes}
    assert notes["catalogue_scores_small"]["median"] == pytest.approx(1.0)


def test_tcm_groups_without_a_standard_are_warned(tmp_path):
    path = write_csv(pd.DataFrame({"病种编码": ["G1", "G2"], "分值": [1000, 800], "中医优势病种": ["是", "否"]}),
                     tmp_path / "c.csv", "utf-8")
    imp = read_catalogue(path)
    assert imp.report["tcm_without_standard"] == 1
    assert ("catalogue_tcm_without_standard", "warning", {"file": "c.csv", "groups": 1}) in imp.notes


# ---------------------------------------------------------------- level costs, wide and long
def test_level_costs_as_columns_of_the_catalogue(city, tmp_path):
    imp = read_level_costs(write_csv(published_catalogue(city), tmp_path / "目录.csv", "gbk"))
    assert_level_costs_are_the_citys(imp.table, city)
    r = imp.report
    assert r["layout"] == "wide" and r["mapped"] == {"病种编码": "group_id"} and r["rows_rejected"] == 0
    assert r["cells_read"] == r["rows_used"] == len(city_tables(city)[1])


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_level_costs_in_long_form(city, tmp_path, form):
    df = long_costs(city)
    path = write_csv(df, tmp_path / "次均费用.csv", "gbk") if form == "csv" else write_xlsx(df, tmp_path / "次均费用.xlsx")
    cat_ids = pd.Index(city_tables(city)[0]["group_id"][:-5])                  # five groups left out
    imp = read_level_costs(path, cat_ids)
    assert_level_costs_are_the_citys(imp.table, city)
    assert imp.report["layout"] == "long" and imp.report["mapped"] == {"病种编码": "group_id", "医院等级": "level",
                                                                        "次均费用": "mean_cost"}
    outside = int((~imp.table["group_id"].isin(cat_ids)).sum())
    assert outside > 0 and imp.report["not_in_catalogue"] == outside
    assert ("level_costs_unknown_groups", "warning", {"file": path.name, "rows": outside}) in imp.notes


def test_level_costs_in_a_wide_table_of_their_own(city, tmp_path):
    pub = published_catalogue(city)
    wide = pub[["病种编码"] + [c for c in pub.columns if c.endswith("次均费用")]]
    wide.columns = ["病种编码"] + [f"{SHORT_NAMES[lv]}医院" for lv in LEVEL_NAMES]   # 三甲医院, 二甲医院 …
    imp = read_level_costs(write_xlsx(wide, tmp_path / "w.xlsx", title=None))
    assert_level_costs_are_the_citys(imp.table, city)
    assert imp.report["wide_levels"] == {f"{SHORT_NAMES[lv]}医院": lv for lv in LEVEL_NAMES}


# ---------------------------------------------------------------- a bad cell: file, row, column, value
def test_bad_rows_are_rejected_with_file_row_column_and_value(tmp_path):
    path = write_csv(pd.DataFrame({
        "病种编码": ["G1", "G2", "G3", "G1", "G4", "G5", ""],
        "病种名称": ["甲", "乙", "丙", "甲2", "丁", "戊", ""],
        "病种类型": ["核心病种", "综合病种", "特殊病种", "核心病种", "基层病种", "核心病种", ""],
        "分值": ["1000", "abc", "500", "900", "300", "-5", ""],
        "基层病种": ["否", "否", "是", "否", "", "可能", ""],
        "三级甲等次均费用": ["10000", "8000", "", "", "3000", "x", ""]}), tmp_path / "目录.csv", "gbk")
    imp = read_catalogue(path, lang="zh")
    assert imp.table["group_id"].tolist() == ["G1", "G4"]
    rej = imp.rejected.set_index("source_row")
    assert rej.index.tolist() == ["3", "4", "5", "7"]                             # file rows (header = 1)
    assert (rej["source_file"] == "目录.csv").all()
    assert rej.at["3", "reasons"] == "分值 (rw)：不是数字：“abc”"
    assert rej.at["4", "reasons"].startswith("病种类型 (group_type)：无法识别的病种类型“特殊病种”")
    assert rej.at["5", "reasons"] == "病种编码 (group_id)：group_id 重复：“G1”"
    assert "分值 (rw)：必须大于 0：-5" in rej.at["7", "reasons"] and "基层病种 (grassroots)" in rej.at["7", "reasons"]
    assert rej.at["3", "分值"] == "abc"                                         # the row as read
    r = imp.report
    assert (r["rows_read"], r["rows_used"], r["rows_rejected"], r["rows_blank"]) == (7, 2, 4, 1)
    assert {x["rule"]: x["rows"] for x in r["rejected_by_rule"]} == {
        "rw: not a number": 1, "rw: must be greater than 0": 1, "group_id: duplicate group_id": 1,
        "group_type: unknown value (expected comprehensive, core)": 1,
        "grassroots: not a yes/no value (true/false, 1/0, yes/no, 是/否)": 1}
    assert ("catalogue_rows_rejected", "warning", {"file": "目录.csv", "rows": 4}) in imp.notes
    en = read_catalogue(path).rejected.set_index("source_row")
    assert en.at["3", "reasons"] == "分值 (rw): not a number: 'abc'"
    costs = read_level_costs(path, lang="en")                               # the wide cost cell names its column
    bad = costs.rejected.set_index("source_row")
    assert bad.at["7", "reasons"] == "三级甲等次均费用 (mean_cost): not a number: 'x'"
    assert costs.table["group_id"].tolist() == ["G1", "G2", "G4"]                 # empty cost cells: no row


# ---------------------------------------------------------------- an unknown layout is refused
def test_an_unknown_layout_is_refused_naming_the_file_and_its_columns(tmp_path):
    path = write_csv(pd.DataFrame({"编码": ["G1"], "名称": ["甲"], "权重": [1.2]}), tmp_path / "目录.csv", "utf-8")
    with pytest.raises(MappingError) as err:
        read_catalogue(path)
    assert str(err.value).startswith("目录.csv: not a disease-group catalogue in a layout this tool knows: no column "
                                     "recognised for group_id, rw")
    assert "the columns found are 编码, 名称, 权重" in str(err.value)
    assert "文件中的列为 编码、名称、权重" in err.value.text("zh")
    with pytest.raises(MappingError) as err:
        read_level_costs(path)
    assert "目录.csv: not a level-cost table" in str(err.value) and "编码, 名称, 权重" in str(err.value)
    m = Mapping.from_dict({"catalogue": {"columns": {"编码": "group_id", "权重": "rw"}}})
    assert read_catalogue(path, mapping=m).table["rw"].tolist() == [1.2]     # a mapping names the columns


def test_an_empty_file_is_refused(tmp_path):
    (tmp_path / "空.csv").write_text("", encoding="utf-8")
    with pytest.raises(dip_model.DipError) as err:
        read_catalogue(tmp_path / "空.csv")
    assert "空.csv" in str(err.value)


# ---------------------------------------------------------------- the import: a hospital folder that settles
@pytest.fixture(scope="module")
def cut(city, tmp_path_factory):
    """The city's largest hospital cut out of it (tests/hospitalkit.py), its run, and the published figures."""
    from hospitalkit import hospital_folder
    city_res = dip_model.simulate(dip_model.load_data(city), dip_model.load_params())
    hid = str(city_res.hospitals.groupby("hospital_id")["cases"].sum().idxmax())
    folder, published = hospital_folder(city, city_res, [hid], tmp_path_factory.mktemp("cut"))
    res = dip_model.simulate(dip_model.load_data(folder), dip_model.load_params(published))
    return folder, published, res


def same_results(a, b) -> None:
    ha, hb = a.hospitals.set_index("scheme"), b.hospitals.set_index("scheme")
    for c in ("total_score", "score_fund", "usage_rate", "final_payment", "monthly_prepaid", "year_end_settlement"):
        assert (ha[c] == hb[c]).all(), c


@pytest.mark.parametrize("form", ["csv-gbk", "xlsx"])
def test_a_hospitals_import_with_the_published_catalogue_settles_as_its_city_figures(city, cut, tmp_path, form):
    folder, published, want = cut
    pub = published_catalogue(city)
    path = (write_csv(pub, tmp_path / "病种分值目录.csv", "gbk") if form == "csv-gbk"
            else write_xlsx(pub, tmp_path / "病种分值目录.xlsx"))
    res = run_import([folder / "cases.csv"], tmp_path / "out", hospitals=folder / "hospitals.csv", catalogue=path,
                     hospital=True)
    out = res.out
    assert sorted(p.name for p in out.iterdir()) == ["cases.csv", "catalogue.csv", "group_level_costs.csv",
                                                     "hospitals.csv", "mapping.yaml", "outliers.csv", "quality.json",
                                                     "rejected_rows.csv"]
    assert_catalogue_is_the_citys(pd.read_csv(out / "catalogue.csv", keep_default_na=False,
                                              na_values=[""]).astype({"group_id": str}), city)
    assert_level_costs_are_the_citys(pd.read_csv(out / "group_level_costs.csv", dtype={"level": str}), city)
    q = json.loads((out / "quality.json").read_text(encoding="utf-8"))
    assert q["catalogue"]["rows_used"] == 700 and q["level_costs"]["layout"] == "wide"
    assert q["level_costs"]["file"] == path.name and q["derived"]["catalogue"] == "given"
    assert q["grouping_rate"] is not None and q["grouping_rate"] > 0.95
    problems, _ = dip_model.validate(out)
    assert problems == [] and folder_mode(out) == "hospital"
    shutil.copyfile(folder / "aux.csv", out / "aux.csv")              # published beside the catalogue
    got = dip_model.simulate(dip_model.load_data(out), dip_model.load_params(published))
    assert got.mode == "hospital"
    same_results(got, want)
    saved = Mapping.load(out / "mapping.yaml")
    assert saved.side["catalogue"]["分值"] == "rw" and saved.side["catalogue"]["序号"] == ""


def test_a_level_cost_file_wins_over_the_catalogues_columns(city, tmp_path):
    pub = published_catalogue(city)
    cat = write_csv(pub, tmp_path / "目录.csv", "utf-8")
    costs = write_csv(long_costs(city).iloc[:100], tmp_path / "次均费用.csv", "utf-8")
    export = tmp_path / "e.csv"
    export.write_text("结算ID,医疗机构编码,险种类型,出院日期,病种编码,医疗总费用,统筹基金支付\n"
                      f"S1,H1,职工,2024-01-09,{pub['病种编码'][0]},9000,4500\n", encoding="utf-8")
    q = run_import([export], tmp_path / "out", catalogue=cat, level_costs=costs, hospital=True).quality
    assert q["level_costs"]["file"] == "次均费用.csv" and q["level_costs"]["rows_used"] == 100
    assert len(pd.read_csv(tmp_path / "out" / "group_level_costs.csv")) == 100
    assert set(q["catalogue"]["ignored"]) == {"序号", *q["catalogue"]["level_cost_columns"]}


def test_a_refused_catalogue_leaves_the_output_folder_untouched(city, cut, tmp_path):
    folder, _, _ = cut
    good = write_csv(published_catalogue(city), tmp_path / "目录.csv", "utf-8")
    out = tmp_path / "out"
    run_import([folder / "cases.csv"], out, hospitals=folder / "hospitals.csv", catalogue=good, hospital=True)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    odd = write_csv(pd.DataFrame({"编码": ["G1"], "权重": [1.2]}), tmp_path / "odd.csv", "utf-8")
    for kw in ({"catalogue": odd}, {"catalogue": good, "level_costs": odd}):
        with pytest.raises(MappingError, match="odd.csv"):
            run_import([folder / "cases.csv"], out, hospitals=folder / "hospitals.csv", hospital=True, **kw)
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []
    with pytest.raises(MappingError):
        run_import([folder / "cases.csv"], tmp_path / "new", catalogue=odd, hospital=True)
    assert not (tmp_path / "new").exists()


# ---------------------------------------------------------------- the command line
def test_the_import_command_takes_the_published_files(city, cut, tmp_path, capsys):
    folder, published, want = cut
    pub = published_catalogue(city, wide_costs=False)
    cat = write_xlsx(pub, tmp_path / "病种分值目录.xlsx")
    costs = write_csv(long_costs(city), tmp_path / "各级别次均费用.csv", "gbk")
    out = tmp_path / "data"
    code = main(["import", str(folder / "cases.csv"), "--out", str(out), "--hospital-folder",
                 "--hospitals", str(folder / "hospitals.csv"), "--catalogue", str(cat), "--level-costs", str(costs)])
    assert code == 0
    printed = capsys.readouterr()
    assert "catalogue 病种分值目录.xlsx: 700 of 700 groups used, 0 rejected (listed in rejected_catalogue_rows.csv)" \
        in printed.out
    assert "level costs 各级别次均费用.csv (long): " in printed.out
    assert not (out / "fund.csv").exists() and (out / "group_level_costs.csv").exists()
    shutil.copyfile(folder / "aux.csv", out / "aux.csv")
    params = tmp_path / "published.yaml"
    params.write_text(yaml.safe_dump(json.loads(json.dumps(published, default=float)), allow_unicode=True),
                      encoding="utf-8")
    assert main(["run", "--data", str(out), "--params", str(params), "--out", str(tmp_path / "res")]) == 0
    h = pd.read_csv(tmp_path / "res" / "hospitals.csv", encoding="utf-8-sig").set_index("scheme")
    for s, row in want.hospitals.set_index("scheme").iterrows():
        assert h.at[s, "year_end_settlement"] == pytest.approx(row["year_end_settlement"], rel=1e-12)


def test_the_import_command_refuses_an_unknown_layout(cut, tmp_path, capsys):
    folder, _, _ = cut
    odd = write_csv(pd.DataFrame({"编码": ["G1"], "权重": [1.2]}), tmp_path / "odd.csv", "utf-8")
    code = main(["import", str(folder / "cases.csv"), "--out", str(tmp_path / "data"), "--hospital-folder",
                 "--catalogue", str(odd), "--lang", "zh"])
    assert code == 2
    err = capsys.readouterr().err
    assert "错误：odd.csv：不是可识别格式的病种目录" in err and "文件中的列为 编码、权重" in err
    assert not (tmp_path / "data").exists()


def test_rejected_catalogue_rows_are_written_beside_the_folder(cut, tmp_path, capsys):
    folder, _, _ = cut
    cat = pd.read_csv(folder / "catalogue.csv", dtype=str, keep_default_na=False)
    cat.loc[3, "rw"] = "abc"
    bad = write_csv(cat.rename(columns={"group_id": "病种编码", "rw": "分值"}), tmp_path / "目录.csv", "utf-8")
    out = tmp_path / "data"
    assert main(["import", str(folder / "cases.csv"), "--out", str(out), "--hospital-folder",
                 "--catalogue", str(bad)]) == 0
    printed = capsys.readouterr()
    assert "699 of 700 groups used, 1 rejected" in printed.out
    assert "目录.csv: 1 catalogue row(s) rejected (listed in rejected_catalogue_rows.csv)" in printed.err
    rej = pd.read_csv(out / CATALOGUE_REJECTED, dtype=str, encoding="utf-8-sig")
    assert rej[["source_file", "source_row", "reasons"]].values.tolist() == [["目录.csv", "5",
                                                                            "分值 (rw): not a number: 'abc'"]]
    assert not (out / LEVEL_COSTS_REJECTED).exists()
