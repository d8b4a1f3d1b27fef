"""Docs are tests too: every format, command and table column is documented, and generated pages are current."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

import overt
from overt.cli import cli
from overt.ingest.formats import FORMATS
from overt.model.schema import render_markdown

DOCS = Path(__file__).parent.parent / "docs"


def test_scan_reference_is_generated_from_the_schema():
    from overt.coordination.schema import render_markdown as scan_markdown

    assert (DOCS / "reference" / "scan.md").read_text(encoding="utf-8") == scan_markdown()


def test_scores_reference_is_generated():
    from overt.scoring.reference import render_markdown as scores_markdown

    page = (DOCS / "reference" / "scores.md").read_text(encoding="utf-8")
    assert page == scores_markdown(), "regenerate with: python -m overt.scoring.reference > docs/reference/scores.md"


def test_dataset_reference_is_generated_from_the_schema():
    page = (DOCS / "reference" / "dataset.md").read_text(encoding="utf-8")
    assert page == render_markdown(), "regenerate with: python -m overt.model.schema > docs/reference/dataset.md"


@pytest.mark.parametrize("name", list(FORMATS))
def test_every_format_has_a_page_and_an_index_entry(name):
    assert (DOCS / "formats" / f"{name}.md").is_file()
    assert f"[{name}]({name}.md)" in (DOCS / "formats" / "index.md").read_text(encoding="utf-8")


def _command(group: click.Group, name: str) -> click.Command:
    # get_command, not .commands: the top-level group loads its commands lazily.
    command = group.get_command(click.Context(group), name)
    assert command is not None, name
    return command


def _commands(group: click.Group) -> list[tuple[str, click.Command]]:
    return [(name, _command(group, name)) for name in sorted(group.list_commands(click.Context(group)))]


@pytest.mark.parametrize(("name", "command"), _commands(cli))
def test_every_command_has_help_and_is_in_the_user_guide(name, command):
    assert command.help and len(command.help) > 20
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"overt {name} {param.opts[0]} has no help"
    assert f"overt {name}" in (DOCS / "user-guide.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", ["ingest", "scan", "score", "report", "eval", "train scores", "train text"])
def test_every_option_is_in_the_user_guide(command):
    guide = (DOCS / "user-guide.md").read_text(encoding="utf-8")
    found: click.Command = cli
    for part in command.split():
        assert isinstance(found, click.Group)
        found = _command(found, part)
    assert f"overt {command}" in guide
    for param in found.params:
        if isinstance(param, click.Option):
            assert param.opts[0] in guide, param.opts[0]


def test_public_api_is_sorted_and_complete():
    # Every public name of the package is in __all__, and nothing else (subpackages are not API by import).
    public = {
        name
        for name, value in vars(overt).items()
        if not name.startswith("_") and not isinstance(value, type(overt)) and name != "annotations"
    }
    assert overt.__all__ == sorted(overt.__all__)
    # Some names load on first use (module __getattr__), so they are in __all__ before they are in vars().
    assert public <= set(overt.__all__) - {"__version__"}
    assert all(getattr(overt, name) is not None for name in overt.__all__)


def test_scan_help_names_every_detector():
    from overt.coordination import similarity  # noqa: F401  (registers the similarity detectors)
    from overt.coordination.detectors import DETECTORS

    help_text = next(p.help for p in _command(cli, "scan").params if p.name == "detectors")
    assert all(name in help_text for name in DETECTORS), sorted(DETECTORS)


def test_rule_fields_reference_is_generated():
    from overt.enforcement.rules.fields import reference_markdown

    page = (DOCS / "reference" / "rule-fields.md").read_text(encoding="utf-8")
    assert page == reference_markdown(), (
        "regenerate with: python -m overt.enforcement.rules.fields > docs/reference/rule-fields.md"
    )
