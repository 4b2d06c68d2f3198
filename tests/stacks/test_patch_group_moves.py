"""Moving an account between waves, upgrading from the earlier per-OS StackSets, and an account's own
patch groups: the patch baselines' registrations in one account-Region, step by step.

A small state model of one account-Region (its default baseline per OS, its patch group
registrations), driven by what the AWS::SSM::PatchBaseline handlers do
(aws-cloudformation/aws-cloudformation-resource-providers-ssm, aws-ssm-patchbaseline):
- CreateHandler creates the baseline, registers it for each of PatchGroups
  (RegisterPatchBaselineForPatchGroup, which fails with AlreadyExistsException when the patch group
  already has a baseline for that OS), then, when DefaultBaseline is true, makes it the default
  (RegisterDefaultPatchBaseline, which replaces whatever default there was);
- DeleteHandler deregisters the baseline from each of its patch groups, then deletes it, and leaves
  the default alone: a default that is deleted points to a baseline that is gone until another
  is registered (what Patch Manager then applies is not documented: the model calls it a gap).
The baselines come from the patching member as the StackSet renders it for each wave (every OS on).
"""

from dataclasses import dataclass, field

import pytest
from conftest import WAVE_OUS, member_stacks


class AlreadyExists(Exception):
    pass


@dataclass
class AccountRegion:
    defaults: dict[str, str] = field(default_factory=dict)  # OS -> baseline id
    groups: dict[tuple[str, str], str] = field(default_factory=dict)  # (patch group, OS) -> baseline id
    baselines: dict[str, dict] = field(default_factory=dict)  # baseline id -> its properties

    def create(self, stack: str, baselines: dict[str, dict]) -> None:
        for logical_id, properties in baselines.items():
            baseline, os = f"{stack}/{logical_id}", properties["OperatingSystem"]
            self.baselines[baseline] = properties
            for group in properties.get("PatchGroups", []):
                if (group, os) in self.groups:
                    raise AlreadyExists(f"{group} already has a baseline for {os}")
                self.groups[(group, os)] = baseline
            if properties.get("DefaultBaseline"):
                self.defaults[os] = baseline

    def delete(self, stack: str, baselines: dict[str, dict]) -> None:
        for logical_id, properties in baselines.items():
            baseline = f"{stack}/{logical_id}"
            for group in properties.get("PatchGroups", []):
                del self.groups[(group, properties["OperatingSystem"])]
            del self.baselines[baseline]

    def untagged_nodes_use(self, os: str) -> str:
        """The baseline a node in no patch group is patched with: its OS's default."""
        default = self.defaults.get(os, "AWS predefined")
        return default if default == "AWS predefined" or default in self.baselines else "gap"


def baselines(wave: int) -> dict[str, dict]:
    """The patching member's baselines in an account-Region of this wave, as the StackSet deploys them."""
    stacks = member_stacks(ou=list(WAVE_OUS.values())[wave - 1])
    (patching,) = (stack for name, stack in stacks.items() if name.startswith("Patching"))
    return {
        name: r["Properties"] for name, r in patching["Resources"].items() if r["Type"] == "AWS::SSM::PatchBaseline"
    }


def ours(account: AccountRegion, stack: str, wave_baselines: dict[str, dict]) -> bool:
    """Every OS's untagged nodes use this stack's baseline."""
    return all(
        account.untagged_nodes_use(p["OperatingSystem"]) == f"{stack}/{name}" for name, p in wave_baselines.items()
    )


@pytest.mark.parametrize("new_first", [True, False], ids=["new stack created first", "old stack deleted first"])
def test_moving_an_account_from_wave_1_to_wave_2_ends_working_in_either_order(new_first):
    wave1, wave2 = baselines(1), baselines(2)
    account = AccountRegion()
    account.create("wave1", wave1)
    assert ours(account, "wave1", wave1)
    steps = [("create", "wave2", wave2), ("delete", "wave1", wave1)]
    seen = []
    for action, stack, properties in steps if new_first else reversed(steps):
        getattr(account, action)(stack, properties)
        seen.append({account.untagged_nodes_use(p["OperatingSystem"]) for p in wave2.values()})
    assert ours(account, "wave2", wave2)
    assert set(account.groups) == {("patch-management-wave2", p["OperatingSystem"]) for p in wave2.values()}
    # Between the two steps: created first, wave 2's baselines already apply; deleted first, a gap
    # until the new stack's baselines are created (no window of either wave runs in it: none exists).
    assert seen[0] == ({f"wave2/{name}" for name in wave2} if new_first else {"gap"})


def test_an_accounts_own_patch_group_and_a_second_deployment_do_not_collide():
    account = AccountRegion()
    account.create("own", {"Mine": {"OperatingSystem": "WINDOWS", "PatchGroups": ["Production"]}})
    other = {name: dict(p, PatchGroups=["org-b-wave1"]) for name, p in baselines(1).items()}
    account.create("org-b", other)  # another deployment, another pStackSetNamePrefix
    account.create("wave1", baselines(1))
    assert account.groups[("Production", "WINDOWS")] == "own/Mine"
    assert ours(account, "wave1", baselines(1))  # the last created is the default


def test_upgrading_from_the_per_os_stacksets_with_the_new_stack_created_first():
    """The earlier members registered every baseline for Production, not as the default: the new
    member's groups differ, so it is created beside them and the old ones are deleted after."""
    old = {name: dict(p, PatchGroups=["Production"], DefaultBaseline=False) for name, p in baselines(1).items()}
    account = AccountRegion()
    for name, properties in old.items():
        account.create(f"old-{name}", {"PatchBaseline": properties})
    account.create("wave1", baselines(1))
    for name, properties in old.items():
        account.delete(f"old-{name}", {"PatchBaseline": properties})
    assert ours(account, "wave1", baselines(1))


def test_one_patch_group_for_every_wave_would_collide():
    """Why the patch group is per wave: with the same value in two waves, a move that creates the
    new stack first fails on its first registration."""
    same = {name: dict(p, PatchGroups=["Production"]) for name, p in baselines(1).items()}
    account = AccountRegion()
    account.create("wave1", same)
    with pytest.raises(AlreadyExists, match="Production already has a baseline for"):
        account.create("wave2", same)
