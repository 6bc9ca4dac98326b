"""YAML reading through libyaml when available (the pure-Python parser costs about a second at start-up)."""
from __future__ import annotations

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(stream):
    """yaml.safe_load, with the C parser."""
    return yaml.load(stream, Loader=_Loader)
