"""The upgrade from the 41 StackSets of the earlier template (tests/data/stacksets_before.json: their
logical ids and names) to the two members, as docs/organization.md "Upgrading from the per-OS
StackSets" plans it.

An update of the parent stack creates the StackSets of new logical ids first and deletes those it
no longer has in its cleanup phase ("Update behaviors of stack resources", CloudFormation user
guide), so every old StackSet is deleted only after every new one is in place. What overlaps in an
account-Region meanwhile, and the one thing that needs an order of steps: Default Host Management,
whose setting the old stack's custom resource resets on delete."""

import json
from pathlib import Path

from conftest import template_dict

from patch_templates.lambdas import default_host_management as dhmc
from patch_templates.stacks import stackset

BEFORE = json.loads((Path(__file__).resolve().parents[1] / "data" / "stacksets_before.json").read_text())


def after() -> dict[str, dict]:
    return {
        logical_id: {"name": r["Properties"]["StackSetName"]["Fn::Sub"], "condition": r.get("Condition")}
        for logical_id, r in template_dict(stackset.RECORD)["Resources"].items()
    }


def test_every_old_stackset_is_deleted_after_the_new_ones_are_created_and_no_name_is_reused():
    new = after()
    assert len(BEFORE) == 41 and len(new) == 4
    assert not set(BEFORE) & set(new)  # no StackSet is updated in place: created, then the old deleted
    assert not {s["name"] for s in BEFORE.values()} & {s["name"] for s in new.values()}  # names free
    deleted_first = {k for k, s in BEFORE.items() if s["name"].endswith("default-host-management")}
    assert deleted_first == {"DefaultHostManagementStackSet"}  # the step before the upgrade


class Ssm:
    """The DHMC service setting of one account-Region."""

    def __init__(self):
        self.value = dhmc.UNSET

    def get_service_setting(self, SettingId):
        return {"ServiceSetting": {"SettingValue": self.value}}

    def update_service_setting(self, SettingId, SettingValue):
        self.value = SettingValue

    def reset_service_setting(self, SettingId):
        self.value = dhmc.UNSET


class Request:
    """What dhmc.apply uses of custom_resource.Request."""

    def __init__(self, ssm: Ssm, kind: str, role: str):
        self.ssm, self.physical_id = ssm, dhmc.CREATED
        self.event = {"RequestType": kind, "ResourceProperties": {"RoleValue": role}}

    def client(self, service):
        return self.ssm

    def call(self, method, **params):
        return method(**params)


def run(ssm: Ssm, steps: list[tuple[str, str]]) -> str:
    for kind, role in steps:
        dhmc.apply(Request(ssm, kind, role))
    return ssm.value


OLD, NEW = "service-role/old-stack-role", "service-role/shared-member-role"


def test_default_host_management_needs_its_old_stackset_deleted_before_the_upgrade():
    """In one update the new stack is created first: it leaves the old stack's role, which the old
    stack then resets, so DHMC ends off. Switching the old StackSet off first (step 1), then
    upgrading (step 2), ends with the new role."""
    assert run(Ssm(), [("Create", OLD), ("Create", NEW), ("Delete", OLD)]) == dhmc.UNSET
    assert run(Ssm(), [("Create", OLD), ("Delete", OLD), ("Create", NEW)]) == NEW
