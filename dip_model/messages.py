"""Texts a user reads, in English and Chinese: engine warnings, data problems and every error.

A Message is the English text (a str, so summary.json, the command line and the tests read it as
before) plus the catalogue key and values that render it in another language:

    m = Message("negative_value", v="-5")
    str(m) == "negative value: -5";  m.text("zh") == "不能为负数：-5"

The catalogue is dip_model/rulesets/messages/*.yaml: one entry per key with `en` and `zh` and the
same placeholders in both. A value that is itself localisable (a Message, an Items list, a DipError,
a Problem) is rendered in the language asked for. `localise(obj, lang)` renders any of them, and any
other object as str(obj). A Template is a message still missing the offending value `v` (the data
checks make one per rule and fill it with the first value that breaks it).
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

FOLDER = Path(__file__).with_name("rulesets") / "messages"
LANGS = ("en", "zh")
SCHEME_ZH = {"employee": "职工医保", "resident": "居民医保"}


class Localisable:
    """Anything a user reads that can be rendered in either language; str() is the English text."""

    def text(self, lang: str = "en") -> str:
        raise NotImplementedError


@lru_cache(maxsize=1)
def catalog() -> dict:
    """Every message file merged, key -> {en, zh}; a key defined in two files is refused."""
    from . import yamlio  # yamlio reports through errors, which import this module
    out: dict = {}
    for path in sorted(FOLDER.glob("*.yaml")):
        with open(path, encoding="utf-8") as f:
            part = yamlio.safe_load(f) or {}
        clash = sorted(set(out) & set(part))
        if clash:
            raise RuntimeError(f"{path.name}: message keys defined twice: {clash}")
        out.update(part)
    return out


def localise(obj, lang: str) -> str:
    """Any message in `lang`: a Message, Items, DipError or Problem in that language, anything else
    (a plain string, another exception) as str(obj)."""
    if isinstance(obj, Localisable):
        return obj.text(lang)
    return str(obj)


def _render(template: str, values: dict, lang: str) -> str:
    return template.format(**{k: v.text(lang) if isinstance(v, Localisable) else v for k, v in values.items()})


def _entry(key: str, lang: str) -> str:
    entry = catalog()[key]
    return entry.get(lang) or entry["en"]


class Message(str, Localisable):
    """str(Message) is the English text; .text("zh") the Chinese one."""

    key: str
    values: dict

    def __new__(cls, key: str, /, **values):
        if "scheme" in values:
            values.setdefault("scheme_zh", SCHEME_ZH.get(values["scheme"], values["scheme"]))
        obj = super().__new__(cls, _render(_entry(key, "en"), values, "en"))
        obj.key, obj.values = key, values
        return obj

    def text(self, lang: str = "en") -> str:
        return _render(_entry(self.key, lang), self.values, lang)

    def __reduce__(self):
        return (_rebuild, (self.key, self.values))


def _rebuild(key, values):
    return Message(key, **values)


class Items(Localisable):
    """A list in running text: "a, b, c" in English, "a、b、c" in Chinese; `more` ends it with an
    ellipsis (more items not shown). `sep` replaces the separator in both languages, `lead` goes
    before every item (e.g. a line break and a dash for a list of lines)."""

    SEP = {"en": ", ", "zh": "、"}

    def __init__(self, items, more: bool = False, sep: str | None = None, lead: str = ""):
        self.items, self.more, self.sep, self.lead = tuple(items), bool(more), sep, lead

    def text(self, lang: str = "en") -> str:
        sep = self.SEP.get(lang, ", ") if self.sep is None else self.sep
        out = sep.join(self.lead + localise(i, lang) for i in self.items)
        if self.more:
            out += "…" if lang != "zh" or not self.items else sep + "…"
        return out

    def __str__(self) -> str:
        return self.text("en")

    def __eq__(self, other) -> bool:
        return isinstance(other, Items) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash(self.items)


_CUT = "\x00"
_AROUND_VALUE = re.compile(r"\s*[:：]?\s*['\"“「]?\x00['\"”」]?")


class Template(Localisable):
    """A message still missing `v`, the offending value: `fill(v)` gives the Message; `rule(lang)`, also
    its text(lang) and str(), the text without the value (a rule of the data checks, "negative value")."""

    def __init__(self, key: str, /, **values):
        _entry(key, "en")                      # an unknown key fails here, where the check is defined
        self.key, self.values = key, values

    def fill(self, v) -> Message:
        return Message(self.key, **self.values, v=v)

    def rule(self, lang: str = "en") -> str:
        return _AROUND_VALUE.sub("", self.fill(_CUT).text(lang)).strip()

    text = rule

    def __str__(self) -> str:
        return self.rule("en")

    def to_json(self) -> dict:
        return {"key": self.key, "values": dump(self.values)}


def dump(obj):
    """A message (or a structure holding messages) as JSON-ready data that `load` turns back into it."""
    if isinstance(obj, Message):
        return {"$message": obj.key, "values": dump(obj.values)}
    if isinstance(obj, Items):
        return {"$items": dump(list(obj.items)), "more": obj.more, "sep": obj.sep, "lead": obj.lead}
    if isinstance(obj, Localisable):
        return localise(obj, "en")             # a Problem or an error inside a message: its English text
    if isinstance(obj, dict):
        return {k: dump(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [dump(v) for v in obj]
    return obj


def load(data):
    """The inverse of `dump` (a plain string stays a plain string; an unknown key its English text)."""
    if isinstance(data, dict) and "$message" in data:
        values = load(data.get("values") or {})
        try:
            return Message(data["$message"], **values)
        except (KeyError, IndexError, ValueError):
            return str(data.get("en", data["$message"]))
    if isinstance(data, dict) and "$items" in data:
        return Items(load(data["$items"]), data.get("more", False), data.get("sep"), data.get("lead", ""))
    if isinstance(data, dict):
        return {k: load(v) for k, v in data.items()}
    if isinstance(data, list):
        return [load(v) for v in data]
    return data
