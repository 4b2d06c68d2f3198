"""The record of an output template: its file name, its build function and everything the docs, the
example parameter files, the StackSet, the builder and the tests need to know about it, kept next
to the code that builds it (as cfn-lint's rules carry their own metadata).

A record names only records of its own step or earlier, so the stack modules import one another in
deployment order and never in a circle; a stack that names a later one is given its record by the
registry (stacks/__init__.py).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from types import MappingProxyType

from troposphere import Template

from ..parts.common import stack_name

# Where a template is deployed: account kind -> how the docs name it.
ACCOUNTS = {
    "management": "Management account (or StackSets delegated administrator)",
    "source": "Every member account × Region (deployed by the StackSets)",
    "collector": "Collector account",
    # never deployed beside the StackSet members (a second window, scan and inventory on the nodes)
    "single": "One account, without StackSets",
}
# The accounts whose stacks the README deploys by name (make deploy STACK=...) and make teardown deletes.
BY_NAME = ("management", "collector")


@dataclass(frozen=True)
class Member:
    """How the StackSet (stacks/stackset.py) deploys a member template by a StackSet of its own."""

    key: str  # CamelCase: <key>StackSet, pDeploy<key>, p<key><Name> for parameters of its own
    title: str  # for people: console groups and labels
    name: str  # StackSet name suffix
    waves: bool = False  # one StackSet per rollout wave (its OUs and wave parameters), else one for all waves


# A flow of data to another stack or to people, or from another stack: (the record or who, what flows).
Flow = tuple["Record | str", str]
Source = tuple["Record", str]


@dataclass(frozen=True, eq=False)
class Record:
    """One output template."""

    file: str  # its file in output/
    build: Callable[[], Template]
    step: int  # deployment order: all stacks of step 1 before any of step 2, ...
    account: str  # a key of ACCOUNTS
    does: str  # what it does, in a few words, for the architecture picture
    feeds: tuple[Flow, ...] = ()  # data it sends to another stack (or to people)
    takes: tuple[Source, ...] = ()  # data it takes from a stack deployed before it
    # example values for parameters without a usable default (over the default where one is given)
    examples: Mapping[str, str] = field(default_factory=dict)
    member: Member | None = None  # deployed by the StackSet
    # The stack name: the one place it is spelled, for the deploy and teardown commands of the README,
    # the generated pages, the Makefile's teardown and the stacks that import its exports.
    stack: str = ""

    def __post_init__(self):
        if self.account not in ACCOUNTS:
            raise ValueError(f"{self.file}: account {self.account!r} is not one of {', '.join(ACCOUNTS)}")
        if not self.stack:
            object.__setattr__(self, "stack", stack_name(self.file))
        object.__setattr__(self, "examples", MappingProxyType(dict(self.examples)))

    @property
    def stem(self) -> str:
        return PurePosixPath(self.file).stem

    @property
    def placement(self) -> tuple:
        """Records placed alike (one per operating system) share one node in the architecture picture."""
        return self.step, self.account, self.does, self.feeds, self.takes
