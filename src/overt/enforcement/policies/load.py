"""Load policy documents from YAML files or folders, reporting every problem of every file at once.

One file holds one policy. A folder is read in name order (``*.yaml`` and ``*.yml``). Each problem is located at
its file, line and column with the line shown; policy ids must be unique across all files read together.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from overt.enforcement import documents
from overt.enforcement.documents import Document, DocumentError, Problem
from overt.enforcement.policies.model import KNOWN_FIELDS, Policy, cross_problems

#: The default policy set shipped with overt (our own text; see the files).
DEFAULTS_DIR = Path(__file__).parent / "defaults"


def _order(problem: Problem) -> tuple[str, int, int]:
    where = problem.position
    return (where.file, where.line, where.column) if where else ("", 0, 0)


def check_document(document: Document) -> tuple[Policy | None, list[Problem]]:
    """The policy in ``document`` and every problem found in it (the policy is None when there are problems)."""
    if not isinstance(document.data, dict):
        kind = "empty" if document.data is None else type(document.data).__name__
        return None, [document.problem((), f"a policy document must be a mapping of fields, not {kind}")]
    problems: list[Problem] = []
    policy: Policy | None = None
    try:
        policy = Policy.model_validate(document.data, context={"located": True})
    except ValidationError as error:
        problems += documents.validation_problems(document, error, known_fields=KNOWN_FIELDS)

    def line_of(path: documents.Path_) -> int | None:
        return document.position(path).line

    for path, message in cross_problems(document.data, line_of):
        field_name = ".".join(str(part) for part in path)
        problems.append(document.problem(path, f"{field_name}: {message}"))
    # One value can fail a field check and a cross check the same way; report each located message once.
    unique = list(dict.fromkeys(problems))
    return (policy if not unique else None), sorted(unique, key=_order)


def parse_policy(text: str, path: str = "<string>") -> Policy:
    """The policy in YAML ``text``; :class:`DocumentError` with every problem if it is not valid."""
    policy, problems = check_document(documents.parse(text, path))
    if problems or policy is None:
        raise DocumentError(problems)
    return policy


def policy_files(paths: Iterable[str | Path]) -> list[Path]:
    """The YAML files named, and those in the folders named (in name order)."""
    files: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        else:
            files.append(path)
    return files


def load_policies(*paths: str | Path) -> list[Policy]:
    """Every policy in the files and folders given; :class:`DocumentError` listing every problem in all of them."""
    return [policy for policy, _ in load_policy_documents(*paths)]


def load_policy_documents(*paths: str | Path) -> list[tuple[Policy, Document]]:
    """Like :func:`load_policies`, with the document each policy came from (its path and text, for storage)."""
    problems: list[Problem] = []
    policies: list[tuple[Policy, Document]] = []
    first_seen: dict[str, tuple[Document, Policy]] = {}
    for file in policy_files(paths):
        try:
            document = documents.load(file)
        except DocumentError as error:
            problems += error.problems
            continue
        policy, found = check_document(document)
        problems += found
        if policy is None:
            continue
        earlier = first_seen.get(policy.id)
        if earlier is not None:
            where = earlier[0].position(("id",))
            message = f"policy id '{policy.id}' is already used by {where}"
            problems.append(document.problem(("id",), message))
            continue
        first_seen[policy.id] = (document, policy)
        policies.append((policy, document))
    if problems:
        raise DocumentError(problems)
    return policies


def load_defaults() -> list[Policy]:
    """The default policy set (``DEFAULTS_DIR``)."""
    return load_policies(DEFAULTS_DIR)
