"""The StackSet template (stacks/stackset.py): the organization rollout by service-managed StackSets."""

from pathlib import Path

import pytest
from cfnlint.decode import decode_str
from conftest import check_constraint, render, rules_refusing, template_dict
from troposphere import Parameter, Template, iam

from patch_templates.builder import BuildError, render as render_yaml
from patch_templates.deploy.preflight import violation
from patch_templates.parts import baselines
from patch_templates.stacks import (
    RECORDS,
    default_host_management,
    patch_baseline,
    patch_operations,
    resource_data_sync,
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
    assert set(stackset.MEMBERS) == {
        *patch_baseline.RECORDS.values(),
        patch_operations.RECORD,
        resource_data_sync.RECORD,
        default_host_management.RECORD,
    }
    assert set(stackset.MEMBERS) == {record for record in RECORDS if record.member}
    assert set(patch_baseline.RECORDS) == set(baselines.OPERATING_SYSTEMS)


def test_embedded_bodies_are_the_linted_files_in_output_with_room_to_spare(capsys):
    """cfn-lint does not look inside TemplateBody: prove each body is the member file it linted."""
    # Read the golden file as CloudFormation would, so the YAML block scalar must round-trip exactly.
    deployed, _ = decode_str((OUTPUT / NAME.file).read_text())
    sizes = {}
    for logical_id, record in MEMBERS.items():
        body = deployed["Resources"][logical_id]["Properties"]["TemplateBody"]
        assert body == (OUTPUT / record.file).read_text(), record.file
        assert body == template_dict(NAME)["Resources"][logical_id]["Properties"]["TemplateBody"]
        sizes[record.file] = len(body.encode())
        # Room to spare: at least a tenth of the 51,200-byte limit left for the member to grow.
        assert sizes[record.file] <= 0.9 * stackset.TEMPLATE_BODY_LIMIT, (record.file, sizes[record.file])
    with capsys.disabled():
        print(
            "\nTemplateBody sizes (limit 51,200 bytes): "
            + ", ".join(f"{name} {size:,} ({size / stackset.TEMPLATE_BODY_LIMIT:.0%})" for name, size in sizes.items())
        )


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


def test_build_fails_naming_the_member_whose_body_is_too_big():
    assert len(render_yaml(oversized_template()).encode()) > stackset.TEMPLATE_BODY_LIMIT
    with pytest.raises(BuildError, match=r"big\.yml is [\d,]+ bytes, over the 51,200-byte limit"):
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
    sync = {
        item["ParameterKey"]: item["ParameterValue"] for item in stack_sets()["ResourceDataSyncStackSet"]["Parameters"]
    }
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


def test_switches_choose_the_stack_sets():
    assert set(stack_sets()) == {
        "WindowsStackSet",
        "PatchOperationsStackSet",
        "ResourceDataSyncStackSet",
        "DefaultHostManagementStackSet",
    }
    chosen = stack_sets(
        {
            "pDeployWindows": "false",
            "pDeployResourceDataSync": "false",
            "pDeployUbuntu": "true",
            "pDeployRedhat": "true",
            "pDeployPatchOperations": "false",
            "pDeployDefaultHostManagement": "false",
        }
    )
    assert set(chosen) == {"UbuntuStackSet", "RedhatStackSet"}
    outputs = render(NAME, {**REQUIRED, "pDeployWindows": "false"})["Outputs"]
    assert set(outputs) == {
        "PatchOperationsStackSetId",
        "ResourceDataSyncStackSetId",
        "DefaultHostManagementStackSetId",
    }
    # Every operating system is selectable; Windows is on by default.
    parameters = template_dict(NAME)["Parameters"]
    for record in stackset.MEMBERS:
        assert parameters[f"pDeploy{record.member.key}"]["AllowedValues"] == ["true", "false"]
    assert {name for name, d in parameters.items() if name.startswith("pDeploy") and d["Default"] == "true"} == {
        "pDeployWindows",
        "pDeployPatchOperations",
        "pDeployResourceDataSync",
        "pDeployDefaultHostManagement",
    }


def test_capabilities_follow_the_members_iam_resources():
    resources = template_dict(NAME)["Resources"]
    for logical_id, record in MEMBERS.items():
        has_iam = any(r["Type"].startswith("AWS::IAM::") for r in template_dict(record)["Resources"].values())
        assert resources[logical_id]["Properties"].get("Capabilities") == (["CAPABILITY_IAM"] if has_iam else None)


def test_member_parameters_pass_through_with_the_members_definitions():
    template = template_dict(NAME)
    for logical_id, record in MEMBERS.items():
        member_parameters = template_dict(record).get("Parameters", {})
        passed = template["Resources"][logical_id]["Properties"]["Parameters"]
        assert sorted(p["ParameterKey"] for p in passed) == sorted(member_parameters), record.file
        for item in passed:
            value = item["ParameterValue"]
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


def test_parameters_shared_where_alike_and_per_member_where_they_differ():
    names = stackset.pass_through_names(stackset.built(stackset.MEMBERS))
    assert names[("Windows", "pPatchGroups")] == names[("Ubuntu", "pPatchGroups")] == "pPatchGroups"
    assert names[("Windows", "pOrganization")] == names[("PatchOperations", "pOrganization")] == "pOrganization"
    assert names[("Windows", "pProduct")] == "pWindowsProduct"
    assert names[("AmazonLinux2023", "pSeverity")] == "pAmazonLinux2023Severity"
    assert names[("PatchOperations", "pTargetsKey")] == "pTargetsKey"
    assert names[("ResourceDataSync", "pSyncName")] == "pSyncName"


def test_an_operating_system_costs_at_most_six_stackset_parameters():
    """pDeploy<Os>, its own filter parameters and its approved and rejected patch lists; the rest is shared. With the parameters that do not
    depend on the operating systems, 15 operating systems (every OperatingSystem of the
    PatchBaseline schema) would still fit CloudFormation's 200."""
    names = stackset.pass_through_names(stackset.built(stackset.MEMBERS))
    per_os = {
        key: 1 + sum(1 for (k, name), own in names.items() if k == key and own != name)
        for key in (record.member.key for record in patch_baseline.RECORDS.values())
    }
    assert per_os["Windows"] == 6 and per_os["Ubuntu"] == 5 and max(per_os.values()) <= 6
    total = len(template_dict(NAME)["Parameters"])
    fixed = total - sum(per_os.values())
    print(f"\nStackSet parameters: {total} ({fixed} fixed + {per_os}); 15 OSes at 6 each: {fixed + 15 * 6}")
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
            "pPatchGroups": "fleet-a,fleet-b,fleet-c",
            "pSyncName": "org-inventory",
        }
    )

    def value(logical_id, key):
        return {p["ParameterKey"]: p.get("ParameterValue") for p in resources[logical_id]["Parameters"]}[key]

    assert value("WindowsStackSet", "pProduct") == products
    assert value("UbuntuStackSet", "pProduct") == parameters["pUbuntuProduct"]["Default"]
    assert value("PatchOperationsStackSet", "pTargetsValue") == "fleet-a,fleet-b"
    assert (
        value("WindowsStackSet", "pPatchGroups") == value("UbuntuStackSet", "pPatchGroups") == "fleet-a,fleet-b,fleet-c"
    )
    assert value("PatchOperationsStackSet", "pSchedule") == "cron(0 2 ? * SUN *)"
    assert value("ResourceDataSyncStackSet", "pSyncName") == "org-inventory"
    assert value("ResourceDataSyncStackSet", "pResourceDataSyncBucketName") == "central-inventory-bucket"


def test_member_rules_are_checked_once_in_the_management_account():
    rules = template_dict(NAME)["Rules"]
    member_rules = template_dict(patch_operations.RECORD)["Rules"]
    assert member_rules and all(rules[name] == rule for name, rule in member_rules.items())


def test_copied_rules_refuse_bad_combinations_before_any_stack_set_runs():
    assert rules_refusing(NAME, REQUIRED) == []
    assert rules_refusing(NAME, {**REQUIRED, "pDuration": "2", "pCutoff": "2"}) == ["CutoffBeforeEnd"]


def test_rules_follow_renamed_parameters():
    def other() -> Template:
        t = patch_operations.build()
        t.parameters["pTaskType"].Description = "Defined differently, so asked per member."
        return t

    members = (member("Ops", patch_operations.build), member("Other", other))
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
    "pDeployPatchOperations": (["true", "false"], ["", "TRUE", "yes"]),
    "pDeployAmazonLinux2023": (["true", "false"], ["", "on"]),
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
        (resource_data_sync.RECORD, "pKMSKeyArn"),
        (patch_operations.RECORD, "pCentralEventBusArn"),
        (default_host_management.RECORD, "pLogsKMSKeyArn"),
    }


def test_no_member_parameter_rests_on_an_empty_value():
    """StackSets may refuse empty values: every member parameter refuses '' and defaults to a value."""
    for record in stackset.MEMBERS:
        for name, definition in template_dict(record).get("Parameters", {}).items():
            assert violation(definition, "") is not None, (record.file, name)
            assert str(definition.get("Default", "required")) != "", (record.file, name)
    everything = {f"pDeploy{record.member.key}": "true" for record in stackset.MEMBERS}
    for logical_id, properties in stack_sets(everything).items():
        # cloud-radar drops a value that renders empty, so a missing value would be an empty one.
        assert all(item.get("ParameterValue") not in (None, "") for item in properties["Parameters"]), logical_id
