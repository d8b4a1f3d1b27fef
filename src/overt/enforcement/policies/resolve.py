"""Resolve a policy for one market and day: which variants hold, and the clauses and actions that result.

A variant holds in ``market`` on a day when every one of its conditions does, checked in this order (the first that
fails is the reason given):

1. ``market`` lies within the variant's markets ("DE" is within "EU"; a region query needs the whole region).
2. the day lies within the variant's own effective dates, if it has any;
3. for ``outside_home_market`` variants: a home market is given and ``market`` is not within it;
4. for a ``window``: an event of one of the window's kinds, in a market that contains ``market``, has the day
   within the window (:meth:`Window.span`). Events come from a simple calendar (:class:`Event`) the caller passes.

Variants apply in document order: first clauses removed, replaced and added, then actions removed and added.
A clause's own ``allowed_actions`` narrow the policy's (after variants) for decisions citing that clause.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from overt.enforcement import actions, markets
from overt.enforcement.policies.model import Clause, Policy, Variant


@dataclass(frozen=True)
class Event:
    """A dated event in a market that windowed variants refer to: an election, a referendum."""

    kind: str
    market: str
    on: date
    name: str = ""

    def describe(self) -> str:
        label = f" '{self.name}'" if self.name else ""
        return f"{self.kind}{label} in {self.market} on {self.on.isoformat()}"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "market": self.market, "on": self.on.isoformat(), "name": self.name}


@dataclass(frozen=True)
class EffectivePolicy:
    """A policy as it holds in one market on one day, with the reasons (``why``) for every variant's fate."""

    policy_id: str
    version: int
    market: str
    on: date
    home_market: str | None
    in_effect: bool
    severity: str
    clauses: tuple[Clause, ...]
    allowed_actions: tuple[str, ...]
    variants: tuple[str, ...]
    why: tuple[str, ...]
    #: For each action a variant removed: which variant.
    removed_by: tuple[tuple[str, str], ...] = ()
    #: Variants that did not apply and would have added actions: (variant id, why not, actions it adds).
    unapplied: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    def clause(self, clause_id: str) -> Clause | None:
        return next((clause for clause in self.clauses if clause.id == clause_id), None)

    def actions_for(self, clause_id: str | None = None) -> tuple[str, ...]:
        """The allowed actions for a decision citing ``clause_id`` (the policy's, narrowed by the clause's own)."""
        clause = self.clause(clause_id) if clause_id else None
        if clause is None or clause.allowed_actions is None:
            return self.allowed_actions
        narrowed = set(clause.allowed_actions)
        return tuple(action for action in self.allowed_actions if action in narrowed)

    def allows(self, action_type: str, *, clause: str | None = None) -> str | None:
        """None if the action may be taken here and now (citing ``clause``), else the reason it may not."""
        problem = actions.check_action(action_type)
        if problem:
            return problem
        where = f"in {self.market} on {self.on.isoformat()}"
        if not self.in_effect:
            return f"policy {self.policy_id} v{self.version} is not in effect {where}"
        if clause is not None and self.clause(clause) is None:
            return f"clause {self.policy_id}#{clause} does not apply {where}"
        allowed = self.actions_for(clause)
        if action_type in allowed:
            return None
        subject = f"{self.policy_id}#{clause}" if clause else f"policy {self.policy_id}"
        reason = f"{subject} does not allow {action_type} {where}"
        removed = dict(self.removed_by).get(action_type)
        would = [(variant, why) for variant, why, added in self.unapplied if action_type in added]
        if removed:
            reason += f" (variant '{removed}' removes it)"
        elif would:
            reason += f" (variant '{would[0][0]}' would allow it, but {would[0][1]})"
        elif clause and action_type in self.allowed_actions:
            reason += " (the clause narrows the policy's actions)"
        return f"{reason}; allowed: {', '.join(allowed) or 'nothing'}"

    def to_json(self) -> dict[str, Any]:
        return {
            "policy_id": self.policy_id,
            "version": self.version,
            "market": self.market,
            "on": self.on.isoformat(),
            "home_market": self.home_market,
            "in_effect": self.in_effect,
            "severity": self.severity,
            "clauses": [clause.model_dump(mode="json") for clause in self.clauses],
            "allowed_actions": list(self.allowed_actions),
            "variants": list(self.variants),
            "why": list(self.why),
        }


def _holds(
    variant: Variant, market: str, on: date, events: Sequence[Event], home_market: str | None
) -> tuple[bool, str]:
    """Whether ``variant`` holds, and the reason in words."""
    if not markets.within(market, variant.markets):
        return False, f"{market} is not within {', '.join(variant.markets)}"
    if variant.effective_from and on < variant.effective_from:
        return False, f"it starts on {variant.effective_from.isoformat()}"
    if variant.effective_to and on > variant.effective_to:
        return False, f"it ended on {variant.effective_to.isoformat()}"
    reasons = [f"{market} is within {', '.join(variant.markets)}"]
    if variant.outside_home_market:
        if home_market is None:
            return False, "it applies outside the home market and no home market was given"
        if markets.within(market, [home_market]):
            return False, f"{market} is the home market ({home_market})"
        reasons.append(f"{market} is outside the home market {home_market}")
    if variant.window is not None:
        window = variant.window
        relevant = [
            event
            for event in events
            if event.kind in window.event_kinds and markets.check(event.market) is None
            if markets.within(market, [event.market])
        ]
        for event in sorted(relevant, key=lambda e: e.on):
            start, end = window.span(event.on)
            if start <= on <= end:
                reasons.append(f"{on.isoformat()} is within {window.describe()}: {event.describe()}")
                break
        else:
            if not relevant:
                return False, f"no {' or '.join(window.event_kinds)} in {market} is on the calendar"
            listed = ", ".join(event.describe() for event in relevant)
            return False, f"{on.isoformat()} is not within {window.describe()} ({listed})"
    return True, "; ".join(reasons)


def effective(
    policy: Policy, market: str, *, on: date, events: Sequence[Event] = (), home_market: str | None = None
) -> EffectivePolicy:
    """``policy`` as it holds in ``market`` (a market code) on ``on``; see the module docstring for the rules."""
    problem = markets.check(market)
    if problem:
        raise ValueError(problem)
    if home_market is not None and (problem := markets.check(home_market)):
        raise ValueError(f"home market: {problem}")
    why: list[str] = []
    in_effect = policy.in_effect(on)
    if not in_effect:
        until = f" to {policy.effective_to.isoformat()}" if policy.effective_to else ""
        why.append(f"v{policy.version} is in effect from {policy.effective_from.isoformat()}{until}")
    clauses = list(policy.clauses)
    allowed = list(policy.allowed_actions)
    applied: list[str] = []
    removed_by: dict[str, str] = {}
    unapplied: list[tuple[str, str, tuple[str, ...]]] = []
    for variant in policy.variants:
        holds, reason = _holds(variant, market, on, events, home_market)
        if not holds:
            why.append(f"variant '{variant.id}' not applied: {reason}")
            unapplied.append((variant.id, reason, variant.changes.add_actions))
            continue
        applied.append(variant.id)
        why.append(f"variant '{variant.id}' applied: {reason}")
        changes = variant.changes
        clauses = [clause for clause in clauses if clause.id not in changes.remove_clauses]
        replacements = {clause.id: clause for clause in changes.replace_clauses}
        clauses = [replacements.get(clause.id, clause) for clause in clauses]
        clauses += [clause for clause in changes.add_clauses if clause.id not in {c.id for c in clauses}]
        for action in changes.remove_actions:
            if action in allowed:
                allowed.remove(action)
                removed_by[action] = variant.id
        for action in changes.add_actions:
            if action not in allowed:
                allowed.append(action)
                removed_by.pop(action, None)
    ordered = tuple(action for action in actions.ACTION_TYPES if action in allowed and in_effect)
    return EffectivePolicy(
        policy_id=policy.id,
        version=policy.version,
        market=market,
        on=on,
        home_market=home_market,
        in_effect=in_effect,
        severity=policy.severity,
        clauses=tuple(clauses),
        allowed_actions=ordered,
        variants=tuple(applied),
        why=tuple(why),
        removed_by=tuple(sorted(removed_by.items())),
        unapplied=tuple(unapplied),
    )
