"""Built-in policies, one YAML file each, named after the data classes.

============================  ==================================================
``open``                      unconditional public release: irreversible only
                              (mask, generalize, keyed hashes), free text
                              scanned, k-anonymity >= 5 on quasi-identifiers
``open-conditional``          restricted opening to an approved applicant:
                              keyed pseudonyms, generalized quasi-identifiers
``share``                     sharing between agencies: direct identifiers
                              encrypted (reversible with the key), rest kept
============================  ==================================================

``custom-example.yaml`` is a documented template for a policy of your own; it
is not a built-in. Load any of them with :func:`desens.policy.read_policy`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["EXAMPLE", "builtin_names", "builtin_path"]

_BUILTINS = ("open", "open-conditional", "share")

#: The documented example of a custom policy (a file, not a built-in name).
EXAMPLE = "custom-example.yaml"


def builtin_names() -> tuple[str, ...]:
    """Names of the built-in policies."""
    return _BUILTINS


def builtin_path(name: str) -> Path:
    """Path of a built-in policy file (``name`` from :func:`builtin_names`) or the example."""
    file = name if name == EXAMPLE else f"{name}.yaml"
    if name not in _BUILTINS and name != EXAMPLE:
        raise KeyError(name)
    return Path(str(resources.files(__name__).joinpath(file)))
