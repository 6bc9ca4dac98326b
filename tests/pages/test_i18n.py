"""The two language catalogs have the same keys and the same placeholders; the dashboard's catalog is the
report texts of dip_model plus its own."""
import re

import pytest

import dip_model
from dip_model import yamlio
from dip_model.report import labels
from ui import i18n
from ui.i18n import catalog, money, t


def _fields(text: str) -> set:
    return set(re.findall(r"{(\w+)", str(text)))


def test_same_keys_and_placeholders():
    zh, en = catalog("zh"), catalog("en")
    assert set(zh) == set(en), f"only zh: {sorted(set(zh) - set(en))}; only en: {sorted(set(en) - set(zh))}"
    for k in zh:
        assert _fields(zh[k]) == _fields(en[k]), k


def test_money_conventions():
    assert money(123456789, "zh") == "1.23 亿元"
    assert money(56700, "zh") == "5.67 万元"
    assert money(56700, "en") == "¥56,700.00"
    assert t("employee", "en") == "Employee scheme"


def test_the_dashboard_catalog_is_the_report_texts_plus_its_own():
    """dip_model/report/locales (what charts and exports print) and ui/locales, with no key in both."""
    for lang in labels.LANGS:
        own: dict = {}
        for path in sorted((i18n.LOCALES / lang).glob("*.yaml")):
            with open(path, encoding="utf-8") as f:
                own.update(yamlio.safe_load(f) or {})
        report = labels.catalog(lang)
        assert not set(own) & set(report), sorted(set(own) & set(report))
        assert catalog(lang) == {**report, **own}


def test_a_key_in_both_places_is_refused(tmp_path, monkeypatch):
    (tmp_path / "zh").mkdir()
    (tmp_path / "zh" / "page.yaml").write_text("ovw_wf_title: 另一个标题\n", encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALES", tmp_path)
    i18n.catalog.cache_clear()
    try:
        with pytest.raises(dip_model.DipError, match="ui/locales/zh/page.yaml.*ovw_wf_title"):
            i18n.catalog("zh")
    finally:
        monkeypatch.undo()
        i18n.catalog.cache_clear()
    assert i18n.catalog("zh")["ovw_wf_title"] == "{scheme}：从总额预算到DIP可支付"
