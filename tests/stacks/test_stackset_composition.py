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
from conftest import ROOT, WAVE_OUS, example, member_stacks

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


@pytest.mark.parametrize("ou", WAVE_OUS.values())
def test_one_account_region_gets_one_system_with_every_baseline(ou):
    """In every wave: every OS's baseline, and the one window, install task, scan and inventory
    association of that wave only, on the wave's own schedule."""
    stacks = member_stacks(ou=ou)
    counts = composition(stacks)
    print(f"\ncomposition of one account-Region in {ou}: " + json.dumps(counts))
    from patch_templates.parts.baselines import OPERATING_SYSTEMS

    assert counts["patch baselines"] == len(OPERATING_SYSTEMS) > 1
    assert counts["maintenance windows"] == 1
    assert counts["install tasks"] == counts["most install tasks in one slot"] == 1
    assert counts["scan associations"] == counts["most scans on one target"] == 1
    assert counts["inventory associations"] == 1
    assert counts["e-mail subscriptions"] == 0
    # Every baseline registers the patch groups the one install task targets.
    (operations,) = (stack["Resources"] for sid, stack in stacks.items() if sid.startswith("PatchOperations"))
    (target,) = (
        r["Properties"]["Targets"] for r in operations.values() if r["Type"] == "AWS::SSM::MaintenanceWindowTarget"
    )
    assert target[0]["Key"] == "tag:Patch Group"
    for stack in stacks.values():
        for r in stack["Resources"].values():
            if r["Type"] == "AWS::SSM::PatchBaseline":
                assert set(target[0]["Values"]) <= set(r["Properties"]["PatchGroups"])
    # Alerts leave through EventBridge to the collector's bus that the example file names, not by e-mail.
    bus = example(stackset.RECORD)["pCentralEventBusArn"]
    forwarded = [r["Properties"]["Targets"][0]["Arn"] for r in operations.values() if r["Type"] == "AWS::Events::Rule"]
    assert forwarded and set(forwarded) == {bus}


if __name__ == "__main__":
    print(json.dumps(composition(member_stacks(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT)), indent=1))
