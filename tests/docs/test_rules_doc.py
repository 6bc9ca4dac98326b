"""docs/rules.md against the engine: its worked examples run, its parameter tables match the rule set both
ways, the functions it names exist, every article the code cites has a section, and its interpretation
register matches the rule set and README."""
from __future__ import annotations

import doctest
import importlib
import io
import re
from pathlib import Path

import yaml

from dip_model.rules.articles import articles
from dip_model.params import leaf_info, leaf_paths, load_ruleset

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "rules.md"
README = ROOT / "README.md"

# Articles the code names only in passing (no section of their own in docs/rules.md). Keep it short: an
# article the engine computes gets a section.
MENTIONED_IN_PASSING: set[str] = set()

ARTICLE_HEADING = re.compile(r"^## ([AK]-\d+) (.+)$")
# "<Chinese title> <English title>": the Chinese words (Latin letters may be part of them, as in DIP住院…),
# then an English title without Chinese characters
TITLE = re.compile(r"^\S*[\u4e00-\u9fff]\S*(?: \S*[\u4e00-\u9fff]\S*)* [A-Za-z][^\u4e00-\u9fff]*$")
FENCE = re.compile(r"^```")
FUNC_REF = re.compile(r"`(dip_model/[A-Za-z0-9_/]+)\.py` · `([A-Za-z_][\w.]*)`")
PARAM_HEADER = "| parameter | default | unit | meaning |"
CITE = re.compile(r"\b([AK])-(\d+)\b")


def text() -> str:
    return DOC.read_text(encoding="utf-8")


def sections(doc: str) -> dict[str, str]:
    """'## ' heading line → the section's text up to the next '## ' heading."""
    out: dict[str, str] = {}
    current, lines = None, []
    for line in doc.splitlines():
        if line.startswith("## "):
            if current is not None:
                out[current] = "\n".join(lines)
            current, lines = line, []
        elif current is not None:
            lines.append(line)
    if current is not None:
        out[current] = "\n".join(lines)
    return out


def article_sections(doc: str) -> dict[str, tuple[str, str]]:
    """Article id → (heading title, section text)."""
    out: dict[str, tuple[str, str]] = {}
    for heading, body in sections(doc).items():
        m = ARTICLE_HEADING.match(heading)
        if m:
            assert m.group(1) not in out, f"two sections for {m.group(1)}"
            out[m.group(1)] = (m.group(2), body)
    return out


def python_blocks(doc: str) -> tuple[str, list[tuple[int, str]]]:
    """The doc with everything but the ```python blocks blanked (line numbers kept), and each block."""
    kept, blocks, inside, start, block = [], [], False, 0, []
    for i, line in enumerate(doc.splitlines()):
        if not inside and line.strip() == "```python":
            inside, start, block = True, i + 1, []
            kept.append("")
        elif inside and FENCE.match(line.strip()):
            inside = False
            blocks.append((start, "\n".join(block)))
            kept.append("")
        elif inside:
            block.append(line)
            kept.append(line)
        else:
            kept.append("")
    assert not inside, "an unclosed ```python block"
    return "\n".join(kept) + "\n", blocks


def table_rows(body: str, header: str) -> list[list[str]]:
    """Cells of the rows of every table in `body` whose header line is `header`."""
    rows, in_table = [], False
    for line in body.splitlines():
        if line.strip() == header:
            in_table = True
            continue
        if in_table:
            if not line.startswith("|"):
                in_table = False
                continue
            if set(line.replace("|", "").strip()) <= {"-"}:
                continue
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows


def ticks(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


# --- the worked examples -------------------------------------------------------------------------

def test_worked_examples_give_the_numbers_shown():
    blanked, blocks = python_blocks(text())
    assert len(blocks) >= 35
    for start, block in blocks:
        assert ">>>" in block, f"docs/rules.md line {start}: a python block without >>> examples is never run"
    for i, (line, kept) in enumerate(zip(text().splitlines(), blanked.splitlines()), 1):
        assert not (line.lstrip().startswith(">>>") and not kept), f"docs/rules.md line {i}: an example outside a ```python block is never run"
    test = doctest.DocTestParser().get_doctest(blanked, {"__name__": "docs_rules"}, "docs/rules.md", str(DOC), 0)
    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=0)
    result = runner.run(test, out=out.write)
    assert result.attempted >= 100
    assert result.failed == 0, out.getvalue()


# --- article sections -----------------------------------------------------------------------------

def test_every_article_section_is_complete():
    known = articles()
    secs = article_sections(text())
    assert len(secs) >= 30
    for art, (title, body) in secs.items():
        assert art in known, f"{art}: no such article in rulesets/articles.yaml"
        assert TITLE.match(title), f"{art}: the heading needs the id, the Chinese title, then the English title"
        for part in ("**What it says.**", "**Formula", "**Parameters", "**Implemented in**"):
            assert part in body, f"{art}: missing {part}"
        assert FUNC_REF.search(body.split("**Implemented in**", 1)[1]), f"{art}: no module · function"
        _, blocks = python_blocks(body)
        assert blocks, f"{art}: no worked example"


def code_citations() -> set[str]:
    cited = set()
    for path in (ROOT / "dip_model").rglob("*.py"):
        for doc, n in CITE.findall(path.read_text(encoding="utf-8")):
            cited.add(f"{doc}-{n}")
    return cited


def not_modelled(doc: str) -> set[str]:
    body = sections(doc)["## Articles not modelled"]
    out = set()
    for d1, a, d2, b in re.findall(r"([AK])-(\d+)(?:\s*…\s*([AK])-(\d+))?", body):
        assert not d2 or d2 == d1
        out |= {f"{d1}-{n}" for n in range(int(a), int(b or a) + 1)}
    return out


def test_every_article_cited_in_the_code_has_a_section():
    cited = code_citations()
    assert {"A-19", "A-36", "K-9"} <= cited
    missing = sorted(cited - set(article_sections(text())) - MENTIONED_IN_PASSING)
    assert not missing, f"cited in dip_model but without a section in docs/rules.md: {missing}"


def test_articles_not_modelled_are_neither_cited_nor_sections_and_all_are_accounted_for():
    doc = text()
    listed, secs = not_modelled(doc), set(article_sections(doc))
    assert not listed & secs, f"both a section and 'not modelled': {sorted(listed & secs)}"
    assert not listed & code_citations(), f"'not modelled' but cited in the code: {sorted(listed & code_citations())}"
    every = {k for k in articles() if re.fullmatch(r"[AK]-\d+", k)}
    assert every == listed | secs | MENTIONED_IN_PASSING, sorted(every ^ (listed | secs | MENTIONED_IN_PASSING))


# --- parameters ------------------------------------------------------------------------------------

def same(a, b) -> bool:
    """Equal values of the same kind (1 and 1.0 are the same number; 1 and true, '3' and 3 are not)."""
    def number(x):
        return isinstance(x, (int, float)) and not isinstance(x, bool)
    if number(a) and number(b):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def test_parameter_tables_match_the_rule_set_both_ways():
    meta = load_ruleset()
    leaves = set(leaf_paths(meta))
    named = set()
    rows = table_rows(text(), PARAM_HEADER)
    assert len(rows) >= len(leaves)
    for cells in rows:
        assert len(cells) == 4, cells
        names, defaults = ticks(cells[0]), ticks(cells[1])
        assert len(names) == 1 and len(defaults) == 1, cells
        name = names[0]
        assert name in leaves, f"docs/rules.md names '{name}', which the rule set does not have"
        info = leaf_info(meta, name, None)
        default = yaml.safe_load(defaults[0])
        rule = meta
        for part in name.split("."):
            rule = rule[part]
        assert same(default, rule["value"]), f"{name}: docs/rules.md says {defaults[0]}, the rule set {rule['value']!r}"
        assert cells[2] == info["unit"], f"{name}: unit '{cells[2]}' in docs/rules.md, '{info['unit']}' in the rule set"
        named.add(name)
    assert leaves <= named, f"rule-set parameters named in no section of docs/rules.md: {sorted(leaves - named)}"


# --- functions -------------------------------------------------------------------------------------

def test_every_named_function_exists():
    refs = FUNC_REF.findall(text())
    assert len(refs) >= 40
    for module_path, attr in sorted(set(refs)):
        module = importlib.import_module(module_path.replace("/", "."))
        obj = module
        for part in attr.split("."):
            assert hasattr(obj, part), f"docs/rules.md names {module_path}.py · {attr}, which does not exist"
            obj = getattr(obj, part)
        assert callable(obj), f"{module_path}.py · {attr} is not callable"


# --- interpretation register -----------------------------------------------------------------------

REGISTER_ROW = re.compile(r"^\| (I-\d+) \|")


def register(doc: str, heading: str) -> dict[str, tuple[str, set[str]]]:
    """id → (default, alternatives) of the register table under `heading` (backticked tokens)."""
    body = sections(doc)[heading]
    out = {}
    for line in body.splitlines():
        if REGISTER_ROW.match(line):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            default = ticks(cells[2])
            assert len(default) == 1, f"{cells[0]}: one backticked default, got {default}"
            out[cells[0]] = (default[0], set(ticks(cells[3])))
    return out


def rule_set_switches() -> dict[str, tuple[str, set[str]]]:
    meta = load_ruleset()
    out = {k: (v["value"], set(v["choices"]) - {v["value"]}) for k, v in meta["interpretations"].items()}
    combine = meta["coefficients"]["combine"]                     # I-5 is coefficients.combine
    out["I-5"] = (combine["value"], set(combine["choices"]) - {combine["value"]})
    return out


def test_register_lists_every_switch_with_its_default_and_alternatives():
    doc = register(text(), "## Interpretation register 解释口径")
    rules = rule_set_switches()
    assert set(doc) == set(rules) and len(rules) == 13
    for ident, (default, alternatives) in rules.items():
        assert doc[ident] == (default, alternatives), f"{ident}: docs/rules.md {doc[ident]}, rule set {(default, alternatives)}"


def test_register_agrees_with_readme():
    doc = register(text(), "## Interpretation register 解释口径")
    readme = register(README.read_text(encoding="utf-8"), "## Interpretations")
    assert readme == doc


# --- links -----------------------------------------------------------------------------------------

def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def test_internal_links_point_at_headings():
    doc = text()
    anchors = {slug(line.lstrip("#").strip()) for line in doc.splitlines() if line.startswith("#")}
    links = re.findall(r"\]\(#([^)]+)\)", doc)
    assert links
    for link in links:
        assert link in anchors, f"docs/rules.md links to #{link}, which is no heading"
