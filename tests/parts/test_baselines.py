"""Baselines that match practice: approved and rejected patch lists, a second and sooner
rule for security updates, non-security updates on Linux, Windows' compliance status for unapproved
security updates, and the OS's default baseline. Rendered offline with cloud-radar."""

import pytest
from conftest import check_constraint, render, template_dict

from patch_templates.deploy.preflight import violation
from patch_templates.parts import baselines
from patch_templates.stacks import patching

# The standalone templates: the StackSet's patching member has the same baseline of every OS under
# its own switch (tests/stacks/test_patching_member.py).
MEMBER = patching.RECORDS
EMAIL = {"pNotificationEmailAddress": "ops@example.com"}


def baseline(os_key: str, params: dict | None = None) -> dict:
    return render(MEMBER[os_key], {**EMAIL, **(params or {})})["Resources"]["PatchBaseline"]["Properties"]


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


# --- filters and names, through the standalone template of each operating system ------------------------

EMAIL = {"pNotificationEmailAddress": "ops@example.com"}


EXPECTED_FILTERS = {
    "windows": ("WINDOWS", ["PRODUCT", "CLASSIFICATION", "MSRC_SEVERITY"]),
    "amazon_linux_2023": ("AMAZON_LINUX_2023", ["PRODUCT", "CLASSIFICATION", "SEVERITY"]),
    "amazon_linux_2": ("AMAZON_LINUX_2", ["PRODUCT", "CLASSIFICATION", "SEVERITY"]),
    "redhat": ("REDHAT_ENTERPRISE_LINUX", ["PRODUCT", "CLASSIFICATION", "SEVERITY"]),
    "ubuntu": ("UBUNTU", ["PRODUCT", "PRIORITY"]),
    "debian": ("DEBIAN", ["PRODUCT", "PRIORITY"]),
    "suse": ("SUSE", ["PRODUCT", "CLASSIFICATION", "SEVERITY"]),
    "oracle_linux": ("ORACLE_LINUX", ["PRODUCT", "CLASSIFICATION", "SEVERITY"]),
    "rocky_linux": ("ROCKY_LINUX", ["PRODUCT", "CLASSIFICATION", "SEVERITY"]),
    "alma_linux": ("ALMA_LINUX", ["PRODUCT", "CLASSIFICATION", "SEVERITY"]),
    "centos": ("CENTOS", ["PRODUCT", "CLASSIFICATION", "SEVERITY"]),
    "macos": ("MACOS", ["PRODUCT", "CLASSIFICATION"]),
}


def test_every_supported_operating_system_of_the_schema_is_covered_or_left_out_with_a_reason():
    covered = {os.operating_system for os in baselines.OPERATING_SYSTEMS.values()}
    assert covered == {value for value, _ in EXPECTED_FILTERS.values()}
    assert covered | set(baselines.LEFT_OUT) == set(patch_baseline_schema()["properties"]["OperatingSystem"]["enum"])
    assert not covered & set(baselines.LEFT_OUT) and all(baselines.LEFT_OUT.values())


@pytest.mark.parametrize("os_key", EXPECTED_FILTERS)
def test_baseline_filters_per_operating_system(os_key):
    record = patching.RECORDS[os_key]
    operating_system, keys = EXPECTED_FILTERS[os_key]
    baseline = template_dict(record)["Resources"]["PatchBaseline"]["Properties"]
    assert baseline["OperatingSystem"] == operating_system
    rule = baseline["ApprovalRules"]["PatchRules"][0]
    filters = rule["PatchFilterGroup"]["PatchFilters"]
    assert [f["Key"] for f in filters] == keys
    parameters = template_dict(record)["Parameters"]
    for f in filters:
        parameter = parameters[f["Values"]["Ref"]]
        assert parameter["Type"] == "CommaDelimitedList"
        assert check_default(parameter), (record.file, f["Key"])
    assert rule["ComplianceLevel"] == {"Ref": "pComplianceLevel"}
    assert baseline["PatchGroups"] == {"Ref": "pPatchGroups"}
    assert ("ApproveAfterDays" in rule) == (os_key not in ("ubuntu", "debian")) == ("pApproveAfterDays" in parameters)


def patch_baseline_schema() -> dict:
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    return PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", "AWS::SSM::PatchBaseline").schema


def check_default(parameter: dict) -> bool:

    return violation(parameter, parameter["Default"]) is None


def test_filter_values_are_each_operating_systems_own():
    values = {
        key: set(template_dict(patching.RECORDS[key])["Parameters"]["pSeverity"]["AllowedValues"])
        for key, os in baselines.OPERATING_SYSTEMS.items()
        if os.severity
    }
    assert "Moderate" in values["windows"] and "Medium" not in values["windows"]  # MSRC severities
    assert "Medium" in values["amazon_linux_2023"] and "Moderate" not in values["amazon_linux_2023"]
    assert "Moderate" in values["redhat"]
    assert "Required" in values["ubuntu"]  # Debian priorities
    product = template_dict(patching.RECORDS["amazon_linux_2023"])["Parameters"]["pProduct"]["AllowedValues"]
    assert "WindowsServer2019" not in product


def test_rendered_baseline_names_and_lists():
    baseline = render(
        patching.RECORDS["redhat"],
        {**EMAIL, "pSeverity": "Critical,Important,Moderate", "pPatchGroups": "Production,Staging"},
    )
    properties = baseline["Resources"]["PatchBaseline"]["Properties"]
    assert properties["Name"] == "Enquizit-myPatchBaseline-redhat"
    assert properties["PatchGroups"] == ["Production", "Staging"]
    severity = properties["ApprovalRules"]["PatchRules"][0]["PatchFilterGroup"]["PatchFilters"][2]
    assert severity == {"Key": "SEVERITY", "Values": ["Critical", "Important", "Moderate"]}
    assert {"Key": "Organization", "Value": "Enquizit"} in properties["Tags"]


# Filter values of another operating system are refused.
FILTERS = {
    "windows": {
        "pProduct": (
            ["WindowsServer2019", "WindowsServer2016,WindowsServer2022", "*"],
            ["AmazonLinux2023", "windowsserver2019", "WindowsServer2019,"],
        ),
        "pSeverity": (["Critical", "Critical,Important"], ["Medium", "High"]),
        "pClassification": (["CriticalUpdates", "SecurityUpdates,Updates"], ["Security", "Bugfix"]),
    },
    "amazon_linux_2023": {
        "pProduct": (["AmazonLinux2023"], ["AmazonLinux2", "WindowsServer2019"]),
        "pSeverity": (["Critical,Important", "Low"], ["Moderate", "Required"]),
        "pClassification": (["Security,Bugfix"], ["SecurityUpdates"]),
    },
    "amazon_linux_2": {
        "pProduct": (["AmazonLinux2.0", "*"], ["AmazonLinux2023", "AmazonLinux2018.03"]),
        "pSeverity": (["Medium"], ["Moderate"]),
        "pClassification": (["Newpackage"], ["CriticalUpdates"]),
    },
    "redhat": {
        "pProduct": (
            [
                "RedhatEnterpriseLinux9.4",
                "RedhatEnterpriseLinux7.9,RedhatEnterpriseLinux8.10",
                "*",
                "RedhatEnterpriseLinux10.0",
            ],
            ["RHEL9", "RedhatEnterpriseLinux", "RockyLinux9.4", "RedhatEnterpriseLinux9.4,"],
        ),
        "pSeverity": (["Moderate,Low"], ["Medium"]),
        "pClassification": (["Security,Bugfix,Enhancement"], ["security"]),
    },
    "ubuntu": {
        "pProduct": (["Ubuntu22.04,Ubuntu24.04", "Ubuntu25.04"], ["Ubuntu22", "ubuntu22.04", "Debian12"]),
        "pSeverity": (["Required,Important", "Extra"], ["Critical", "Low"]),
    },
    "debian": {
        "pProduct": (["Debian12", "Debian11,Debian12", "*"], ["Debian", "Ubuntu22.04", "debian12"]),
        "pSeverity": (["*", "Required"], ["Critical", "required"]),
    },
    "suse": {
        "pProduct": (["Suse15.6", "*"], ["SLES15", "Suse"]),
        "pSeverity": (["Critical,Important", "Moderate"], ["Medium"]),
        "pClassification": (["Security,Recommended", "Yast"], ["Bugfix", "SecurityUpdates"]),
    },
    "oracle_linux": {
        "pProduct": (["OracleLinux9.4", "OracleLinux8"], ["OL9", "RedhatEnterpriseLinux9.4"]),
        "pSeverity": (["Important,Moderate"], ["Medium"]),
        "pClassification": (["Security,Bugfix"], ["CriticalUpdates"]),
    },
    "rocky_linux": {
        "pProduct": (["RockyLinux9.4"], ["Rocky9", "AlmaLinux9.4"]),
        "pSeverity": (["Critical"], ["Medium"]),
        "pClassification": (["Security"], ["Yast"]),
    },
    "alma_linux": {
        "pProduct": (["AlmaLinux8.10"], ["Alma8", "RockyLinux8.10"]),
        "pSeverity": (["Low"], ["Required"]),
        "pClassification": (["Newpackage"], ["Feature"]),
    },
    "centos": {
        "pProduct": (["CentOSStream9", "CentOS9", "*"], ["Stream9", "CentOS"]),
        "pSeverity": (["*"], ["Medium"]),
        "pClassification": (["*", "Security"], ["Yast"]),
    },
    "macos": {
        "pProduct": (["MacOS14.x", "MacOS13.7", "*"], ["macOS14", "Sonoma"]),
        "pClassification": (["Security", "*"], ["Bugfix", "SecurityUpdates"]),
    },
}


@pytest.mark.parametrize("os_key", FILTERS)
def test_filter_parameters_refuse_other_operating_systems_values(os_key):
    record = patching.RECORDS[os_key]
    for parameter, (good, bad) in FILTERS[os_key].items():
        check_constraint(record, parameter, good, bad)
    assert set(FILTERS[os_key]) == {"pProduct", "pSeverity", "pClassification"} & set(
        template_dict(record)["Parameters"]
    )
