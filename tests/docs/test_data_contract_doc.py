"""docs/data-contract.md agrees with the code it documents.

The document's layout is what these tests read:
- section "## 2. Input files" has one heading per input file, "### `NAME.csv` — …", and under it a table
  whose first column holds the column name in backticks and whose other columns include `type`,
  `required`, `default` and `allowed values` (and `import headers` for the files the importer feeds);
  the file's example is the ```csv block under the same heading;
- section "## 3. Importing …" has the table of an export's hospital columns under a heading with
  "export" in it, and the table of translated values;
- section "## 4. The parameter file" has one ```yaml example;
- section "## 5. The results folder" has one heading per written file ("### `NAME.csv`" /
  "### `summary.json`") with a table whose first column names the column or field (several names in one
  cell share the row).
A cell may hold `\\|` for a literal "|" (group keys such as K80.1|51.23).
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

import dip_model
from dip_model.data.files import SUFFIXES
from dip_model.data.load import validate
from dip_model.data.schema import BOOL_WORDS, TABLES
from dip_model.errors import ParameterError, Problem
from dip_model.data.importer.mapping import BUILTIN, builtin, fold
from dip_model.data.importer.side import HOSPITAL_HEADERS
from dip_model.messages import Message, Template
from dip_model.data.synth import write_city

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-contract.md"
FILE_HEADING = re.compile(r"^`(\w+)\.(csv|json)`")
TYPES = {"text": "text", "opt": "text", "float": "number", "int": "integer", "bool": "yes/no", "date": "date"}
RESULT_FILES = {"summary.json", "hospitals.csv", "cases.csv", "monthly.csv"}


# ---------------------------------------------------------------- reading the document
def _cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", inner)]


def names(cell: str) -> list[str]:
    """The names in backticks of a cell."""
    return re.findall(r"`([^`]+)`", cell)


def parse(text: str) -> dict:
    """{(h2, h3): {"tables": [[{header: cell}]], "blocks": [(lang, text)], "text": str}}."""
    out: dict = {}
    h2 = h3 = ""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):
            h2, h3 = line[3:].strip(), ""
        elif line.startswith("### "):
            h3 = line[4:].strip()
        part = out.setdefault((h2, h3), {"tables": [], "blocks": [], "text": ""})
        if line.startswith("```"):
            lang, body = line[3:].strip(), []
            i += 1
            while not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            part["blocks"].append((lang, "\n".join(body) + "\n"))
        elif line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(_cells(lines[i]))
                i += 1
            header = rows[0]
            part["tables"].append([dict(zip(header, r)) for r in rows[2:]])
            continue
        part["text"] += line + "\n"
        i += 1
    return out


@pytest.fixture(scope="module")
def doc() -> dict:
    return parse(DOC.read_text(encoding="utf-8"))


def section(doc: dict, h2_part: str) -> dict:
    """The subsections (h3 -> part) of the h2 section whose title contains `h2_part`."""
    hits = {h3: part for (h2, h3), part in doc.items() if h2_part.lower() in h2.lower()}
    assert hits, f"no section '{h2_part}' in {DOC.name}"
    return hits


def file_sections(doc: dict, h2_part: str) -> dict:
    """file name ('hospitals.csv') -> its part, for the file headings of one h2 section."""
    out = {}
    for h3, part in section(doc, h2_part).items():
        m = FILE_HEADING.match(h3)
        if m:
            assert f"{m[1]}.{m[2]}" not in out, f"{m[1]}.{m[2]} documented twice under '{h2_part}'"
            out[f"{m[1]}.{m[2]}"] = part
    return out


def column_table(part: dict, where: str) -> dict[str, dict]:
    """Column name -> its row, from the first table whose first header is 'column' or 'field'."""
    for table in part["tables"]:
        if table and next(iter(table[0])) in ("column", "field"):
            rows = {}
            for row in table:
                first = next(iter(row.values()))
                found = names(first)
                assert found, f"{where}: a row without a column name in backticks: {first!r}"
                for n in found:
                    assert n not in rows, f"{where}: column '{n}' documented twice"
                    rows[n] = row
            return rows
    raise AssertionError(f"{where}: no column table")


@pytest.fixture(scope="module")
def inputs(doc) -> dict[str, dict[str, dict]]:
    files = file_sections(doc, "Input files")
    return {name: column_table(part, name) for name, part in files.items()}


# ---------------------------------------------------------------- input columns
def test_every_input_file_is_documented_once(inputs):
    assert set(inputs) == {f"{t.name}.csv" for t in TABLES}


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_input_columns_are_the_readers(inputs, table):
    rows = inputs[f"{table.name}.csv"]
    known = {c.name for c in table.cols}
    assert set(rows) - known == set(), f"{table.name}.csv: documented but not read"
    assert known - set(rows) == set(), f"{table.name}.csv: read but not documented"


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_input_column_rules_agree_with_the_reader(inputs, table):
    rows = inputs[f"{table.name}.csv"]
    for col in table.cols:
        row, where = rows[col.name], f"{table.name}.csv, {col.name}"
        need = row["required"].split()[0]
        assert need in ("required", "optional"), f"{where}: required is {row['required']!r}"
        assert (need == "required") == col.need, f"{where}: documented {need}, the reader says need={col.need}"
        assert row["type"] == TYPES[col.kind], f"{where}: type {row['type']!r}, the reader's kind is {col.kind}"
        if col.need:
            assert row["default"] == "—", f"{where}: a required column has no default"
        elif col.default is not None:
            assert names(row["default"])[:1] == [_literal(col.default)], \
                f"{where}: default {row['default']!r}, the reader fills {col.default!r}"
        allowed = row["allowed values"]
        if col.words:
            spelled = {n.lower() for n in names(allowed)}
            assert spelled == set(col.words), \
                f"{where}: spellings documented {sorted(spelled)} != accepted {sorted(col.words)}"
            assert ("kept" in allowed) == (not col.strict), f"{where}: unknown values are " + \
                ("warned and kept" if not col.strict else "problems")
        if col.low:
            assert ("≥ 0" if col.low == "nonneg" else "> 0") in allowed, f"{where}: bound {col.low} not stated"
        if col.span:
            assert f"{col.span[0]}–{col.span[1]}" in allowed, f"{where}: range {col.span} not stated"
        if col.kind == "bool":
            assert "yes/no" in allowed


def _literal(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return '""' if v == "" else str(v)


def test_files_at_a_glance(doc):
    part = section(doc, "The data folder")[""]
    table = next(t for t in part["tables"] if t and next(iter(t[0])) == "file")
    listed = {names(r["file"])[0]: r for r in table}
    assert set(listed) == {t.name for t in TABLES}
    for t in TABLES:
        assert (listed[t.name]["needed"] == "always") == t.needed, t.name
        for key in t.unique:
            assert f"`{key}`" in listed[t.name]["identified by"], (t.name, key)


def test_general_rules_name_the_readers_choices(doc):
    text = "".join(p["text"] for p in section(doc, "The data folder").values())
    for word in BOOL_WORDS:
        assert f"`{word}`" in text, f"yes/no spelling {word!r} not documented"
    spelled = {".parquet": "Parquet", ".csv": "CSV", ".xlsx": "XLSX"}
    preference = "**" + ", ".join(spelled[s] for s in SUFFIXES) + "**"
    assert preference in text, f"the preference order {preference} is not stated"
    for enc in ("UTF-8", "GB18030"):
        assert enc in text


def test_a_problem_reads_as_documented(doc):
    """The example error lines are what the command line prints for such a problem."""
    text = section(doc, "The data folder")["How problems are reported"]["text"]
    p = Problem("cases.csv", Template("negative_value").fill("-5"), row=12, column="total_cost")
    for lang in ("en", "zh"):
        assert Message("cli_error", message=p).text(lang) in text


# ---------------------------------------------------------------- import headers
def _mapping_headers() -> dict[str, list[str]]:
    with open(BUILTIN, encoding="utf-8") as f:
        return {t: [str(h) for h in hs] for t, hs in yaml.safe_load(f)["headers"].items()}


def _documented_headers(rows: dict[str, dict], where: str) -> dict[str, set[str]]:
    out = {}
    for col, row in rows.items():
        assert "import headers" in row, f"{where}: no 'import headers' column"
        out[col] = set(names(row["import headers"]))
    return out


@pytest.fixture(scope="module")
def import_headers(doc, inputs) -> dict[str, set[str]]:
    """Contract column -> the export headers documented for it (cases.csv and an export's hospital columns)."""
    hosp = [part for h3, part in section(doc, "Importing").items() if "export" in h3.lower()]
    assert len(hosp) == 1, "no single heading on an export's hospital columns in section 3"
    return {**_documented_headers(inputs["cases.csv"], "cases.csv"),
            **_documented_headers(column_table(hosp[0], "export hospital columns"), "export hospital columns")}


def test_every_mapping_header_is_documented(import_headers):
    mapping = _mapping_headers()
    assert set(mapping) <= set(import_headers), f"mapping targets not documented: {set(mapping) - set(import_headers)}"
    for target, headers in mapping.items():
        missing = set(headers) - {target} - import_headers[target]
        assert not missing, f"{target}: headers of the mapping not documented: {sorted(missing)}"


def test_every_documented_header_is_recognised(import_headers):
    mapping = _mapping_headers()
    assert set(import_headers) == set(mapping)
    for target, headers in import_headers.items():
        for h in headers:
            assert h in mapping.get(target, ()), f"{target}: '{h}' is not in import_mapping.yaml"
            assert builtin().aliases[fold(h)][1] == target, f"'{h}' is recognised as another column"


def test_hospital_file_headers_are_the_importers(inputs):
    documented = _documented_headers(inputs["hospitals.csv"], "hospitals.csv")
    for col, headers in documented.items():
        assert headers == set(HOSPITAL_HEADERS.get(col, ())), \
            f"hospitals.csv, {col}: documented {sorted(headers)} != importer {sorted(HOSPITAL_HEADERS.get(col, ()))}"


def test_translated_values_are_documented(doc):
    text = "".join(p["text"] + json.dumps(p["tables"], ensure_ascii=False) for p in section(doc, "Importing").values())
    with open(BUILTIN, encoding="utf-8") as f:
        m = yaml.safe_load(f)
    for target, values in m["values"].items():
        for v in values:
            assert f"`{v}`" in text, f"import value {v!r} of {target} not documented"
    assert "`离院方式`" in text


# ---------------------------------------------------------------- examples
def _examples(doc) -> dict[str, str]:
    out = {}
    for name, part in file_sections(doc, "Input files").items():
        blocks = [body for lang, body in part["blocks"] if lang == "csv"]
        assert len(blocks) == 1, f"{name}: expected one csv example, found {len(blocks)}"
        out[name] = blocks[0]
    return out


@pytest.fixture(scope="module")
def example_folder(doc, inputs, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("contract-example")
    for name, body in _examples(doc).items():
        header = body.splitlines()[0].split(",")
        unknown = set(header) - set(inputs[name])
        assert not unknown, f"{name} example: columns not in the contract: {unknown}"
        (folder / name).write_text(body, encoding="utf-8")
    return folder


def test_examples_validate_cleanly(example_folder):
    problems, warnings = validate(example_folder)
    assert [str(p) for p in problems] == []
    assert [str(w) for w in warnings] == []


def test_examples_settle(example_folder):
    res = dip_model.simulate(dip_model.load_data(example_folder), dip_model.load_params())
    assert set(res.summary["schemes"]) == {"employee", "resident"}
    for s, v in res.summary["schemes"].items():
        assert math.isfinite(v["settlement_point_value"]) and v["settlement_point_value"] > 0, s
    assert [str(w) for w in res.summary["warnings"]] == []
    cases = res.cases.set_index("case_id")
    assert cases.loc["C24002", "group_id"] == "J18.9|conservative"      # grouped from its diagnosis, as the text says
    assert cases.loc["C24005", "case_type"] == "tcm"


def test_parameter_example_loads_and_runs(doc, example_folder):
    blocks = [body for part in section(doc, "parameter file").values() for lang, body in part["blocks"] if lang == "yaml"]
    assert len(blocks) == 1
    params = dip_model.load_params(yaml.safe_load(blocks[0]))
    assert params.get("budget.growth_rate") == 0.06
    res = dip_model.simulate(dip_model.load_data(example_folder), params)
    assert set(res.summary["schemes"]) == {"employee", "resident"}


def test_unknown_parameter_is_refused_as_documented(doc):
    text = "".join(p["text"] for p in section(doc, "parameter file").values())
    with pytest.raises(ParameterError) as err:
        dip_model.load_params({"budget": {"growth": 1}})
    assert f"`{err.value}`" in text


# ---------------------------------------------------------------- results folder
@pytest.fixture(scope="module", params=["example", "synth"])
def written(request, example_folder, tmp_path_factory) -> Path:
    """A results folder written by `run` for the documented examples and for a small synthetic city."""
    if request.param == "example":
        data = example_folder
    else:
        data = tmp_path_factory.mktemp("synth")
        write_city(data, n_cases=2000, seed=1)
    out = tmp_path_factory.mktemp("results") / "out"
    dip_model.write_results(dip_model.simulate(dip_model.load_data(data)), out)
    return out


@pytest.fixture(scope="module")
def results_doc(doc) -> dict[str, dict[str, dict]]:
    return {name: column_table(part, name) for name, part in file_sections(doc, "results folder").items()}


def test_every_results_file_is_documented(results_doc, written):
    assert set(results_doc) == RESULT_FILES == {p.name for p in written.iterdir()}


@pytest.mark.parametrize("name", sorted(RESULT_FILES - {"summary.json"}))
def test_results_columns_are_the_written_ones(results_doc, written, name):
    header = list(pd.read_csv(written / name, nrows=0, dtype=str).columns)
    assert list(results_doc[name]) == header, f"{name}: documented columns (in order) != written"


def test_summary_fields_are_the_written_ones(doc, results_doc, written):
    summary = json.loads((written / "summary.json").read_text(encoding="utf-8"))
    assert set(summary) == {"mode", "schemes", "warnings"}
    text = file_sections(doc, "results folder")["summary.json"]["text"]
    assert '"mode"' in text and '"schemes"' in text and '"warnings"' in text
    for s, fields in summary["schemes"].items():
        assert list(results_doc["summary.json"]) == list(fields), f"{s}: documented fields (in order) != written"


def test_results_rows_state_type_unit_and_article(results_doc):
    for name, rows in results_doc.items():
        for col, row in rows.items():
            for key in ("type", "unit", "meaning", "article"):
                assert row.get(key), f"{name}, {col}: no {key}"
            assert row["type"] in ("text", "number", "integer", "yes/no"), f"{name}, {col}: type {row['type']!r}"
            assert row["article"] == "—" or re.fullmatch(r"[AK]-\d+.*", row["article"]), (name, col, row["article"])


# ---------------------------------------------------------------- the bureau's published tables (section 3)
def _published_spec() -> dict:
    with open(BUILTIN, encoding="utf-8") as f:
        m = yaml.safe_load(f)
    return {"catalogue": m["catalogue"], "level_costs": m["level_costs"]}


@pytest.fixture(scope="module")
def published_doc(doc) -> dict:
    parts = [part for h3, part in section(doc, "Importing").items() if "published catalogue" in h3]
    assert len(parts) == 1, "no single heading on the published catalogue in section 3"
    return parts[0]


def test_published_catalogue_headers_are_the_importers(published_doc):
    spec = _published_spec()["catalogue"]
    rows = column_table(published_doc, "published catalogue")
    assert set(rows) == set(spec["headers"])
    for target, headers in spec["headers"].items():
        documented = set(names(rows[target]["import headers"]))
        assert documented == {str(h) for h in headers} - {target}, target
    words = "".join(json.dumps(t, ensure_ascii=False) for t in published_doc["tables"])
    for target, values in spec["values"].items():
        for v in values:
            assert f"`{v}`" in words, f"published word {v!r} of {target} not documented"
    for w in spec["grassroots_types"]:
        assert f"`{w}`" in rows["group_type"]["published words"]


def test_published_level_cost_headers_and_suffixes_are_documented(published_doc):
    spec = _published_spec()["level_costs"]
    text = published_doc["text"]
    for target, headers in spec["headers"].items():
        for h in headers:
            if h != target and h not in spec["headers"].get("group_id", ()):
                assert f"`{h}`" in text, f"level_costs header {h!r} of {target} not documented"
    for w in spec["wide_suffixes"]:
        assert f"`{w}`" in text, f"wide suffix {w!r} not documented"


def test_the_refused_layout_reads_as_documented(published_doc, tmp_path):
    from dip_model.data.importer import MappingError
    from dip_model.data.importer.published import read_catalogue
    path = tmp_path / "目录.csv"
    path.write_text("编码,名称,权重\nG1,甲,1000\n", encoding="utf-8")
    with pytest.raises(MappingError) as err:
        read_catalogue(path)
    assert f"error: {err.value}" in published_doc["text"]


# ---------------------------------------------------------------- the outlook command (section 7)
OUTLOOK_FILES = {"settlement.csv", "monthly.csv"}


@pytest.fixture(scope="module", params=["city", "hospital"])
def outlook_written(request, example_folder, tmp_path_factory) -> Path:
    """settlement.csv and monthly.csv written for a hospital of the documented example (a city folder) and of
    the same hospital's folder (no fund.csv, its point values given)."""
    from dip_model.analysis.hospital_outlook import outlook, write_outlook
    res = dip_model.simulate(dip_model.load_data(example_folder), dip_model.load_params())
    hid = str(res.hospitals["hospital_id"].iloc[0])
    if request.param == "hospital":
        folder = tmp_path_factory.mktemp("outlook-hospital")
        for f in example_folder.iterdir():
            if f.name != "fund.csv":
                (folder / f.name).write_bytes(f.read_bytes())
        given = {s: v["settlement_point_value"] for s, v in res.summary["schemes"].items()}
        res = dip_model.simulate(dip_model.load_data(folder), dip_model.load_params(
            {"point_value": {"given": given}, "mean_cost_all": res.stage.ref.mean_cost}))
        assert res.mode == "hospital"
    out = tmp_path_factory.mktemp("outlook") / "out"
    write_outlook(outlook(res, hid), out)
    return out


@pytest.fixture(scope="module")
def outlook_doc(doc) -> dict[str, dict[str, dict]]:
    return {name: column_table(part, name) for name, part in file_sections(doc, "outlook").items()}


def test_every_outlook_file_is_documented(outlook_doc, outlook_written):
    assert set(outlook_doc) == OUTLOOK_FILES == {p.name for p in outlook_written.iterdir()}


@pytest.mark.parametrize("name", sorted(OUTLOOK_FILES))
def test_outlook_columns_are_the_written_ones(outlook_doc, outlook_written, name):
    header = list(pd.read_csv(outlook_written / name, nrows=0, dtype=str, encoding="utf-8-sig").columns)
    assert list(outlook_doc[name]) == header, f"{name}: documented columns (in order) != written"
    for col, row in outlook_doc[name].items():
        for key in ("type", "unit", "meaning"):
            assert row.get(key), f"{name}, {col}: no {key}"
