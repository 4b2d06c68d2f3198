"""Management account (or a delegated administrator): one service-managed StackSet per member
template, each switched on by a parameter, deploying to every account of the target OUs in the
target Regions and to accounts that join those OUs later:

- one `<os>_patch_baseline.yml` per operating system (pDeploy<Os>; Windows on by default): the
  baselines differ per OS, and an account runs any mix of them;
- one `patch_operations.yml`: the window, install task, scan and inventory association exist once
  per account-Region and patch every OS (AWS-RunPatchBaseline applies each node's own baseline);
- `resource_data_sync.yml`, which skips itself in the collector account's bucket Region.

Member templates are embedded (TemplateBody) exactly as rendered into output/, so the linted file
is the deployed one. Their parameters are copied from the member's own definitions: a parameter
that every member defines identically is asked once under its own name; one that members define
differently (an OS's product list) is asked per member as p<Member><Name>. So an operating system
costs its pDeploy switch and its filter parameters (at most 4 parameters), and everything else is
shared. Their Rules are copied too, so a bad combination is refused once here instead of in every
stack instance.
"""

import re
from dataclasses import dataclass
from functools import partial
from typing import Callable

from troposphere import Equals, If, Join, Output, Ref, Sub, Template, cloudformation, encode_to_dict

from .. import baselines, parameters as p
from ..common import TEMPLATE_BODY_LIMIT, BuildError, render
from . import default_host_management, patch_baseline, patch_operations, resource_data_sync

# AWS CloudFormation quotas ("Understand CloudFormation quotas", CloudFormation user guide):
# a template holds at most 200 parameters (TemplateBody size: common.TEMPLATE_BODY_LIMIT).
PARAMETER_LIMIT = 200
# Resource names that make IAM resources "named", which needs CAPABILITY_NAMED_IAM.
IAM_NAME_PROPERTIES = {"RoleName", "ManagedPolicyName", "GroupName", "UserName", "InstanceProfileName"}

TARGETS = "StackSet Targets"
PREFERENCES = "Operation Preferences"
SWITCHES = "Templates to Deploy"


@dataclass(frozen=True)
class Member:
    """A template deployed by its own StackSet into the member accounts."""
    key: str            # CamelCase: <key>StackSet, pDeploy<key>, p<key><Name> for parameters of its own
    title: str          # for people: console groups and labels
    file: str           # its file in output/
    build: Callable[[], Template]
    name: str           # StackSet name suffix
    deploy: bool = True  # default of its pDeploy switch


MEMBERS = (
    *(Member("".join(word.capitalize() for word in os_key.split("_")), f"{os.title} patch baseline",
             patch_baseline.file_name(os_key), partial(patch_baseline.build, os_key),
             f"{baselines.suffix(os_key)}-patch-baseline", deploy=os_key == "windows")
      for os_key, os in baselines.OPERATING_SYSTEMS.items()),
    Member("PatchOperations", "Patch operations (window, task, scan, inventory)", patch_operations.FILE,
           patch_operations.build, "patch-operations"),
    Member("ResourceDataSync", "Resource data sync", "resource_data_sync.yml", resource_data_sync.build,
           "resource-data-sync"),
    Member("DefaultHostManagement", "Default Host Management Configuration", default_host_management.FILE,
           default_host_management.build, "default-host-management"),
)


def build(members=MEMBERS) -> Template:
    t = Template(Description=(
        "Management account or delegated administrator: service-managed StackSets that deploy the "
        "patch management templates into every account of the target OUs and Regions, including "
        "accounts that join them later."))

    ous = p.add(t, "pOrganizationalUnitIds", TARGETS, "Target OUs",
                Description="Organizational unit ids (ou-...) or the root id (r-...) to deploy to, separated "
                            "by commas; child OUs are included. At most 50.",
                **p.ORGANIZATIONAL_UNIT_ID_LIST)
    regions = p.add(t, "pRegions", TARGETS, "Target Regions",
                    Description="Regions to deploy to in every account, separated by commas.", **p.REGION_LIST)
    call_as = p.add(t, "pCallAs", TARGETS, "Deploying from",
                    Description="SELF in the management account; DELEGATED_ADMIN in a delegated administrator "
                                "account for CloudFormation StackSets.",
                    Default="SELF", AllowedValues=["SELF", "DELEGATED_ADMIN"], Type="String",
                    ConstraintDescription="must be SELF or DELEGATED_ADMIN")
    name_prefix = p.add(t, "pStackSetNamePrefix", TARGETS, "StackSet name prefix", Default="patch-management",
                        Description="Start of every StackSet name (unique in the Region).",
                        Type="String", AllowedPattern=r"^[a-zA-Z][a-zA-Z0-9-]{0,63}$",
                        ConstraintDescription="must be 1-64 letters, digits or hyphens, starting with a letter")
    retain = p.add(t, "pRetainStacksOnAccountRemoval", TARGETS, "Keep stacks of accounts that leave",
                   Default="false",
                   Description="true keeps the stack and its resources in an account that leaves the target "
                               "OUs; false deletes them.",
                   **p.BOOLEAN)
    preferences = cloudformation.OperationPreferences(
        RegionConcurrencyType=Ref(p.add(
            t, "pRegionConcurrencyType", PREFERENCES, "Regions", Default="PARALLEL",
            Description="PARALLEL deploys to all Regions at once; SEQUENTIAL one Region after another "
                        "in the order of pRegions.",
            Type="String", AllowedValues=["PARALLEL", "SEQUENTIAL"],
            ConstraintDescription="must be PARALLEL or SEQUENTIAL")),
        RegionOrder=Ref(regions),
        MaxConcurrentPercentage=Ref(p.add(
            t, "pMaxConcurrentPercentage", PREFERENCES, "Maximum concurrent accounts (%)", Default="25",
            Description="Percentage of the accounts, per Region, deployed at the same time (rounded down, "
                        "at least 1).",
            **p.PERCENT_NONZERO)),
        FailureTolerancePercentage=Ref(p.add(
            t, "pFailureTolerancePercentage", PREFERENCES, "Failure tolerance (%)", Default="10",
            Description="Percentage of the accounts, per Region, that may fail before the operation stops.",
            **p.PERCENT)),
        ConcurrencyMode=Ref(p.add(
            t, "pConcurrencyMode", PREFERENCES, "Concurrency mode", Default="STRICT_FAILURE_TOLERANCE",
            Description="STRICT_FAILURE_TOLERANCE lowers concurrency to the failure tolerance + 1; "
                        "SOFT_FAILURE_TOLERANCE keeps the maximum concurrency regardless of failures.",
            Type="String", AllowedValues=["STRICT_FAILURE_TOLERANCE", "SOFT_FAILURE_TOLERANCE"],
            ConstraintDescription="must be STRICT_FAILURE_TOLERANCE or SOFT_FAILURE_TOLERANCE")),
    )
    t.add_condition("RetainStacks", Equals(Ref(retain), "true"))

    built = [(member, member.build()) for member in members]
    for member, _ in built:
        switch = p.add(t, f"pDeploy{member.key}", SWITCHES, member.title, Default=str(member.deploy).lower(),
                       Description=f"Deploy {member.file} by its own StackSet.", **p.BOOLEAN)
        t.add_condition(f"Deploy{member.key}", Equals(Ref(switch), "true"))
    names = pass_through_names(built)
    needed = len(t.parameters) + len(set(names.values()))
    if needed > PARAMETER_LIMIT:
        raise BuildError(f"the StackSet template needs {needed} parameters, more than CloudFormation's "
                          f"{PARAMETER_LIMIT}; members: {', '.join(m.file for m in members)}")
    add_member_parameters(t, built, names)
    add_member_rules(t, built, names)

    for member, template in built:
        stack_set = t.add_resource(cloudformation.StackSet(
            f"{member.key}StackSet",
            Condition=f"Deploy{member.key}",
            StackSetName=Sub(f"${{{name_prefix.title}}}-{member.name}"),
            Description=template.description,
            PermissionModel="SERVICE_MANAGED",
            CallAs=Ref(call_as),
            AutoDeployment=cloudformation.AutoDeployment(
                Enabled=True, RetainStacksOnAccountRemoval=If("RetainStacks", True, False)),
            # Queue operations (auto-deployments among them) instead of failing while one runs.
            ManagedExecution=cloudformation.ManagedExecution(Active=True),
            OperationPreferences=preferences,
            **capabilities(member, template),
            Parameters=pass_through(member, template, names),
            StackInstancesGroup=[cloudformation.StackInstances(
                DeploymentTargets=cloudformation.DeploymentTargets(OrganizationalUnitIds=Ref(ous)),
                Regions=Ref(regions))],
            TemplateBody=body(member, template),
        ))
        t.add_output(Output(f"{member.key}StackSetId", Condition=f"Deploy{member.key}",
                            Description=f"Id of the StackSet that deploys {member.file}",
                            Value=Ref(stack_set)))
    return t


def body(member: Member, template: Template) -> str:
    """The member template exactly as the build writes it to output/, within the inline size limit."""
    text = render(template)
    size = len(text.encode())
    if size > TEMPLATE_BODY_LIMIT:
        raise BuildError(f"{member.file} is {size:,} bytes, over the {TEMPLATE_BODY_LIMIT:,}-byte limit of a "
                          f"StackSet TemplateBody: make the member template smaller")
    return text


def capabilities(member: Member, template: Template) -> dict:
    """Capabilities= for the member's IAM resources, if any; service-managed StackSets refuse macros."""
    if template.transform:
        raise BuildError(f"{member.file} uses a transform, which service-managed StackSets do not support")
    iam = [r for r in template.resources.values() if r.resource_type.startswith("AWS::IAM::")]
    if not iam:
        return {}
    named = any(IAM_NAME_PROPERTIES & set(r.properties) for r in iam)
    return {"Capabilities": ["CAPABILITY_NAMED_IAM" if named else "CAPABILITY_IAM"]}


def pass_through_names(built) -> dict[tuple[str, str], str]:
    """(member key, parameter) -> name in the StackSet template: the member's own name when every
    member that has the parameter defines it the same, else p<Member><Name>."""
    definitions: dict[str, list] = {}
    for member, template in built:
        for name, parameter in template.parameters.items():
            definitions.setdefault(name, []).append(parameter.to_dict())
    return {(member.key, name): name if all(d == definitions[name][0] for d in definitions[name])
            else f"p{member.key}{name[1:]}"
            for member, template in built for name in template.parameters}


def add_member_parameters(t: Template, built, names: dict) -> None:
    """Add a parameter for each member parameter, with the member's definition and label: shared ones
    first, in the members' console groups, then each member's own, grouped under the member."""
    for shared in (True, False):
        for member, template in built:
            interface = template.metadata.get("AWS::CloudFormation::Interface", {})
            groups = {name: g["Label"]["default"] for g in interface.get("ParameterGroups", [])
                      for name in g["Parameters"]}
            labels = {name: label["default"] for name, label in interface.get("ParameterLabels", {}).items()}
            for name, parameter in template.parameters.items():
                own, definition = names[(member.key, name)], parameter.to_dict()
                if (own == name) != shared:
                    continue
                if own in t.parameters:
                    if t.parameters[own].to_dict() != definition:
                        raise BuildError(f"{member.file}: parameter {name} clashes with the StackSet template's {own}")
                    continue
                p.add(t, own, groups.get(name, member.title) if shared else member.title, labels.get(name, name),
                      **definition)


def add_member_rules(t: Template, built, names: dict) -> None:
    """Copy the members' Rules, so the console refuses a bad combination here, once, instead of in
    every stack instance; rules alike are added once, a different one of the same name per member."""
    for member, template in built:
        renamed = {name: names[(member.key, name)] for name in template.parameters
                   if names[(member.key, name)] != name}
        for rule_name, rule in template.rules.items():
            rule = rename(encode_to_dict(rule), renamed)
            if t.rules.get(rule_name) == rule:
                continue
            t.add_rule(member.key + rule_name if rule_name in t.rules else rule_name, rule)


def rename(value, renamed: dict):
    """value with its parameter names changed: in Ref and in the text of descriptions."""
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            return {"Ref": renamed.get(value["Ref"], value["Ref"])}
        return {key: rename(item, renamed) for key, item in value.items()}
    if isinstance(value, list):
        return [rename(item, renamed) for item in value]
    if isinstance(value, str) and renamed:
        return re.sub(r"\b(" + "|".join(map(re.escape, renamed)) + r")\b", lambda m: renamed[m[0]], value)
    return value


def pass_through(member: Member, template: Template, names: dict) -> list:
    """The member's parameters as StackSet Parameters, each the value of its StackSet template parameter."""
    result = []
    for name, parameter in template.parameters.items():
        own = Ref(names[(member.key, name)])
        is_list = parameter.Type == "CommaDelimitedList" or parameter.Type.startswith("List<")
        result.append(cloudformation.Parameter(ParameterKey=name, ParameterValue=Join(",", own) if is_list else own))
    return result
