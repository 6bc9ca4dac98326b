"""The texts of charts and exports live in dip_model (dip_model/report/locales), not in the dashboard:
every key the report code names, as a constant or computed, is in that catalogue in both languages with
the same placeholders; the catalogue is read from dip_model alone and holds nothing else. The keys are
read from the sources (every call of t / has / label_of in a module that imports labels), so a new report
text put in ui/locales fails here."""
import ast
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from dip_model import yamlio
from dip_model.analysis.bands import band_parts
from dip_model.data.schema import LEVEL_WORDS, SCHEME_WORDS
from dip_model.params import load_params
from dip_model.report import charts, hospital_workbook, labels, statements, workbook
from dip_model.report.scenario import INTERPRETATIONS, KEY_FIGURES
from dip_model.rules.case_scores import CASE_TYPES
from dip_model.rules.explain import UNITS

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "dip_model"
UI_LOCALES = ROOT / "ui" / "locales"
# functions whose first argument is a catalogue key: labels.t, labels.has, and scenario.label_of
KEY_FUNCTIONS = {"t", "has", "label_of"}

SCHEMES = sorted(set(SCHEME_WORDS.values()))          # the schemes a dataset can hold
MONEY_UNITS = ("yuan", "wan")                          # Scenario.unit, the charts' `unit`, labels.scale
# projection_chart's `key`: the series of pages/projection.py (SERIES); the report draws months_of_payment
PROJECTION_SERIES = ("settlement_point_value", "total_final_payment", "fund_closing_balance", "months_of_payment")


def _ui_keys(lang: str) -> set[str]:
    out: set[str] = set()
    for path in (UI_LOCALES / lang).glob("*.yaml"):
        with open(path, encoding="utf-8") as f:
            out |= set(yamlio.safe_load(f) or {})
    return out


def _choice_keys() -> set[str]:
    """choice_text's key for every choice of every interpretation: choice_<id>_<value> where a text of
    that name exists (in either catalogue), else choice_<value>."""
    p = load_params()
    anywhere = set(labels.catalog("zh")) | _ui_keys("zh")
    out = set()
    for ident in INTERPRETATIONS:
        path = "coefficients.combine" if ident == "I-5" else f"interpretations.{ident}"
        for value in p.info(path).get("choices") or []:
            specific = f"choice_{ident}_{value}"
            out.add(specific if specific in anywhere else f"choice_{value}")
    return out


# Every call whose key is computed, by (module under dip_model, first argument as written): the keys it
# can name. A computed call not listed here fails the test: list it, with where its values come from.
COMPUTED: dict[tuple[str, str], Iterable[str] | Callable[[], Iterable[str]]] = {
    # charts.py: schemes of Results.summary["schemes"]
    ("report/charts.py", "scheme"): SCHEMES,
    ("report/charts.py", "s"): SCHEMES,
    ("report/charts.py", "schemes[0]"): SCHEMES,
    ("report/charts.py", "f'ovw_wf_{key}'"): [f"ovw_wf_{k}" for k in charts.WATERFALL_LINES],
    ("report/charts.py", "'ovw_axis_money_' + unit"): [f"ovw_axis_money_{u}" for u in MONEY_UNITS],
    ("report/charts.py", "f'hb_unit_{unit}'"): [f"hb_unit_{u}" for u in MONEY_UNITS],
    ("report/charts.py", "f'fnd_l_{key}'"): [f"fnd_l_{k}" for k in charts.SPEND],
    ("report/charts.py", "'fnd_axis_money_' + unit"): [f"fnd_axis_money_{u}" for u in MONEY_UNITS],
    ("report/charts.py", "f'prj_chart_{key}'"): [f"prj_chart_{k}" for k in PROJECTION_SERIES],
    # labels.py: band_text (band_parts' kinds), level_text (the data contract's levels), choice_text
    ("report/labels.py", "f'hb_band_{kind}'"): [f"hb_band_{band_parts(b)[0]}"
                                                 for b in ("under_70", "70_90", "over_100")],
    ("report/labels.py", "f'hb_level_{v}'"): [f"hb_level_{v}" for v in sorted(set(LEVEL_WORDS.values()))],
    ("report/labels.py", "key"): _choice_keys,
    # scenario.py: KEY_FIGURES' label keys, schemes; label_of's key is its caller's (scanned as label_of)
    ("report/scenario.py", "label"): [label for *_, label in KEY_FIGURES],
    ("report/scenario.py", "s"): SCHEMES,
    ("report/scenario.py", "key"): [],
    # statements.py: schemes, case types (TYPES), score buckets (BUCKETS)
    ("report/statements.py", "s"): SCHEMES,
    ("report/statements.py", "f'gc_type_{k}'"): [f"gc_type_{k}" for kinds in statements.TYPES for k in kinds],
    ("report/statements.py", "f'hsp_in_{key}'"): [f"hsp_in_{k}" for k, _ in statements.BUCKETS],
    # workbook.py: schemes, HOSPITAL_MONEY columns without a heading of their own in _hospitals, the kinds of
    # KEY_FIGURES, CASE_TYPES, and the units of Results.explain's steps (explain.UNITS)
    ("report/workbook.py", "s"): SCHEMES,
    ("report/workbook.py", "r['scheme']"): SCHEMES,
    ("report/workbook.py", "f'hsp_col_{c}'"): [f"hsp_col_{c}" for c in workbook.HOSPITAL_MONEY
                                               if c not in ("ffs_fund", "pay_before_cap")],
    ("report/workbook.py", 'f"ovw_unit_{r[\'kind\']}"'): [f"ovw_unit_{kind}" for _, kind, _, _ in KEY_FIGURES],
    ("report/workbook.py", "f'gc_type_{k}'"): [f"gc_type_{k}" for k in CASE_TYPES],
    ("report/workbook.py", "f'hb_u_{step.unit}'"): [f"hb_u_{u}" for u in UNITS],
    # hospital_workbook.py: a heading per column of HEADED (hv_col_<column>, or its HEADING_KEYS entry)
    ("report/hospital_workbook.py", "HEADING_KEYS.get(c, f'hv_col_{c}')"):
        [hospital_workbook.HEADING_KEYS.get(c, f"hv_col_{c}") for c in hospital_workbook.HEADED],
}


def _uses_labels(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and ((node.module or "").endswith("labels")
                                                 or any(a.name == "labels" for a in node.names)):
            return True
        if isinstance(node, ast.Import) and any(a.name.endswith(".labels") for a in node.names):
            return True
    return False


def key_calls() -> tuple[set[str], dict[tuple[str, str], list[int]]]:
    """(constant keys, computed calls as (module, argument) -> lines) of every t / has / label_of call in
    labels.py and in every module of dip_model that imports it."""
    constant: set[str] = set()
    computed: dict[tuple[str, str], list[int]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if path != PACKAGE / "report" / "labels.py" and not _uses_labels(tree):
            continue
        rel = path.relative_to(PACKAGE).as_posix()
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
            if name not in KEY_FUNCTIONS:
                continue
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                constant.add(arg.value)
            else:
                computed.setdefault((rel, ast.unparse(arg)), []).append(node.lineno)
    return constant, computed


def used_keys() -> set[str]:
    constant, computed = key_calls()
    out = set(constant)
    for site in computed:
        keys = COMPUTED.get(site, [])
        out |= set(keys() if callable(keys) else keys)
    return out


def test_every_computed_key_is_accounted_for():
    _, computed = key_calls()
    unknown = {f"{mod}:{lines[0]} t({arg}, …)" for (mod, arg), lines in computed.items() if (mod, arg) not in COMPUTED}
    assert not unknown, f"computed keys: list what they can be in COMPUTED of {Path(__file__).name}: {sorted(unknown)}"
    stale = set(COMPUTED) - set(computed)
    assert not stale, f"COMPUTED lists calls that are gone: {sorted(stale)}"


@pytest.mark.parametrize("lang", labels.LANGS)
def test_every_key_the_reports_use_is_in_the_dip_model_catalogue(lang):
    cat = labels.catalog(lang)
    missing = sorted(used_keys() - set(cat))
    in_ui = [k for k in missing if k in _ui_keys(lang)]
    assert not missing, (f"not in dip_model/report/locales/{lang}: {missing}"
                         + (f"; move these from ui/locales/{lang}: {in_ui}" if in_ui else ""))


def test_the_dip_model_catalogue_holds_only_report_texts():
    unused = sorted(set(labels.catalog("zh")) - used_keys())
    assert not unused, f"no report code uses these; they belong in ui/locales: {unused}"


def test_the_dip_model_catalogue_has_the_same_keys_and_placeholders_in_both_languages():
    zh, en = labels.catalog("zh"), labels.catalog("en")
    assert set(zh) == set(en), f"only zh: {sorted(set(zh) - set(en))}; only en: {sorted(set(en) - set(zh))}"
    fields = lambda text: set(re.findall(r"{(\w+)", str(text)))     # noqa: E731
    assert [k for k in zh if fields(zh[k]) != fields(en[k])] == []


def test_labels_reads_only_dip_model():
    source = (PACKAGE / "report" / "labels.py").read_text(encoding="utf-8")
    assert "ui/locales" not in source and '"ui"' not in source and "'ui'" not in source
    assert labels.LOCALES.resolve().is_relative_to(PACKAGE)
    files = sorted(labels.LOCALES.glob("*/*.yaml"))
    assert {p.parent.name for p in files} == set(labels.LANGS)
    for lang in labels.LANGS:
        keys: set[str] = set()
        for path in (labels.LOCALES / lang).glob("*.yaml"):
            with open(path, encoding="utf-8") as f:
                keys |= set(yamlio.safe_load(f) or {})
        assert set(labels.catalog(lang)) == keys


def test_a_key_defined_twice_is_refused(tmp_path):
    import dip_model
    for name, text in (("a.yaml", "x: one\n"), ("b.yaml", "x: two\n")):
        (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(dip_model.DipError, match="b.yaml"):
        labels.read_folder(tmp_path, "here")
    with pytest.raises(dip_model.DipError, match="a.yaml"):
        labels.read_folder(tmp_path, "here", {"x": "zero"})
    with pytest.raises(dip_model.DipError, match="none"):
        labels.read_folder(tmp_path / "none", "there/none")
