"""Engine warnings that carry their own translation: a Message is the English text (a str, so
summary.json and the command line are unchanged) plus the key and values to render it in Chinese."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from . import yamlio

SCHEME_ZH = {"employee": "职工医保", "resident": "居民医保"}


@lru_cache(maxsize=1)
def catalog() -> dict:
    with open(Path(__file__).parent / "rulesets" / "messages.yaml", encoding="utf-8") as f:
        return yamlio.safe_load(f)


class Message(str):
    """str(Message) is the English text; .text("zh") the Chinese one."""

    key: str
    values: dict

    def __new__(cls, key: str, **values):
        entry = catalog()[key]
        if "scheme" in values:
            values.setdefault("scheme_zh", SCHEME_ZH.get(values["scheme"], values["scheme"]))
        obj = super().__new__(cls, entry["en"].format(**values))
        obj.key, obj.values = key, values
        return obj

    def text(self, lang: str = "en") -> str:
        return catalog()[self.key].get(lang, catalog()[self.key]["en"]).format(**self.values)

    def __reduce__(self):
        return (_rebuild, (self.key, self.values))


def _rebuild(key, values):
    return Message(key, **values)


def localise(message, lang: str) -> str:
    """A warning in the reader's language: a Message is translated, any other text shown as it is."""
    return message.text(lang) if isinstance(message, Message) else str(message)
