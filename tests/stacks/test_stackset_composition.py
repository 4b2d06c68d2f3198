"""What ONE source account-Region gets from the StackSet: render the StackSet template with
every member switched on and the example parameter file, then render each member body with the
values its StackSet passes (cloud-radar), and count.

`PYTHONPATH=tests python tests/stacks/test_stackset_composition.py [REPO]` prints the counts for the
repository REPO (default: this one), so the figures before and after a change are measured the same way.
"""

import json
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import ROOT, WAVE_OUS, example, member_stacks, template_dict

from patch_templates.parts.baselines import OPERATING_SYSTEMS
from patch_templates.stacks import stackset


def composition(stacks: dict[str, dict]) -> dict[str, int]:
    """Counts over every member stack of one account-Region. A slot is a (schedule, time zone,
    targets) pair: two install tasks in one slot patch the same nodes at the same time."""
    resources = [r for stack in stacks.values() for r in stack["Resources"].values()]
    props = [(r["Type"], r.get("Properties", {})) for r in resources]
    windows = {
        (logical_id, sid): r["Properties"]
        for sid, stack in stacks.items()
        for logical_id, r in stack["Resources"].items()
        if r["Type"] == "AWS::SSM::MaintenanceWindow"
    }
    targets = {
        (logical_id, sid): r["Properties"]
        for sid, stack in stacks.items()
        for logical_id, r in stack["Resources"].items()
        if r["Type"] == "AWS::SSM::MaintenanceWindowTarget"
    }
    install_slots, scans = Counter(), Counter()
    for sid, stack in stacks.items():
        for r in stack["Resources"].values():
            p = r.get("Properties", {})
            if r["Type"] == "AWS::SSM::MaintenanceWindowTask":
                window = windows[(p["WindowId"], sid)]
                for target_id in p["Targets"][0]["Values"]:
                    nodes = json.dumps(targets[(target_id, sid)]["Targets"], sort_keys=True)
                    install_slots[(window["Schedule"], window.get("ScheduleTimezone"), nodes)] += 1
            if (
                r["Type"] == "AWS::SSM::Association"
                and p["Name"].startswith("AWS-RunPatchBaseline")
                and p.get("Parameters", {}).get("Operation") == ["Scan"]
            ):
                scans[json.dumps(p["Targets"], sort_keys=True)] += 1
    return {
        "member stacks": len(stacks),
        "patch baselines": sum(t == "AWS::SSM::PatchBaseline" for t, _ in props),
        "maintenance windows": len(windows),
        "install tasks": sum(install_slots.values()),
        "most install tasks in one slot": max(install_slots.values(), default=0),
        "scan associations": sum(scans.values()),
        "most scans on one target": max(scans.values(), default=0),
        "inventory associations": sum(
            t == "AWS::SSM::Association" and p["Name"] == "AWS-GatherSoftwareInventory" for t, p in props
        ),
        "e-mail subscriptions": sum(t == "AWS::SNS::Subscription" and p.get("Protocol") == "email" for t, p in props),
    }


@pytest.mark.parametrize("wave,ou", list(enumerate(WAVE_OUS.values(), start=1)))
def test_one_account_region_gets_two_stacks_and_one_system_with_every_baseline(wave, ou):
    """In every wave: two member stacks (its wave's patching member and the shared one), every OS's
    baseline, and the one window, install task, scan and inventory association of that wave only."""
    stacks = member_stacks(ou=ou)
    counts = composition(stacks)
    print(f"\ncomposition of one account-Region in {ou}: " + json.dumps(counts))
    assert set(stacks) == {"SharedStackSet", "PatchingStackSet" if wave == 1 else f"PatchingWave{wave}StackSet"}
    assert counts["member stacks"] == 2
    assert counts["patch baselines"] == len(OPERATING_SYSTEMS) > 1
    assert counts["maintenance windows"] == 1
    assert counts["install tasks"] == counts["most install tasks in one slot"] == 1
    assert counts["scan associations"] == counts["most scans on one target"] == 1
    assert counts["inventory associations"] == 1
    assert counts["e-mail subscriptions"] == 0
    (patching,) = (stack["Resources"] for sid, stack in stacks.items() if sid.startswith("Patching"))
    # Without a tag: the window targets every EC2 instance, the scan and inventory every managed node.
    (target,) = (r["Properties"] for r in patching.values() if r["Type"] == "AWS::SSM::MaintenanceWindowTarget")
    assert target["ResourceType"] == "RESOURCE_GROUP"
    assert target["Targets"] == [{"Key": "resource-groups:ResourceTypeFilters", "Values": ["AWS::EC2::Instance"]}]
    associations = [r["Properties"] for r in patching.values() if r["Type"] == "AWS::SSM::Association"]
    assert [a["Targets"] for a in associations] == [[{"Key": "InstanceIds", "Values": ["*"]}]] * 2
    # So every baseline is its OS's default (untagged nodes are in no patch group), registered for
    # the deployment's and wave's own patch group.
    for r in patching.values():
        if r["Type"] == "AWS::SSM::PatchBaseline":
            assert r["Properties"]["DefaultBaseline"] is True
            assert r["Properties"]["PatchGroups"] == [f"patch-management-wave{wave}"]
    # Alerts leave through EventBridge to the collector's bus that the example file names, not by e-mail.
    bus = example(stackset.RECORD)["pCentralEventBusArn"]
    forwarded = [r["Properties"]["Targets"][0]["Arn"] for r in patching.values() if r["Type"] == "AWS::Events::Rule"]
    assert forwarded and set(forwarded) == {bus}


def test_stack_sets_and_stack_instances_at_1000_accounts_in_4_regions():
    """With every wave on: waves + 1 StackSets, 2 stack instances per account-Region."""
    stack_sets = [r for r in template_dict(stackset.RECORD)["Resources"].values() if r["Type"].endswith("StackSet")]
    per_account_region = {len(member_stacks(ou=ou)) for ou in WAVE_OUS.values()}
    instances = 1000 * 4 * max(per_account_region)
    print(f"\nStackSets: {len(stack_sets)}; stack instances at 1,000 accounts x 4 Regions: {instances:,}")
    assert len(stack_sets) == len(stackset.WAVES) + 2 == 4
    assert per_account_region == {2} and instances == 8000


if __name__ == "__main__":
    print(json.dumps(composition(member_stacks(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT)), indent=1))
