"""Remedies owed: consumer law and manufacturer policies as dated rules, and the gaps.

>>> book = builtin_rule_book()                                               # doctest: +SKIP
>>> case = read_case_file("case.json", builtin_catalog(), book.jurisdictions)  # doctest: +SKIP
>>> judge_case(book, case, lang="en").to_dict()["summary"]                   # doctest: +SKIP
"""

from defectradar.remedies.case import Case, Claim, Device, Event, parse_case, read_case_file
from defectradar.remedies.engine import Judgement, Step, judge_case
from defectradar.remedies.rule_book import RuleBook, builtin_rule_book, load_rule_book
from defectradar.remedies.rule_sets import RuleSet, dump_rule_set, parse_rule_set

__all__ = ["Case", "Claim", "Device", "Event", "Judgement", "RuleBook", "RuleSet", "Step", "builtin_rule_book",
           "dump_rule_set", "judge_case", "load_rule_book", "parse_case", "parse_rule_set", "read_case_file"]
