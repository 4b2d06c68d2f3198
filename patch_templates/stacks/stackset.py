"""Management account (or a delegated administrator): service-managed StackSets deploying TWO
member stacks into every account-Region of the target OUs and Regions, and of accounts that join
those OUs later:

- the patching member (stacks/patching_member.py): every OS's baseline switched on, one window,
  install task, scan and inventory association, the alert forwarding rules; one StackSet per wave;
- the shared member (stacks/shared_member.py): the resource data sync, Default Host Management and
  patch now's execution role; one StackSet to the union of the waves' OUs.

So 2 StackSets without waves, waves + 1 with them, and 2 stacks per account-Region.

Rollout waves (up to 3): wave 1 is pOrganizationalUnitIds with the members' own parameters; a wave
switched on gets its own StackSet of every member with `waves=True`, with its OUs and its
WAVE_PARAMETERS values (schedule, offset, approval delays), all at the StackSet level: accounts that
join an OU later get StackSet-level values, never ParameterOverrides
(cloudformation-coverage-roadmap#1291). Each wave's patching member registers its baselines for the
patch group <pStackSetNamePrefix>-wave<N> (WAVE_VALUES): specific to the deployment and the wave, so
an account moving between waves, or an account with its own patch groups, has no clash.

A member is sent exactly as rendered into output/, so the linted file is the deployed one: inline
(TemplateBody) up to 51,200 bytes, else by TemplateURL from the bucket pTemplateBucketName, under a
key that changes with the member's text (member_key): CloudFormation compares properties, so an
unchanged URL would hide a changed template, and `aws cloudformation package` does not rewrite a
StackSet's TemplateURL (aws/aws-cli#5590); `make deploy` uploads the files `uploads()` lists. Member
parameters are copied from the member's own definitions: one that every member defines identically
is asked once under its own name, one that members define differently as p<Member><Name>. Their
Rules are copied too, so a bad combination is refused once here instead of in every stack instance.
"""

import hashlib
import itertools
import re
from dataclasses import dataclass, field

from troposphere import (
    And,
    Equals,
    If,
    Join,
    Not,
    NoValue,
    Output,
    Parameter,
    Ref,
    Sub,
    Template,
    cloudformation,
    encode_to_dict,
)

from ..deploy import preflight
from ..deploy.calendar import ROLLOUT_DEFAULTS
from ..parts import parameters as p
from ..parts.common import TEMPLATE_BODY_LIMIT, BuildError, render
from . import patching_member, shared_member
from .record import Member, Record

# AWS CloudFormation quotas ("Understand CloudFormation quotas", CloudFormation user guide):
# a template holds at most 200 parameters (and 500 resources, which troposphere enforces), and one in
# S3 at most 1 MB (TemplateBody size: common.TEMPLATE_BODY_LIMIT).
PARAMETER_LIMIT = 200
TEMPLATE_URL_LIMIT = 1_000_000
# Resource names that make IAM resources "named", which needs CAPABILITY_NAMED_IAM.
IAM_NAME_PROPERTIES = {"RoleName", "ManagedPolicyName", "GroupName", "UserName", "InstanceProfileName"}

TARGETS = "StackSet Targets"
WAVES_GROUP = "Rollout Waves"
# Waves after the first (pOrganizationalUnitIds, pSchedule, pScheduleOffset, pApproveAfterDays):
# wave -> default schedule, offset and approval delay, those of the patch calendar
# (deploy/calendar.py ROLLOUT_DEFAULTS): every wave installs every month's update, in order.
WAVES = {
    number: (wave.schedule.expression, str(wave.schedule.offset), wave.approve_after_days[0])
    for number, wave in enumerate(ROLLOUT_DEFAULTS[1:], start=2)
}
# Member parameters whose value the StackSet sets per wave: member parameter -> value (a Sub text).
WAVE_VALUES = {"pPatchGroups": "${pStackSetNamePrefix}-wave{number}"}
# The bucket that holds the members sent by TemplateURL (make deploy passes ARTIFACTS_BUCKET).
BUCKET = "pTemplateBucketName"
# Where in the bucket: <folder>/<member stem>-<16 hex digits of the text's SHA-256>.yml
UPLOAD_FOLDER = "patch-templates"
# Member parameters a wave gives its own value: member parameter -> StackSet parameter suffix.
WAVE_PARAMETERS = {
    "pSchedule": "Schedule",
    "pScheduleOffset": "ScheduleOffset",
    "pApproveAfterDays": "ApproveAfterDays",
    "pSecurityApproveAfterDays": "SecurityApproveAfterDays",
}
PREFERENCES = "Operation Preferences"
MEMBER_TEMPLATES = "Member Templates"

# The members, each deployed by a StackSet of its own (one per wave when its Member says waves).
MEMBERS = (patching_member.RECORD, shared_member.RECORD)


def built(members: tuple[Record, ...]) -> list[tuple[Record, Member, Template]]:
    """Each member's record, how the StackSet deploys it, and its template."""
    return [(record, member(record), record.build()) for record in members]


def member(record: Record) -> Member:
    if record.member is None:
        raise BuildError(f"{record.file} is not a StackSet member: its record has no member")
    return record.member


def build(members: tuple[Record, ...] = MEMBERS) -> Template:
    t = Template(
        Description=(
            "Management account or delegated administrator: service-managed StackSets that deploy the "
            "patch management templates into every account of the target OUs and Regions, including "
            "accounts that join them later."
        )
    )

    first_wave_ous = p.add(
        t,
        "pOrganizationalUnitIds",
        TARGETS,
        "Target OUs (first wave)",
        Description="Organizational unit ids (ou-...) or the root id (r-...) to deploy to, separated by commas; "
        "child OUs are included. At most 50. With rollout waves, the first wave's OUs: patched on "
        "pSchedule and pScheduleOffset.",
        **p.ORGANIZATIONAL_UNIT_ID_LIST,
    )
    regions = p.add(
        t,
        "pRegions",
        TARGETS,
        "Target Regions",
        Description="Regions to deploy to in every account, separated by commas.",
        **p.REGION_LIST,
    )
    call_as = p.add(
        t,
        "pCallAs",
        TARGETS,
        "Deploying from",
        Description="SELF in the management account; DELEGATED_ADMIN in a delegated administrator "
        "account for CloudFormation StackSets.",
        Default="SELF",
        AllowedValues=["SELF", "DELEGATED_ADMIN"],
        Type="String",
        ConstraintDescription="must be SELF or DELEGATED_ADMIN",
    )
    name_prefix = p.add(
        t,
        "pStackSetNamePrefix",
        TARGETS,
        "StackSet name prefix",
        Default="patch-management",
        Description="Start of every StackSet name (unique in the Region).",
        Type="String",
        AllowedPattern=r"^[a-zA-Z][a-zA-Z0-9-]{0,63}$",
        ConstraintDescription="must be 1-64 letters, digits or hyphens, starting with a letter",
    )
    retain = p.add(
        t,
        "pRetainStacksOnAccountRemoval",
        TARGETS,
        "Keep stacks of accounts that leave",
        Default="false",
        Description="true keeps the stack and its resources in an account that leaves the target "
        "OUs; false deletes them.",
        **p.BOOLEAN,
    )
    preferences = cloudformation.OperationPreferences(
        RegionConcurrencyType=Ref(
            p.add(
                t,
                "pRegionConcurrencyType",
                PREFERENCES,
                "Regions",
                Default="PARALLEL",
                Description="PARALLEL deploys to all Regions at once; SEQUENTIAL one Region after another "
                "in the order of pRegions.",
                Type="String",
                AllowedValues=["PARALLEL", "SEQUENTIAL"],
                ConstraintDescription="must be PARALLEL or SEQUENTIAL",
            )
        ),
        RegionOrder=Ref(regions),
        MaxConcurrentPercentage=Ref(
            p.add(
                t,
                "pMaxConcurrentPercentage",
                PREFERENCES,
                "Maximum concurrent accounts (%)",
                Default="25",
                Description="Percentage of the accounts, per Region, deployed at the same time (rounded down, "
                "at least 1).",
                **p.PERCENT_NONZERO,
            )
        ),
        FailureTolerancePercentage=Ref(
            p.add(
                t,
                "pFailureTolerancePercentage",
                PREFERENCES,
                "Failure tolerance (%)",
                Default="10",
                Description="Percentage of the accounts, per Region, that may fail before the operation stops.",
                **p.PERCENT,
            )
        ),
        ConcurrencyMode=Ref(
            p.add(
                t,
                "pConcurrencyMode",
                PREFERENCES,
                "Concurrency mode",
                Default="STRICT_FAILURE_TOLERANCE",
                Description="STRICT_FAILURE_TOLERANCE lowers concurrency to the failure tolerance + 1; "
                "SOFT_FAILURE_TOLERANCE keeps the maximum concurrency regardless of failures.",
                Type="String",
                AllowedValues=["STRICT_FAILURE_TOLERANCE", "SOFT_FAILURE_TOLERANCE"],
                ConstraintDescription="must be STRICT_FAILURE_TOLERANCE or SOFT_FAILURE_TOLERANCE",
            )
        ),
    )
    settings = Settings(
        regions, call_as, name_prefix, t.add_condition("RetainStacks", Equals(Ref(retain), "true")), preferences
    )

    members_built = built(members)
    waves = add_waves(t, members_built, first_wave_ous)
    if any(len(render(template).encode()) > TEMPLATE_BODY_LIMIT for _, _, template in members_built):
        p.add(
            t,
            BUCKET,
            MEMBER_TEMPLATES,
            "Bucket of the member templates",
            Description=f"S3 bucket in this Region holding the member templates over {TEMPLATE_BODY_LIMIT:,} "
            "bytes (make deploy uploads them there: ARTIFACTS_BUCKET; from the console, copy them as "
            "docs/organization.md shows).",
            **p.BUCKET_NAME,
        )
    names = pass_through_names(members_built)
    needed = len(t.parameters) + len(set(names.values()))
    if needed > PARAMETER_LIMIT:
        raise BuildError(
            f"the StackSet template needs {needed} parameters, more than CloudFormation's "
            f"{PARAMETER_LIMIT}; members: {', '.join(m.file for m in members)}"
        )
    add_member_parameters(t, members_built, names)
    add_member_rules(t, members_built, names)
    check_calendar(t)

    for record, member_, template in members_built:
        for wave in waves if member_.waves else (None,):
            add_stack_set(t, record, template, names, settings, waves, wave)
    return t


@dataclass(frozen=True)
class Settings:
    """What every StackSet of the template shares."""

    regions: Parameter
    call_as: Parameter
    name_prefix: Parameter
    retain_stacks: str  # condition: keep the stacks of accounts that leave
    preferences: cloudformation.OperationPreferences


@dataclass(frozen=True)
class Wave:
    """A rollout wave: its OUs and, after the first, its switch, the condition that it is on and its
    own values of the members' WAVE_PARAMETERS."""

    number: int
    ous: Parameter
    switch: Parameter | None = None
    on: str | None = None
    overrides: dict[str, str] = field(default_factory=dict)  # member parameter -> this wave's parameter


def add_waves(t: Template, built, first_wave_ous: Parameter) -> list[Wave]:
    """Every rollout wave; those after the first get a switch, OUs, a cron schedule, an offset and
    approval delays each, and the Rules that refuse a wave without OUs and an OU list repeated in
    two waves."""
    delays = {
        name: parameter.to_dict()
        for _, _, template in built
        for name, parameter in template.parameters.items()
        if name in ("pApproveAfterDays", "pSecurityApproveAfterDays")
    }
    waves = [Wave(1, first_wave_ous)]
    for wave, (schedule, offset, approve_after_days) in WAVES.items():
        switch = p.add(
            t,
            f"pDeployWave{wave}",
            WAVES_GROUP,
            f"Wave {wave}",
            Default="false",
            Description=f"Patch the OUs of wave {wave} on their own schedule and approval delays (their "
            "own operations and baseline StackSets); the other members also go to them.",
            **p.BOOLEAN,
        )
        on = t.add_condition(f"Wave{wave}", Equals(Ref(switch), "true"))
        # No default: cfn-lint would check the sentinel as an OU id where the wave's targets are used.
        ous = p.add(
            t,
            f"pWave{wave}OrganizationalUnitIds",
            WAVES_GROUP,
            f"Wave {wave} OUs",
            Description=f"Wave {wave}: organizational unit ids (ou-...), separated by commas, in no other "
            "wave and not inside another wave's OU; none when the wave is off.",
            **p.optional_none(p.ORGANIZATIONAL_UNIT_ID_LIST),
        )
        overrides = {}
        overrides["pSchedule"] = p.add(
            t,
            f"pWave{wave}Schedule",
            WAVES_GROUP,
            f"Wave {wave} schedule",
            Default=schedule,
            Description=f"Wave {wave}: when its maintenance window opens, a cron expression (in pScheduleTimezone).",
            **p.CRON_WINDOW_SCHEDULE,
        )
        overrides["pScheduleOffset"] = p.add(
            t,
            f"pWave{wave}ScheduleOffset",
            WAVES_GROUP,
            f"Wave {wave} schedule offset (days)",
            Default=offset,
            Description=f"Wave {wave}: days after the schedule's date that its window runs, 1-6; 0 for none.",
            **p.SCHEDULE_OFFSET,
        )
        for name, definition in delays.items():
            default = approve_after_days if name == "pApproveAfterDays" else definition["Default"]
            overrides[name] = p.add(
                t,
                f"pWave{wave}{WAVE_PARAMETERS[name]}",
                WAVES_GROUP,
                f"Wave {wave}: {name[1:]}",
                **dict(
                    definition,
                    Default=default,
                    Description=f"Wave {wave}'s baselines: {definition['Description']} At least the wave "
                    "before's plus the days between its window and this wave's.",
                ),
            )
        t.add_rule(
            f"Wave{wave}HasOrganizationalUnits",
            {
                "RuleCondition": Equals(Ref(switch), "true"),
                "Assertions": [
                    {
                        "Assert": Not({"Fn::Contains": [Ref(ous), p.NONE]}),
                        "AssertDescription": f"{switch.title} is true: give {ous.title} "
                        "organizational unit ids, not none.",
                    }
                ],
            },
        )
        waves.append(Wave(wave, ous, switch, on, {name: parameter.title for name, parameter in overrides.items()}))
    # An account in two waves would get two maintenance windows and two inventory associations
    # (then none runs). Rules cannot take a list apart (no Fn::Select), nor see the OU tree: they
    # refuse a wave whose OUs are all in another wave; a partial overlap or a nested OU is the
    # operator's to avoid (docs/operating-systems.md).
    for first, second in itertools.combinations(waves, 2):
        switched = [Equals(Ref(w.switch), "true") for w in (first, second) if w.switch]
        t.add_rule(
            f"Waves{first.number}And{second.number}DoNotRepeatOrganizationalUnits",
            {
                "RuleCondition": And(*switched) if len(switched) > 1 else switched[0],
                "Assertions": [
                    {
                        "Assert": Not({"Fn::EachMemberIn": [Ref(a), Ref(b)]}),
                        "AssertDescription": f"Every OU of {a.title} is also in {b.title}: an OU belongs to one "
                        "wave only.",
                    }
                    for a, b in ((first.ous, second.ous), (second.ous, first.ous))
                ],
            },
        )
    return waves


def calendar_waves() -> list[dict]:
    """constraints.json's "calendar" entry of the template (deploy/preflight.py): for each wave, the
    parameter that switches it and those of its schedule, time zone, offset and approval delays."""
    delays = [name for name in WAVE_PARAMETERS if "ApproveAfterDays" in name]
    first = {"wave": "wave 1", "switch": None, "schedule": "pSchedule", "offset": "pScheduleOffset", "delays": delays}
    return [
        dict(wave, timezone="pScheduleTimezone")
        for wave in [first]
        + [
            {
                "wave": f"wave {number}",
                "switch": f"pDeployWave{number}",
                "schedule": f"pWave{number}Schedule",
                "offset": f"pWave{number}ScheduleOffset",
                "delays": [f"pWave{number}{WAVE_PARAMETERS[name]}" for name in delays],
            }
            for number in WAVES
        ]
    ]


def check_calendar(t: Template) -> None:
    """Refuse defaults under which a wave would skip a month's update or install out of order (every
    wave switched on), over the 24 Patch Tuesdays from today; members without a window have none."""
    if "pSchedule" not in t.parameters:
        return
    parameters = {name: parameter.to_dict() for name, parameter in t.parameters.items()}
    constraints = {"templates": {"defaults": parameters}, "calendar": {"defaults": calendar_waves()}}
    switched_on = {f"pDeployWave{number}": "true" for number in WAVES}
    if found := preflight.calendar_problems("the StackSet's defaults", "defaults", switched_on, constraints):
        raise BuildError("\n".join(found))


def targets(regions: Parameter, waves: list[Wave], wave: Wave | None) -> list:
    """StackInstancesGroup: a wave's OUs, or (wave None) the OUs of every wave switched on."""

    def group(ous: Parameter):
        return cloudformation.StackInstances(
            DeploymentTargets=cloudformation.DeploymentTargets(OrganizationalUnitIds=Ref(ous)), Regions=Ref(regions)
        )

    if wave:
        return [group(wave.ous)]
    return [group(w.ous) if w.on is None else If(w.on, group(w.ous), NoValue) for w in waves]


def add_stack_set(
    t: Template,
    record: Record,
    template: Template,
    names: dict,
    settings: Settings,
    waves: list[Wave],
    wave: Wave | None,
) -> None:
    """The member's StackSet: for a wave after the first, its own logical id, name, condition, OUs and
    wave parameters; the first wave keeps the member's logical id and name; wave None: one StackSet
    for the OUs of every wave."""
    member_ = member(record)
    key, condition, name, overrides = member_.key, None, member_.name, {}
    if wave and wave.on:
        key, name = f"{member_.key}Wave{wave.number}", f"{member_.name}-wave{wave.number}"
        condition, overrides = wave.on, wave.overrides
    values = {
        parameter: Sub(value.replace("{number}", str(wave.number)))
        for parameter, value in WAVE_VALUES.items()
        if wave and parameter in template.parameters
    }
    switched = {"Condition": condition} if condition else {}
    stack_set = t.add_resource(
        cloudformation.StackSet(
            f"{key}StackSet",
            **switched,
            StackSetName=Sub(f"${{{settings.name_prefix.title}}}-{name}"),
            Description=template.description,
            PermissionModel="SERVICE_MANAGED",
            CallAs=Ref(settings.call_as),
            AutoDeployment=cloudformation.AutoDeployment(
                Enabled=True, RetainStacksOnAccountRemoval=If(settings.retain_stacks, True, False)
            ),
            # Queue operations (auto-deployments among them) instead of failing while one runs.
            ManagedExecution=cloudformation.ManagedExecution(Active=True),
            OperationPreferences=settings.preferences,
            **capabilities(record, template),
            # Every value at the StackSet level, none as ParameterOverrides: accounts that join an OU later
            # get the StackSet's values, not the overrides (cloudformation-coverage-roadmap#1291).
            Parameters=pass_through(record, template, names, overrides, values),
            StackInstancesGroup=targets(settings.regions, waves, wave),
            **template_property(record, template),
        )
    )
    t.add_output(
        Output(
            f"{key}StackSetId",
            **switched,
            Description=f"Id of the StackSet that deploys {record.file}"
            + (f" to wave {wave.number}" if wave and wave.on else ""),
            Value=Ref(stack_set),
        )
    )


def template_property(record: Record, template: Template) -> dict:
    """TemplateBody: the member exactly as the build writes it to output/, when within the inline
    limit; else TemplateURL: that file in the bucket BUCKET under member_key."""
    text = render(template)
    size = len(text.encode())
    if size <= TEMPLATE_BODY_LIMIT:
        return {"TemplateBody": text}
    if size > TEMPLATE_URL_LIMIT:
        raise BuildError(
            f"{record.file} is {size:,} bytes, over the {TEMPLATE_URL_LIMIT:,}-byte limit of a template in "
            "S3: make the member template smaller"
        )
    return {
        "TemplateURL": Sub(f"https://${{{BUCKET}}}.s3.${{AWS::Region}}.${{AWS::URLSuffix}}/{member_key(record, text)}")
    }


def member_key(record: Record, text: str) -> str:
    """The member's S3 key: it changes whenever its text does, so the StackSet sees every change."""
    return f"{UPLOAD_FOLDER}/{record.stem}-{hashlib.sha256(text.encode()).hexdigest()[:16]}.yml"


def uploads(texts: dict[str, str]) -> dict:
    """constraints.json's "uploads" (deploy/preflight.py): the StackSet template's members sent by
    TemplateURL, each S3 key with its file in output/; texts: file name -> text as written there."""
    files = {
        member_key(record, texts[record.file]): record.file
        for record in MEMBERS
        if len(texts[record.file].encode()) > TEMPLATE_BODY_LIMIT
    }
    return {RECORD.file: {"parameter": BUCKET, "files": files}} if files else {}


def capabilities(record: Record, template: Template) -> dict:
    """Capabilities= for the member's IAM resources, if any; service-managed StackSets refuse macros."""
    if template.transform:
        raise BuildError(f"{record.file} uses a transform, which service-managed StackSets do not support")
    iam = [r for r in template.resources.values() if r.resource_type.startswith("AWS::IAM::")]
    if not iam:
        return {}
    named = any(IAM_NAME_PROPERTIES & set(r.properties) for r in iam)
    return {"Capabilities": ["CAPABILITY_NAMED_IAM" if named else "CAPABILITY_IAM"]}


def asked(member_: Member, template: Template) -> list[str]:
    """The member's parameters the StackSet template asks for: all but those a wave sets (WAVE_VALUES)."""
    return [name for name in template.parameters if not (member_.waves and name in WAVE_VALUES)]


def pass_through_names(built) -> dict[tuple[str, str], str]:
    """(member key, parameter) -> name in the StackSet template: the member's own name when every
    member that has the parameter defines it the same, else p<Member><Name>."""
    definitions: dict[str, list] = {}
    for _, member_, template in built:
        for name in asked(member_, template):
            definitions.setdefault(name, []).append(template.parameters[name].to_dict())
    return {
        (member_.key, name): name
        if all(d == definitions[name][0] for d in definitions[name])
        else f"p{member_.key}{name[1:]}"
        for _, member_, template in built
        for name in asked(member_, template)
    }


def add_member_parameters(t: Template, built, names: dict) -> None:
    """Add a parameter for each member parameter, with the member's definition and label: shared ones
    first, in the members' console groups, then each member's own, grouped under the member."""
    for shared in (True, False):
        for record, member_, template in built:
            interface = template.metadata.get("AWS::CloudFormation::Interface", {})
            groups = {
                name: g["Label"]["default"] for g in interface.get("ParameterGroups", []) for name in g["Parameters"]
            }
            labels = {name: label["default"] for name, label in interface.get("ParameterLabels", {}).items()}
            for name in asked(member_, template):
                own, definition = names[(member_.key, name)], template.parameters[name].to_dict()
                if (own == name) != shared:
                    continue
                if own in t.parameters:
                    if t.parameters[own].to_dict() != definition:
                        raise BuildError(f"{record.file}: parameter {name} clashes with the StackSet template's {own}")
                    continue
                p.add(
                    t,
                    own,
                    groups.get(name, member_.title) if shared else member_.title,
                    labels.get(name, name),
                    **definition,
                )


def add_member_rules(t: Template, built, names: dict) -> None:
    """Copy the members' Rules, so the console refuses a bad combination here, once, instead of in
    every stack instance; rules alike are added once, a different one of the same name per member."""
    for _, member_, template in built:
        renamed = {
            name: names[(member_.key, name)] for name in asked(member_, template) if names[(member_.key, name)] != name
        }
        for rule_name, rule in template.rules.items():
            rule = rename(encode_to_dict(rule), renamed)
            if t.rules.get(rule_name) == rule:
                continue
            t.add_rule(member_.key + rule_name if rule_name in t.rules else rule_name, rule)


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


def pass_through(
    record: Record, template: Template, names: dict, overrides: dict | None = None, values: dict | None = None
) -> list:
    """The member's parameters as StackSet Parameters, each the value of its StackSet template parameter
    (overrides: member parameter -> another StackSet parameter, a wave's own; values: member parameter
    -> the value itself, WAVE_VALUES)."""
    result = []
    for name, parameter in template.parameters.items():
        if values and name in values:
            result.append(cloudformation.Parameter(ParameterKey=name, ParameterValue=values[name]))
            continue
        own = Ref((overrides or {}).get(name) or names[(member(record).key, name)])
        is_list = parameter.Type == "CommaDelimitedList" or parameter.Type.startswith("List<")
        result.append(cloudformation.Parameter(ParameterKey=name, ParameterValue=Join(",", own) if is_list else own))
    return result


RECORD = Record(
    "patch_management_stackset.yml",
    build,
    step=3,
    account="management",
    stack="patch-stacksets",
    does="StackSets: the members into every account and Region of the OUs",
    # Rollout waves 2 and 3 are off in the example (the sentinel none: no OUs); the members' examples.
    examples={
        BUCKET: "patch-templates-111122223333",
        "pWave2OrganizationalUnitIds": p.NONE,
        "pWave3OrganizationalUnitIds": p.NONE,
        **{name: value for record in MEMBERS for name, value in record.examples.items()},
    },
)
