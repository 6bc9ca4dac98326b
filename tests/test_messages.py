"""Messages carry both languages: English as the string itself, Chinese on request."""
import pickle
import string

import dip_model
from dip_model.messages import Message, catalog, localise


def placeholders(text: str) -> set[str]:
    """The values a text uses ({scheme_zh} is the Chinese name of {scheme}, derived from it)."""
    names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    return {"scheme" if n == "scheme_zh" else n for n in names}


def test_every_message_has_both_languages_with_the_same_placeholders():
    for key, entry in catalog().items():
        assert set(entry) == {"en", "zh"}, key
        assert entry["en"].strip() and entry["zh"].strip(), key
        assert placeholders(entry["zh"]) == placeholders(entry["en"]), key


def test_every_message_renders_in_both_languages():
    for key, entry in catalog().items():
        values = {name: 1234.5 for name in placeholders(entry["en"]) | placeholders(entry["zh"])}
        values["scheme"] = "resident"
        m = Message(key, **values)
        assert m.text("en") == str(m), key
        assert m.text("zh") != m.text("en"), key
        assert ("1,234.50" in m.text("en")) == ("1,234.50" in m.text("zh")), key


def test_scheme_is_named_in_chinese_and_pickling_keeps_the_translation():
    m = Message("unfunded_overrun", scheme="employee", amount=1e6)
    assert "职工医保" in m.text("zh") and "1,000,000.00 元" in m.text("zh")
    assert m.startswith("employee: payments exceed")
    back = pickle.loads(pickle.dumps(m))
    assert back == m and back.text("zh") == m.text("zh")
    assert localise(m, "zh") == m.text("zh") and localise("plain text", "zh") == "plain text"


def test_engine_warnings_translate(city):
    res = dip_model.simulate(dip_model.load_data(city), dip_model.load_params())
    msgs = [w for w in res.summary["warnings"] if isinstance(w, Message)]
    assert msgs, res.summary["warnings"]
    assert all(localise(w, "zh") != str(w) for w in msgs)


def test_a_rule_is_its_message_without_the_value():
    from dip_model.messages import Items, Template
    for key, entry in catalog().items():
        if "{v}" not in entry["en"]:
            continue
        values = {name: "X" for name in placeholders(entry["en"]) - {"v"}}
        values.update({"known": Items(["a", "b"])} if "known" in values else {})
        for lang in ("en", "zh"):
            rule = Template(key, **values).rule(lang)
            assert rule and not rule.endswith((":", "：", "'", "“", "”")) and "\x00" not in rule, (key, lang, rule)
