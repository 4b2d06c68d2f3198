"""Baselines that match practice (issue 11): approved and rejected patch lists, a second and sooner
rule for security updates, non-security updates on Linux, Windows' compliance status for unapproved
security updates, and the OS's default baseline. Rendered offline with cloud-radar."""

import pytest
from conftest import check_constraint, render, template_dict

from patch_templates.parts import baselines
from patch_templates.stacks import patch_baseline

MEMBER = {key: patch_baseline.RECORDS[key] for key in baselines.OPERATING_SYSTEMS}


def baseline(os_key: str, params: dict | None = None) -> dict:
    return render(MEMBER[os_key], params or {})["Resources"]["PatchBaseline"]["Properties"]


def rules(properties: dict) -> list[dict]:
    # cloud-radar leaves an Fn::If that chose AWS::NoValue in a list as ""; CloudFormation drops it.
    return [rule for rule in properties["ApprovalRules"]["PatchRules"] if rule != ""]


def test_defaults_add_nothing_to_the_design_baseline():
    properties = baseline("windows")
    assert len(rules(properties)) == 1
    for absent in ("ApprovedPatches", "RejectedPatches", "AvailableSecurityUpdatesComplianceStatus"):
        assert absent not in properties, absent
    assert properties["DefaultBaseline"] is False
    assert properties["RejectedPatchesAction"] == "ALLOW_AS_DEPENDENCY"
    assert "EnableNonSecurity" not in rules(properties)[0]  # Windows: Linux-only property


def test_patch_lists_and_action_reach_the_baseline():
    properties = baseline(
        "windows",
        {"pApprovedPatches": "KB5031364,MS17-023", "pRejectedPatches": "KB2736693", "pRejectedPatchesAction": "BLOCK"},
    )
    assert properties["ApprovedPatches"] == ["KB5031364", "MS17-023"]
    assert properties["RejectedPatches"] == ["KB2736693"]
    assert properties["RejectedPatchesAction"] == "BLOCK"
    linux = baseline("redhat", {"pRejectedPatches": "kernel*,openssl-1:1.1.1k-7.el8.x86_64"})
    assert linux["RejectedPatches"] == ["kernel*", "openssl-1:1.1.1k-7.el8.x86_64"] and "ApprovedPatches" not in linux


@pytest.mark.parametrize(
    "os_key,classification",
    [("windows", "SecurityUpdates"), ("redhat", "Security"), ("suse", "Security"), ("macos", "Security")],
)
def test_security_updates_get_a_second_sooner_rule(os_key, classification):
    properties = baseline(os_key, {"pSecurityApproveAfterDays": "2", "pApproveAfterDays": "14"})
    main, security = rules(properties)
    assert main["ApproveAfterDays"] == 14 or main["ApproveAfterDays"] == "14"
    assert str(security["ApproveAfterDays"]) == "2"
    filters = {f["Key"]: f["Values"] for f in security["PatchFilterGroup"]["PatchFilters"]}
    main_filters = {f["Key"]: f["Values"] for f in main["PatchFilterGroup"]["PatchFilters"]}
    assert filters["CLASSIFICATION"] == [classification]
    # Same products and severities as the main rule: only the classification and the delay differ.
    assert {k: v for k, v in filters.items() if k != "CLASSIFICATION"} == {
        k: v for k, v in main_filters.items() if k != "CLASSIFICATION"
    }
    assert "EnableNonSecurity" not in security or security["EnableNonSecurity"] is False


@pytest.mark.parametrize("os_key", ["ubuntu", "debian", "centos"])
def test_no_security_rule_where_it_cannot_work(os_key):
    """Ubuntu and Debian take no approval delay (PatchRule); CentOS Stream has no security metadata."""
    assert "pSecurityApproveAfterDays" not in template_dict(MEMBER[os_key])["Parameters"]


@pytest.mark.parametrize("os_key", [k for k, os in baselines.OPERATING_SYSTEMS.items() if os.non_security])
def test_non_security_updates_on_linux_when_asked(os_key):
    if baselines.OPERATING_SYSTEMS[os_key].non_security == baselines.ALWAYS:
        assert rules(baseline(os_key))[0]["EnableNonSecurity"] is True
        assert "pEnableNonSecurity" not in template_dict(MEMBER[os_key])["Parameters"]
        return
    assert rules(baseline(os_key))[0]["EnableNonSecurity"] is False
    assert rules(baseline(os_key, {"pEnableNonSecurity": "true"}))[0]["EnableNonSecurity"] is True


def test_non_security_is_linux_only_and_centos_always_has_it():
    asked = {k for k, os in baselines.OPERATING_SYSTEMS.items() if os.non_security == baselines.ASK}
    assert "windows" not in asked and "macos" not in asked and "ubuntu" in asked and "redhat" in asked
    assert baselines.OPERATING_SYSTEMS["centos"].non_security == baselines.ALWAYS


def test_windows_reports_unapproved_security_updates_as_asked():
    assert (
        baseline("windows", {"pAvailableSecurityUpdatesComplianceStatus": "NON_COMPLIANT"})[
            "AvailableSecurityUpdatesComplianceStatus"
        ]
        == "NON_COMPLIANT"
    )
    assert "pAvailableSecurityUpdatesComplianceStatus" not in template_dict(MEMBER["redhat"])["Parameters"]


@pytest.mark.parametrize("os_key", ["windows", "ubuntu", "macos"])
def test_baseline_can_be_its_operating_systems_default(os_key):
    assert baseline(os_key, {"pDefaultBaseline": "true"})["DefaultBaseline"] is True


# parameter -> (good values, bad values); Windows patch ids differ from the others'.
NEW = {
    "pDefaultBaseline": (["true", "false"], ["True", "yes", ""]),
    "pSecurityApproveAfterDays": (["none", "0", "3", "360"], ["", "-1", "361", "3.5", "None", "seven"]),
    "pEnableNonSecurity": (["true", "false"], ["TRUE", "1", ""]),
    "pAvailableSecurityUpdatesComplianceStatus": (
        ["none", "COMPLIANT", "NON_COMPLIANT"],
        ["", "compliant", "UNSPECIFIED"],
    ),
    "pRejectedPatchesAction": (["ALLOW_AS_DEPENDENCY", "BLOCK"], ["", "block", "DENY"]),
}
FIFTY_ONE = ",".join(f"KB{5000000 + i}" for i in range(51))
PATCH_LISTS = {
    "windows": (
        ["none", "KB5031364", "KB5031364,MS17-023", FIFTY_ONE.rsplit(",", 1)[0]],
        ["", "5031364", "KB12", "kernel*", "KB5031364,", "KB5031364 ,MS17-023", "none,KB5031364", FIFTY_ONE],
    ),
    "redhat": (
        ["none", "dbus.x86_64", "dbus-1:1.12.28-1.amzn2023.0.1.x86_64,kernel*", "RHSA-2017:0864", "CVE-2018-1234567"],
        ["", "dbus x86_64", "a;b", "x" * 101, "dbus,", ",".join(["p"] * 51)],
    ),
}


def bad_values_tried() -> int:
    return sum(len(bad) for _, bad in NEW.values()) + 2 * sum(len(bad) for _, bad in PATCH_LISTS.values())


@pytest.mark.parametrize("os_key", baselines.OPERATING_SYSTEMS)
def test_new_baseline_parameters_refuse_bad_values(os_key):
    parameters = template_dict(MEMBER[os_key])["Parameters"]
    for name, (good, bad) in NEW.items():
        if name in parameters:
            check_constraint(MEMBER[os_key], name, good, bad)
    lists = PATCH_LISTS["windows" if os_key == "windows" else "redhat"]
    for name in ("pApprovedPatches", "pRejectedPatches"):
        check_constraint(MEMBER[os_key], name, *lists)


def test_bad_value_count():
    print(f"\nbad values tried on the new baseline parameters: {bad_values_tried()}")
    assert bad_values_tried() >= 40


def test_the_coverage_table_lists_every_operating_system_with_its_filter_keys():
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "operating-systems.md").read_text()
    rows = {line.split("|")[1].strip(): line for line in page.splitlines() if line.startswith("| `")}
    covered = {os.operating_system: os for os in baselines.OPERATING_SYSTEMS.values()}
    for value, os in covered.items():
        (row,) = (line for cell, line in rows.items() if cell.startswith(f"`{value}`"))
        for f in (os.classification, os.severity):
            if f and f.key != "CLASSIFICATION":
                assert f"{f.key}:" in row, (value, f.key)
    for value in baselines.LEFT_OUT:
        assert any(cell == f"`{value}`" for cell in rows), value
    assert (
        f"## Operating systems: {len(covered)} of the {len(covered) + len(baselines.LEFT_OUT)} the schema lists" in page
    )
