"""The ``overt`` command line: a click group; each command family lives in its own module."""

from __future__ import annotations

import importlib
import logging

import click

from overt._version import __version__

#: Every command: its name, and where it lives (module, object). A command's module is imported only when the
#: command runs (or help lists it): ``overt scan`` need not load the enforcement store, nor ``overt policy`` DuckDB.
COMMANDS: dict[str, tuple[str, str]] = {
    "ingest": ("overt.cli.dataset", "ingest_command"),
    "info": ("overt.cli.dataset", "info_command"),
    "formats": ("overt.cli.dataset", "formats_command"),
    "scan": ("overt.cli.scan", "scan_command"),
    "score": ("overt.cli.score", "score_command"),
    "train": ("overt.cli.train", "train_group"),
    "eval": ("overt.cli.evaluate", "eval_command"),
    "report": ("overt.cli.report", "report_command"),
    "policy": ("overt.cli.policy", "policy_group"),
    "rules": ("overt.cli.rules", "rules_group"),
    "designations": ("overt.cli.designations", "designations_group"),
    "people": ("overt.cli.cases", "people_group"),
    "cases": ("overt.cli.cases", "cases_group"),
    "requests": ("overt.cli.requests", "requests_group"),
    "appeals": ("overt.cli.cases", "appeals_group"),
    "dsa": ("overt.cli.disclose", "dsa_group"),
    "transparency": ("overt.cli.disclose", "transparency_group"),
    "audit": ("overt.cli.audit", "audit_group"),
    "db": ("overt.cli.audit", "db_group"),
}


class LazyGroup(click.Group):
    """A group whose commands (:data:`COMMANDS`) are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, name = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module), name)
        assert isinstance(command, click.Command) and command.name == cmd_name, (module, name)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="overt")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
def cli(verbose: int, quiet: bool) -> None:
    """Make covert influence operations overt.

    Ingest exports from many platforms into one canonical dataset, detect coordinated networks, and score
    state-backing signals with the evidence behind every score. Then enforce in the open: versioned policies,
    checked rules, state-affiliation designations and actions, every change in a tamper-evident audit log.
    """
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="overt")


__all__ = ["cli", "main"]
