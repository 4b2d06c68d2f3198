"""The StackSet template (stacks/stackset.py): the organization rollout by service-managed StackSets."""

import json
from pathlib import Path

import pytest
from cfnlint.decode import decode_str
from conftest import check_constraint, render, rules_refusing, template_dict
from troposphere import Parameter, Template, iam

from patch_templates.builder import BuildError, render as render_yaml
from patch_templates.deploy.preflight import violation
from patch_templates.parts.baselines import OPERATING_SYSTEMS, PER_OS_PARAMETERS as PER_OS
from patch_templates.stacks import (
    RECORDS,
    patching_member,
    resource_data_sync,
    shared_member,
    stackset,
)
from patch_templates.stacks.record import Member, Record

NAME = stackset.RECORD
OUTPUT = Path(__file__).resolve().parents[2] / "output"
REQUIRED = {
    "pOrganizationalUnitIds": "ou-ab12-cdefgh34,r-ab12",
    "pRegions": "us-east-1,eu-west-1",
    "pResourceDataSyncBucketName": "central-inventory-bucket",
    "pCollectorAccountId": "111122223333",
    "pCentralEventBusArn": "arn:aws:events:us-east-1:111122223333:event-bus/patch-alerts",
    "pWave2OrganizationalUnitIds": "none",
    "pWave3OrganizationalUnitIds": "none",
    "pTemplateBucketName": "org-templates-bucket",
}
MEMBERS = {f"{record.member.key}StackSet": record for record in stackset.MEMBERS}


def member(key: str, build) -> Record:
    """A stand-in member of the StackSet, built by `build`."""
    return Record(f"{key.lower()}.yml", build, step=3, account="source", does=key, member=Member(key, key, key.lower()))


def stack_sets(params: dict | None = None) -> dict:
    """logical id -> properties of each StackSet the stack creates with these parameter values."""
    resources = render(NAME, {**REQUIRED, **(params or {})})["Resources"]
    return {name: resource["Properties"] for name, resource in resources.items()}


def test_every_member_template_has_a_stack_set_and_is_registered():
    resources = template_dict(NAME)["Resources"]
    assert set(resources) == set(MEMBERS) | {
        f"{record.member.key}Wave{wave}StackSet"
        for record in stackset.MEMBERS
        if record.member.waves
        for wave in stackset.WAVES
    }
    assert set(stackset.MEMBERS) == {patching_member.RECORD, shared_member.RECORD}
    assert set(stackset.MEMBERS) == {record for record in RECORDS if record.member}


def test_members_are_the_linted_files_in_output_inline_or_by_a_url_that_changes_with_them(capsys):
    """cfn-lint does not look inside TemplateBody: prove each body is the member file it linted; a
    member over 51,200 bytes goes by TemplateURL under the key that constraints.json lists for upload,
    with that file's text hashed into it."""
    # Read the golden file as CloudFormation would, so the YAML block scalar must round-trip exactly.
    deployed, _ = decode_str((OUTPUT / NAME.file).read_text())
    uploads = json.loads((OUTPUT / "constraints.json").read_text())["uploads"][NAME.file]
    assert uploads["parameter"] == stackset.BUCKET
    sizes = {}
    for logical_id, record in MEMBERS.items():
        text = (OUTPUT / record.file).read_text()
        properties = deployed["Resources"][logical_id]["Properties"]
        sizes[record.file] = size = len(text.encode())
        if size <= stackset.TEMPLATE_BODY_LIMIT:
            assert properties["TemplateBody"] == text, record.file
            assert record.file not in uploads["files"].values()
            continue
        key = stackset.member_key(record, text)
        assert properties["TemplateURL"] == {
            "Fn::Sub": "https://${pTemplateBucketName}.s3.${AWS::Region}.${AWS::URLSuffix}/" + key
        }
        assert uploads["files"][key] == record.file
        # Room to spare: at least a tenth of the 1 MB limit of a template in S3.
        assert size <= 0.9 * stackset.TEMPLATE_URL_LIMIT, (record.file, size)
    assert {"TemplateURL", "TemplateBody"} <= {key for p in deployed["Resources"].values() for key in p["Properties"]}
    parent = len((OUTPUT / NAME.file).read_bytes())
    with capsys.disabled():
        print(
            f"\nparent {NAME.file} {parent:,} bytes (1 MB by URL); members (TemplateBody 51,200, TemplateURL 1 MB): "
            + ", ".join(f"{name} {size:,}" for name, size in sizes.items())
        )
    assert parent <= 0.9 * stackset.TEMPLATE_URL_LIMIT


def test_a_change_of_the_member_text_changes_its_url():
    text = (OUTPUT / patching_member.RECORD.file).read_text()
    keys = {
        stackset.member_key(patching_member.RECORD, t) for t in (text, text + "\n", text.replace("Enquizit", "Other"))
    }
    assert len(keys) == 3
    assert all(k.startswith("patch-templates/patching_member-") and k.endswith(".yml") for k in keys)


def oversized_template() -> Template:
    t = Template(Description="too big")
    t.add_resource(
        iam.ManagedPolicy(
            "Big",
            Description="x" * 1000,
            PolicyDocument={
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": f"S{i}",
                        "Effect": "Allow",
                        "Action": ["s3:GetObject"],
                        "Resource": [f"arn:aws:s3:::bucket-{i:05d}-{'y' * 20}/*"],
                    }
                    for i in range(1000)
                ],
            },
        )
    )
    return t


def test_build_fails_naming_the_member_that_is_too_big_even_for_a_url(monkeypatch):
    monkeypatch.setattr(stackset, "TEMPLATE_URL_LIMIT", stackset.TEMPLATE_BODY_LIMIT * 2)
    assert len(render_yaml(oversized_template()).encode()) > stackset.TEMPLATE_URL_LIMIT
    with pytest.raises(BuildError, match=r"big\.yml is [\d,]+ bytes, over the 102,400-byte limit of a template in S3"):
        stackset.build(members=(stackset.MEMBERS[-1], member("Big", oversized_template)))


def test_build_fails_naming_a_record_that_is_no_member():
    with pytest.raises(BuildError, match=r"many\.yml is not a StackSet member"):
        stackset.build(members=(Record("many.yml", Template, step=3, account="source", does="x"),))


def test_build_fails_when_the_members_need_more_than_200_parameters():
    def many() -> Template:
        t = Template()
        for i in range(200):
            t.add_parameter(Parameter(f"pMany{i}", Type="String", Default="x"))
        t.add_resource(iam.Group("Group"))
        return t

    with pytest.raises(BuildError, match=r"needs \d+ parameters, more than CloudFormation's 200"):
        stackset.build(members=(member("Many", many),))


def test_service_managed_with_automatic_deployment_to_the_target_ous_and_regions():
    for name, properties in stack_sets({"pDeployUbuntu": "true"}).items():
        assert properties["PermissionModel"] == "SERVICE_MANAGED"
        assert properties["CallAs"] == "SELF"
        assert properties["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
        assert properties["ManagedExecution"] == {"Active": True}
        # cloud-radar leaves "" for the groups of waves switched off; CloudFormation drops them.
        assert [group for group in properties["StackInstancesGroup"] if group] == [
            {
                "DeploymentTargets": {"OrganizationalUnitIds": ["ou-ab12-cdefgh34", "r-ab12"]},
                "Regions": ["us-east-1", "eu-west-1"],
            }
        ], name
        assert properties["StackSetName"] == "patch-management-" + MEMBERS[name].member.name
    delegated = stack_sets({"pCallAs": "DELEGATED_ADMIN", "pRetainStacksOnAccountRemoval": "true"})
    for properties in delegated.values():
        assert properties["CallAs"] == "DELEGATED_ADMIN"
        assert properties["AutoDeployment"]["RetainStacksOnAccountRemoval"] is True


def test_no_account_is_excluded_by_hand():
    """The collector account may be in the target OUs: its sync member skips itself (test_resource_data_sync)."""
    assert not [name for name in template_dict(NAME)["Parameters"] if "Exclude" in name]
    for properties in stack_sets().values():
        assert properties["StackInstancesGroup"][0]["DeploymentTargets"] == {
            "OrganizationalUnitIds": ["ou-ab12-cdefgh34", "r-ab12"]
        }
    sync = {item["ParameterKey"]: item["ParameterValue"] for item in stack_sets()["SharedStackSet"]["Parameters"]}
    assert sync["pCollectorAccountId"] == "111122223333"


def test_operation_preferences_come_from_parameters():
    resources = stack_sets(
        {
            "pRegionConcurrencyType": "SEQUENTIAL",
            "pMaxConcurrentPercentage": "50",
            "pFailureTolerancePercentage": "5",
            "pConcurrencyMode": "SOFT_FAILURE_TOLERANCE",
        }
    )
    for properties in resources.values():
        assert properties["OperationPreferences"] == {
            "RegionConcurrencyType": "SEQUENTIAL",
            "RegionOrder": ["us-east-1", "eu-west-1"],
            "MaxConcurrentPercentage": "50",
            "FailureTolerancePercentage": "5",
            "ConcurrencyMode": "SOFT_FAILURE_TOLERANCE",
        }


def test_two_stack_sets_without_waves_and_one_more_per_wave():
    assert set(stack_sets()) == {"PatchingStackSet", "SharedStackSet"}
    waves = {"pDeployWave2": "true", "pWave2OrganizationalUnitIds": "ou-ab12-22222222"}
    assert set(stack_sets(waves)) == {"PatchingStackSet", "PatchingWave2StackSet", "SharedStackSet"}
    outputs = render(NAME, {**REQUIRED, **waves})["Outputs"]
    assert set(outputs) == {"PatchingStackSetId", "PatchingWave2StackSetId", "SharedStackSetId"}
    # The operating systems are switched inside the patching member; Windows is on by default.
    parameters = template_dict(NAME)["Parameters"]
    assert {name for name, d in parameters.items() if name.startswith("pDeploy") and d["Default"] == "true"} == {
        "pDeployWindows"
    }


def test_capabilities_follow_the_members_iam_resources():
    resources = template_dict(NAME)["Resources"]
    for logical_id, record in MEMBERS.items():
        iam_resources = [r for r in template_dict(record)["Resources"].values() if r["Type"].startswith("AWS::IAM::")]
        named = any("RoleName" in r["Properties"] for r in iam_resources)
        expected = ["CAPABILITY_NAMED_IAM" if named else "CAPABILITY_IAM"] if iam_resources else None
        assert resources[logical_id]["Properties"].get("Capabilities") == expected, record.file
    # The patch-now execution role has a fixed name; the patching member's roles have none.
    assert resources["SharedStackSet"]["Properties"]["Capabilities"] == ["CAPABILITY_NAMED_IAM"]
    assert resources["PatchingStackSet"]["Properties"]["Capabilities"] == ["CAPABILITY_IAM"]


def test_member_parameters_pass_through_with_the_members_definitions():
    template = template_dict(NAME)
    for logical_id, record in MEMBERS.items():
        member_parameters = template_dict(record).get("Parameters", {})
        passed = template["Resources"][logical_id]["Properties"]["Parameters"]
        assert sorted(p["ParameterKey"] for p in passed) == sorted(member_parameters), record.file
        for item in passed:
            value = item["ParameterValue"]
            if item["ParameterKey"] in stackset.WAVE_VALUES:
                assert value == {"Fn::Sub": "${pStackSetNamePrefix}-wave1"}
                continue
            ref = value["Fn::Join"][1]["Ref"] if "Fn::Join" in value else value["Ref"]
            # Copied, not retyped: the StackSet template's parameter is the member's definition.
            assert template["Parameters"][ref] == member_parameters[item["ParameterKey"]], (record.file, ref)
            shared = ref == item["ParameterKey"]
            assert shared or ref == f"p{record.member.key}{item['ParameterKey'][1:]}"
            assert shared != any(
                template_dict(other).get("Parameters", {}).get(item["ParameterKey"])
                not in (None, member_parameters[item["ParameterKey"]])
                for other in stackset.MEMBERS
            )


def test_parameters_shared_where_alike_and_per_os_inside_the_patching_member():
    names = stackset.pass_through_names(stackset.built(stackset.MEMBERS))
    assert ("Patching", "pPatchGroups") not in names  # set per wave (test_patching_member.py)
    assert names[("Patching", "pOrganization")] == "pOrganization"
    assert names[("Patching", "pWindowsProduct")] == "pWindowsProduct"
    assert names[("Patching", "pAmazonLinux2023Severity")] == "pAmazonLinux2023Severity"
    assert names[("Patching", "pTargetsKey")] == "pTargetsKey"
    assert names[("Shared", "pSyncName")] == "pSyncName"
    assert set(names.values()) == {name for _, name in names}


def test_the_stackset_template_fits_200_parameters_with_room_for_more_operating_systems():
    """An operating system costs its pDeploy switch, its filter parameters and its patch lists (at
    most 6); 15 operating systems (every OperatingSystem of the PatchBaseline schema) would still fit."""
    parameters = template_dict(NAME)["Parameters"]
    per_os = {
        key: sum(name in parameters for name in (f"pDeploy{key}", *(f"p{key}{n[1:]}" for n in PER_OS)))
        for key in map(patching_member.key, OPERATING_SYSTEMS)
    }
    assert per_os["Windows"] == 6 and per_os["Ubuntu"] == 5 and max(per_os.values()) <= 6
    fixed = len(parameters) - sum(per_os.values())
    print(f"\nStackSet parameters: {len(parameters)} ({fixed} fixed + {per_os}); 15 OSes at 6 each: {fixed + 15 * 6}")
    assert fixed + 15 * 6 <= stackset.PARAMETER_LIMIT


def test_rendered_values_reach_the_member_parameters():
    parameters = template_dict(NAME)["Parameters"]
    products = ",".join([v for v in parameters["pWindowsProduct"]["AllowedValues"] if v != "*"][-2:])
    resources = stack_sets(
        {
            "pDeployUbuntu": "true",
            "pWindowsProduct": products,
            "pTargetsValue": "fleet-a,fleet-b",
            "pSchedule": "cron(0 2 ? * SUN *)",
            "pSyncName": "org-inventory",
        }
    )

    def value(logical_id, key):
        return {p["ParameterKey"]: p.get("ParameterValue") for p in resources[logical_id]["Parameters"]}[key]

    assert value("PatchingStackSet", "pWindowsProduct") == products
    assert value("PatchingStackSet", "pUbuntuProduct") == parameters["pUbuntuProduct"]["Default"]
    assert value("PatchingStackSet", "pTargetsValue") == "fleet-a,fleet-b"
    assert value("PatchingStackSet", "pSchedule") == "cron(0 2 ? * SUN *)"
    assert value("SharedStackSet", "pSyncName") == "org-inventory"
    assert value("SharedStackSet", "pResourceDataSyncBucketName") == "central-inventory-bucket"


def test_member_rules_are_checked_once_in_the_management_account():
    rules = template_dict(NAME)["Rules"]
    member_rules = template_dict(patching_member.RECORD)["Rules"]
    assert member_rules and all(rules[name] == rule for name, rule in member_rules.items())


def test_copied_rules_refuse_bad_combinations_before_any_stack_set_runs():
    assert rules_refusing(NAME, REQUIRED) == []
    assert rules_refusing(NAME, {**REQUIRED, "pDuration": "2", "pCutoff": "2"}) == ["CutoffBeforeEnd"]


def test_rules_follow_renamed_parameters():
    def other() -> Template:
        t = patching_member.build()
        t.parameters["pTaskType"].Description = "Defined differently, so asked per member."
        return t

    members = (member("Ops", patching_member.build), member("Other", other))
    rules = stackset.build(members=members).to_dict()["Rules"]
    assert rules["AutomationRoleOnlyForAutomation"]["Assertions"][0]["Assert"] == {
        "Fn::Equals": [{"Ref": "pOpsTaskType"}, "AUTOMATION"]
    }
    assert rules["OtherAutomationRoleOnlyForAutomation"]["Assertions"][0]["Assert"] == {
        "Fn::Equals": [{"Ref": "pOtherTaskType"}, "AUTOMATION"]
    }
    assert "pTaskType" not in str(rules)


def test_clashing_member_parameter_fails_the_build():
    def clash() -> Template:
        t = resource_data_sync.build()
        t.parameters["pRegions"] = Parameter("pRegions", Type="String", Default="us-east-1")
        return t

    with pytest.raises(BuildError, match="parameter pRegions clashes"):
        stackset.build(members=(member("Clash", clash),))


BAD_VALUES = {
    "pOrganizationalUnitIds": (
        ["ou-ab12-cdefgh34", "r-ab12", "ou-ab12-cdefgh34,ou-zz99-abcdefgh12,r-a1b2"],
        [
            "",
            "ou-ab12",
            "ou-ab-cdefgh34",
            "ou-ab12-cdefg",
            "OU-AB12-CDEFGH34",
            "r-ab1",
            "o-abcdefghij",
            "123456789012",
            "ou-ab12-cdefgh34,",
            "ou-ab12-cdefgh34, r-ab12",
        ],
    ),
    "pRegions": (
        ["us-east-1", "us-east-1,eu-west-1,ap-southeast-2,us-gov-west-1"],
        ["", "us-east-1,", "US-EAST-1", "us-east-1, eu-west-1", "useast1", "us-east"],
    ),
    "pMaxConcurrentPercentage": (["1", "25", "100"], ["0", "101", "-1", "12.5", "", "25%", "007"]),
    "pFailureTolerancePercentage": (["0", "10", "100"], ["101", "-1", "7.5", "", "10%", "00"]),
    "pCallAs": (["SELF", "DELEGATED_ADMIN"], ["", "self", "DELEGATED"]),
    "pRegionConcurrencyType": (["PARALLEL", "SEQUENTIAL"], ["", "parallel"]),
    "pConcurrencyMode": (["STRICT_FAILURE_TOLERANCE", "SOFT_FAILURE_TOLERANCE"], ["", "STRICT"]),
    "pRetainStacksOnAccountRemoval": (["true", "false"], ["", "True", "yes"]),
    "pDeployWindows": (["true", "false"], ["", "1"]),
    "pDeployAmazonLinux2023": (["true", "false"], ["", "on"]),
    "pTemplateBucketName": (
        ["org-templates-bucket", "a.b-c", "abc"],
        ["", "ab", "Org-Templates", "bucket_name", "-bucket", "bucket-", "a" * 64, "192.168.1.1"],
    ),
    "pStackSetNamePrefix": (
        ["patch-management", "p", "Org-1"],
        ["", "1patch", "patch_management", "patch mgmt", "a" * 65],
    ),
}


def test_parameters_refuse_bad_values():
    tried = sum(check_constraint(NAME, name, good, bad) for name, (good, bad) in BAD_VALUES.items())
    assert tried == sum(len(bad) for _, bad in BAD_VALUES.values())


def test_members_take_names_not_arns_of_one_account():
    """What the StackSet passes to every account names a role, function, state machine or bucket; the
    member builds ARNs in its own account and Region. The ARNs are the collector's: its KMS key and
    its central alert bus, the same for every account; and the key of the DHMC function's logs, whose
    Region each stack replaces with its own (a multi-Region key)."""
    arns = {
        (record, name)
        for record in stackset.MEMBERS
        for name, definition in template_dict(record).get("Parameters", {}).items()
        if "arn" in definition.get("AllowedPattern", "").lower()
    }
    assert arns == {
        (shared_member.RECORD, "pKMSKeyArn"),
        (patching_member.RECORD, "pCentralEventBusArn"),
        (shared_member.RECORD, "pLogsKMSKeyArn"),
    }


def test_no_member_parameter_rests_on_an_empty_value():
    """StackSets may refuse empty values: every member parameter refuses '' and defaults to a value."""
    for record in stackset.MEMBERS:
        for name, definition in template_dict(record).get("Parameters", {}).items():
            assert violation(definition, "") is not None, (record.file, name)
            assert str(definition.get("Default", "required")) != "", (record.file, name)
    parameters = template_dict(NAME)["Parameters"]
    everything = {name: "true" for name in parameters if name.startswith("pDeploy") and name[7:11] != "Wave"}
    for logical_id, properties in stack_sets(everything).items():
        # cloud-radar drops a value that renders empty, so a missing value would be an empty one.
        assert all(item.get("ParameterValue") not in (None, "") for item in properties["Parameters"]), logical_id
