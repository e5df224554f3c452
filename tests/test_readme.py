"""The README's front door stays in step with CI and the code."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _front_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```(?:sh|bash)\n(.*?)```", text, re.S)
    assert block, "README must open with a shell block"
    return [line for line in block.group(1).splitlines() if line and not line.startswith("#")]


def test_readme_opens_with_exactly_two_commands() -> None:
    commands = _front_commands()
    assert len(commands) == 2
    assert "desens release examples/people.csv" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    test_command = _front_commands()[1]
    assert test_command.replace("pip install ", "pip install -q ") in ci


def test_every_entity_is_documented() -> None:
    from recognizers import ENTITIES

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert [e for e in ENTITIES if f"`{e}`" not in readme] == []


def test_every_subcommand_is_documented() -> None:
    from desens.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert sub.choices, "no subcommands registered"
    assert [name for name in sub.choices if f"desens {name}" not in readme] == []


def test_key_environment_variables_are_documented() -> None:
    from desens.keys import ENV_KEY, ENV_KEYRING

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"`{ENV_KEYRING}`" in readme and f"`{ENV_KEY}`" in readme
