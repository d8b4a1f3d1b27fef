"""The one exception tree of overt.

::

    OvertError
    ├── InputError (ValueError)            bad input: unreadable file, unknown format, missing column
    │   ├── FormatError                    no reader recognises the file, or --format does not fit it
    │   ├── MappingError                   a --mapping TOML file is invalid
    │   └── RejectRateError                more rows were rejected than --max-reject-rate allows
    └── DatasetError (ValueError)          a dataset folder is missing, incomplete or from an incompatible version

Every message says what went wrong, where (file, line, field), what was expected and what to do.
"""

from __future__ import annotations


class OvertError(Exception):
    """Base class of every error raised by overt."""


class InputError(ValueError, OvertError):
    """An input file cannot be used as given."""


class FormatError(InputError):
    """The format of an input file is unknown or does not match the one asked for."""


class MappingError(InputError):
    """A column mapping file (``--mapping``) is invalid."""


class RejectRateError(InputError):
    """More rows were rejected than the allowed rate."""


class DatasetError(ValueError, OvertError):
    """A dataset folder cannot be read."""
