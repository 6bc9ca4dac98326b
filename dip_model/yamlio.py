"""YAML reading through libyaml when available (the pure-Python parser costs about a second at start-up)."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml

from .errors import ParameterError
from .messages import Message

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(stream):
    """yaml.safe_load, with the C parser."""
    return yaml.load(stream, Loader=_Loader)


def read_file(path, what: str):
    """The YAML document of a user's file; a missing or unreadable file, or bad YAML, is a ParameterError
    naming the file and `what` it is (e.g. Message("what_parameter_file"))."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            return safe_load(f)
    except OSError as err:
        raise ParameterError(Message("param_file_unreadable", path=str(path), what=what, reason=err.strerror)) from None
    except yaml.YAMLError as err:
        raise ParameterError(Message("param_file_yaml", path=str(path), reason=str(err))) from None


def read_mapping(source, what: str):
    """A user's YAML file (path) or an already-read mapping, as a mapping ({} for nothing)."""
    doc = read_file(source, what) if isinstance(source, (str, Path)) else source
    if doc is None:
        return {}
    if not isinstance(doc, Mapping):
        raise ParameterError(Message("param_file_mapping", what=what))
    return doc
