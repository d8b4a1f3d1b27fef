"""Enforcement rules: typed conditions over account, post, cluster and signal fields, checked before they run.

- :mod:`~overt.enforcement.rules.fields`: the fields a rule can read, per subject kind, and their reference doc;
- :mod:`~overt.enforcement.rules.language`: the expression language and its static checker;
- :mod:`~overt.enforcement.rules.evaluate`: compiling a checked rule into closures, with evidence;
- :mod:`~overt.enforcement.rules.document`: rule documents in YAML, validated with located errors;
- :mod:`~overt.enforcement.rules.backtest`: running rules over a scan's outputs, summarised per market.
"""

from overt.enforcement.rules.document import Rule, RuleSpec, load_rules, parse_rules, rules_from_document
from overt.enforcement.rules.evaluate import Condition, compile_rule
from overt.enforcement.rules.language import CheckedRule, Diagnostic, check, check_rule

__all__ = [
    "CheckedRule",
    "Condition",
    "Diagnostic",
    "Rule",
    "RuleSpec",
    "check",
    "check_rule",
    "compile_rule",
    "load_rules",
    "parse_rules",
    "rules_from_document",
]
