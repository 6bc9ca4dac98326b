"""YAML reading through libyaml when available (the pure-Python parser costs about a second at start-up)."""
from __future__ import annotations

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(stream):
    """yaml.safe_load, with the C parser."""
    return yaml.load(stream, Loader=_Loader)


def read_mapping(source, what: str):
    """A user's YAML file (path) or an already-read mapping, as a mapping ({} for nothing). Problems are
    ParameterError naming the file and `what` it is (e.g. "parameter file")."""
    from collections.abc import Mapping
    from pathlib import Path

    from .errors import ParameterError
    doc = source
    if isinstance(source, (str, Path)):
        try:
            with open(source, encoding="utf-8-sig") as f:
                doc = safe_load(f)
        except OSError as err:
            raise ParameterError(f"{source}: cannot read the {what} ({err.strerror})") from None
        except yaml.YAMLError as err:
            raise ParameterError(f"{source}: not valid YAML ({err})") from None
    if doc is None:
        return {}
    if not isinstance(doc, Mapping):
        raise ParameterError(f"the {what} must be a mapping of names to values")
    return doc
