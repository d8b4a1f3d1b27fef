"""Options every enforcement command shares: which database, and who is acting."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from overt.errors import OvertError

F = TypeVar("F", bound=Callable[..., Any])


def database_option(function: F) -> F:
    """``--database URL`` (default: OVERT_DATABASE_URL, else sqlite:///overt.db)."""
    return click.option(
        "--database",
        "database",
        metavar="URL",
        default=None,
        help="Database URL (default: $OVERT_DATABASE_URL, else sqlite:///overt.db in this folder).",
    )(function)


def actor_option(function: F) -> F:
    """``--as NAME``: who is acting, recorded in the audit log with every change."""
    return click.option(
        "--as",
        "actor",
        metavar="NAME",
        default=None,
        help="Who is acting, for the audit log (default: $OVERT_ACTOR, else your login name).",
    )(function)


def actor_name(actor: str | None) -> str:
    """The acting person: --as, else OVERT_ACTOR, else the login name."""
    return actor or os.environ.get("OVERT_ACTOR") or getpass.getuser()


@contextmanager
def opened(database: str | None, actor: str | None = None, *, seed: bool = True, upgrade: bool = True) -> Iterator[Any]:
    """Open the store for a command (read-only commands neither migrate nor seed); errors become clean CLI errors."""
    from overt.enforcement.store import open_store

    try:
        store = open_store(database, upgrade=upgrade, seed=seed, actor=actor_name(actor))
    except OvertError as error:
        raise click.ClickException(str(error)) from error
    try:
        yield store
    except OvertError as error:
        raise click.ClickException(str(error)) from error
    finally:
        store.close()
