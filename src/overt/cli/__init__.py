"""The ``overt`` command line: a click group; each command family lives in its own module."""

from __future__ import annotations

import logging

import click

from overt._version import __version__
from overt.cli.audit import audit_group, db_group
from overt.cli.cases import appeals_group, cases_group, people_group
from overt.cli.dataset import formats_command, info_command, ingest_command
from overt.cli.designations import designations_group
from overt.cli.disclose import dsa_group, transparency_group
from overt.cli.evaluate import eval_command
from overt.cli.policy import policy_group
from overt.cli.report import report_command
from overt.cli.requests import requests_group
from overt.cli.rules import rules_group
from overt.cli.scan import scan_command
from overt.cli.score import score_command
from overt.cli.train import train_group


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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


cli.add_command(ingest_command)
cli.add_command(info_command)
cli.add_command(formats_command)
cli.add_command(scan_command)
cli.add_command(score_command)
cli.add_command(train_group)
cli.add_command(eval_command)
cli.add_command(report_command)
cli.add_command(policy_group)
cli.add_command(rules_group)
cli.add_command(designations_group)
cli.add_command(people_group)
cli.add_command(cases_group)
cli.add_command(requests_group)
cli.add_command(appeals_group)
cli.add_command(dsa_group)
cli.add_command(transparency_group)
cli.add_command(audit_group)
cli.add_command(db_group)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="overt")


__all__ = ["cli", "main"]
