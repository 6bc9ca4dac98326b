"""Engine warnings carry both languages: English as the string itself, Chinese on request."""
import pickle

import dip_model
from dip_model.messages import Message, catalog, localise


def test_every_message_renders_in_both_languages_with_the_same_values():
    values = {"categories": "3B", "n": 12, "scheme": "resident", "v": 9.87654, "amount": 1234.5}
    for key in catalog():
        m = Message(key, **values)
        zh, en = m.text("zh"), m.text("en")
        assert en == str(m) and zh != en
        for v in ("3B", "12", "9.8765", "1,234.50"):
            assert (v in en) == (v in zh), (key, v)


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
