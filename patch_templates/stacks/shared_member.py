"""StackSet member, one per account-Region whatever its wave: what every account-Region needs once
and what no wave changes. The StackSet deploys it by one StackSet to the union of the waves' OUs
(stacks/stackset.py), beside the account's one patching member (stacks/patching_member.py):

- the resource data sync into the collector's bucket (stacks/resource_data_sync.py);
- Default Host Management (stacks/default_host_management.py), switched by
  pEnableDefaultHostManagement (on: every EC2 instance with a recent SSM Agent becomes a managed node);
- the patch-now execution role (parts/patch_now.py), off unless pEnablePatchNow is true.
"""

from collections.abc import Callable

from troposphere import Equals, Ref, Template

from ..parts import parameters as p, patch_now
from . import default_host_management, patch_now_administration, resource_data_sync
from .record import Member, Record


def build() -> Template:
    t = Template(
        Description=(
            "Source account (StackSet member, every wave): the resource data sync into the collector's bucket, "
            "Default Host Management (switched by pEnableDefaultHostManagement), and the patch-now execution "
            "role (switched by pEnablePatchNow)."
        )
    )
    resource_data_sync.add(t, member=True)
    enable = p.add(
        t,
        "pEnableDefaultHostManagement",
        "Default Host Management",
        "Default Host Management",
        Default="true",
        Description="true makes every EC2 instance of the account-Region with SSM Agent 3.2.582.0 or later and "
        "IMDSv2 a managed node without an instance profile (Default Host Management Configuration).",
        **p.BOOLEAN,
    )
    switched(
        t,
        t.add_condition("EnableDefaultHostManagement", Equals(Ref(enable), "true")),
        lambda t: default_host_management.add(t, member=True),
    )
    patch_now.add_execution_role(t, patch_now_administration.RECORD.file)
    return t


def switched(t: Template, condition: str, add: Callable[[Template], None]) -> None:
    """Run add(t), putting every resource and output it adds under `condition`."""
    resources, outputs = set(t.resources), set(t.outputs)
    add(t)
    for name in set(t.resources) - resources:
        t.resources[name].Condition = condition
    for name in set(t.outputs) - outputs:
        t.outputs[name].Condition = condition


RECORD = Record(
    "shared_member.yml",
    build,
    step=3,
    account="source",
    does="the sync, Default Host Management, patch now's role (one StackSet, every wave)",
    feeds=resource_data_sync.RECORD.feeds,
    examples=resource_data_sync.RECORD.examples,
    member=Member("Shared", "Shared (sync, Default Host Management, patch now)", "shared"),
)
