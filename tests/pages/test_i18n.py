"""The two language catalogs have the same keys and the same placeholders."""
import re

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
