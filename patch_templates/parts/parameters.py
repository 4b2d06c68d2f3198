"""Constrained CloudFormation parameters shared by the stacks.

Each constant is the constraint part of a parameter (type, pattern or values, and the message
the console shows when a value is refused). `add()` puts a parameter into a template together
with its console group and label, so no parameter can be added without them.

Patterns are anchored (^...$) because CloudFormation matches the whole value while Python's
re.match, used by cloud-radar, only anchors the start. For a CommaDelimitedList the pattern
applies to each item, as CloudFormation does.
"""

import re
from dataclasses import dataclass

from troposphere import Equals, Not, Or, Parameter, Ref, Template

from ..deploy import identifiers

ACCOUNT_ID = dict(
    Type="String",
    AllowedPattern=r"^\d{12}$",
    ConstraintDescription="must be a 12-digit AWS account id",
)
ACCOUNT_ID_LIST = dict(
    ACCOUNT_ID, Type="CommaDelimitedList", ConstraintDescription="must be 12-digit AWS account ids separated by commas"
)
# The same list in one String parameter, for a condition that tests it for "" and Fn::Split.
ACCOUNT_IDS = dict(
    ACCOUNT_ID,
    AllowedPattern=r"^\d{12}(,\d{12})*$",
    ConstraintDescription="must be 12-digit AWS account ids separated by commas, without spaces",
)
ORGANIZATION_ID = dict(
    Type="String",
    AllowedPattern=r"^o-[a-z0-9]{10,32}$",
    ConstraintDescription="must be an AWS Organizations id such as o-a1b2c3d4e5",
)
# S3 bucket naming rules: 3-63 characters of a-z 0-9 . -, starting and ending with a letter or
# digit, no "..", not shaped like an IP address, none of the reserved prefixes and suffixes.
BUCKET_NAME = dict(
    Type="String",
    AllowedPattern=(
        r"^(?!xn--|sthree-|amzn-s3-demo-)(?!.*\.\.)(?!.*(-s3alias|--ol-s3|--x-s3)$)"
        r"(?!\d{1,3}(\.\d{1,3}){3}$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
    ),
    ConstraintDescription=(
        "must follow S3 bucket naming rules: 3-63 lower-case letters, digits, dots "
        "and hyphens, starting and ending with a letter or digit, no '..', "
        "not an IP address"
    ),
)
# An AWS Region code, and the ARN of a resource in one Region of one account.
REGION_PATTERN = identifiers.REGION


def arn_pattern(service: str, resource: str) -> str:
    """AllowedPattern of an ARN of `service` whose resource part matches the regex `resource`."""
    return rf"^arn:aws[a-z-]*:{service}:{REGION_PATTERN}:\d{{12}}:{resource}$"


REGION = dict(
    Type="String",
    AllowedPattern=rf"^{REGION_PATTERN}$",
    ConstraintDescription="must be an AWS Region code such as us-east-1",
)
# A folder inside the bucket: no leading, trailing or double slash.
BUCKET_PREFIX = dict(
    Type="String",
    AllowedPattern=r"^[a-zA-Z0-9!_.*'()-]+(/[a-zA-Z0-9!_.*'()-]+)*$",
    MaxLength=64,
    ConstraintDescription=(
        "must be a folder path of letters, digits and !_.*'()- separated by single "
        "slashes, without a leading or trailing slash, at most 64 characters"
    ),
)
# bucket/prefix as pBucketName takes it: the S3 bucket naming rules, then a folder.
BUCKET_AND_PREFIX = dict(
    Type="String",
    AllowedPattern=(
        r"^(?!xn--|sthree-|amzn-s3-demo-)(?![^/]*\.\.)(?!\d{1,3}(\.\d{1,3}){3}/)"
        r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](?<!-s3alias)(?<!--ol-s3)(?<!--x-s3)"
        r"/[a-zA-Z0-9!_.*'()-]+(/[a-zA-Z0-9!_.*'()-]+)*$"
    ),
    MaxLength=128,
    ConstraintDescription=(
        "must be BUCKET/PREFIX: an S3 bucket name, a slash, and the folder the syncs "
        "write to (letters, digits and !_.*'()- separated by single slashes), at "
        "most 128 characters"
    ),
)
KMS_KEY_ARN = dict(
    Type="String",
    AllowedPattern=arn_pattern(
        "kms",
        r"key/(mrk-[a-f0-9]{32}|[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-"
        r"[a-f0-9]{12})",
    ),
    ConstraintDescription="must be a KMS key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/KEY-ID)",
)
SYNC_NAME = dict(
    Type="String",
    AllowedPattern=r"^[a-zA-Z0-9_.-]{1,64}$",
    ConstraintDescription="must be 1-64 letters, digits, '_', '.' or '-'",
)
SYNC_TYPE = dict(
    Type="String",
    AllowedValues=["SyncToDestination", "SyncFromSource"],
    ConstraintDescription="must be SyncToDestination or SyncFromSource",
)
SYNC_SOURCE_TYPE = dict(
    Type="String",
    AllowedValues=["AwsOrganizations", "SingleAccountMultiRegions"],
    ConstraintDescription="must be AwsOrganizations or SingleAccountMultiRegions",
)
REGION_LIST = dict(
    REGION,
    Type="CommaDelimitedList",
    ConstraintDescription="must be AWS Region codes separated by commas, such as us-east-1,eu-west-1",
)
# Root (r-...) or organizational unit (ou-...) ids, pattern of the AWS::CloudFormation::StackSet
# resource schema (DeploymentTargets.OrganizationalUnitIds).
ORGANIZATIONAL_UNIT_ID_LIST = dict(
    Type="CommaDelimitedList",
    AllowedPattern=f"^({identifiers.ORGANIZATIONAL_UNIT_ID}|{identifiers.ROOT_ID})$",
    ConstraintDescription=(
        "must be organizational unit ids (ou-xxxx-xxxxxxxx) or the root id (r-xxxx) separated by commas"
    ),
)
# Whole percentages as strings: a Number parameter would accept 12.5, which an integer property refuses.
PERCENT = dict(
    Type="String",
    AllowedPattern=r"^(100|[1-9]?[0-9])$",
    ConstraintDescription="must be a whole percentage from 0 to 100",
)
PERCENT_NONZERO = dict(
    PERCENT, AllowedPattern=r"^(100|[1-9][0-9]?)$", ConstraintDescription="must be a whole percentage from 1 to 100"
)

# Glue crawler names: letters, digits, hyphens and underscores, up to 255 characters (Glue
# developer guide, "Configuring a crawler").
GLUE_CRAWLER_NAME = dict(
    Type="String",
    AllowedPattern=r"^[a-zA-Z0-9_-]{1,255}$",
    ConstraintDescription="must be 1-255 letters, digits, hyphens or underscores",
)
# Athena and Glue keep database names in lower case; the report SQL quotes them, so hyphens work.
GLUE_DATABASE_NAME = dict(
    Type="String",
    AllowedPattern=r"^[a-z0-9][a-z0-9_-]{0,254}$",
    ConstraintDescription="must be 1-255 lower-case letters, digits, hyphens or underscores, starting "
    "with a letter or digit",
)
# Prefix of Glue table names (the tables are <prefix>_<type>).
GLUE_TABLE_PREFIX = dict(
    Type="String",
    AllowedPattern=r"^[a-z][a-z0-9_]{0,63}$",
    ConstraintDescription="must be 1-64 lower-case letters, digits or underscores, starting with a letter",
)
# Athena workgroup names (Athena API reference, WorkGroupName).
ATHENA_WORKGROUP_NAME = dict(
    Type="String",
    AllowedPattern=r"^[a-zA-Z0-9._-]{1,128}$",
    ConstraintDescription="must be 1-128 letters, digits, '.', '_' or '-'",
)
# An EventBridge-style cron expression with six fields, as Glue schedules take it.
CRON_SCHEDULE = dict(
    Type="String",
    AllowedPattern=r"^cron\((\S+ ){5}\S+\)$",
    ConstraintDescription="must be a cron expression with six fields, such as cron(0 2 * * ? *)",
)
IAM_ROLE_NAME = dict(
    Type="String",
    AllowedPattern=r"^[a-zA-Z0-9+=,.@_-]{1,64}$",
    ConstraintDescription="must be an IAM role name: 1-64 letters, digits or +=,.@_-",
)

# CloudFormation stack names: a letter, then letters, digits and hyphens, 128 characters at most.
STACK_NAME = dict(
    Type="String",
    AllowedPattern=r"^[a-zA-Z][-a-zA-Z0-9]{0,127}$",
    ConstraintDescription="must be a stack name: a letter, then up to 127 letters, digits or hyphens",
)


def optional(constraint: dict) -> dict:
    """The same constraint, also accepting an empty value (for optional parameters)."""
    pattern = constraint["AllowedPattern"]
    return dict(
        constraint,
        AllowedPattern=f"^(?:{pattern[1:-1]})?$",
        ConstraintDescription="must be empty or " + constraint["ConstraintDescription"].removeprefix("must be "),
    )


# The value of an optional parameter passed through a StackSet when it is not used: StackSets may
# refuse an empty value ("Parameters: [X] must have values", boto/botocore#1597).
NONE = "none"


def optional_none(constraint: dict) -> dict:
    """The same constraint, also accepting the sentinel `none` (optional StackSet member parameters)."""
    pattern = constraint["AllowedPattern"]
    return dict(
        constraint,
        AllowedPattern=f"^(?:{NONE}|{pattern[1:-1]})$",
        ConstraintDescription=f"must be {NONE} or " + constraint["ConstraintDescription"].removeprefix("must be "),
    )


def days(low: int = 1, high: int = 3650) -> dict:
    """A whole number of days between low and high."""
    return dict(
        Type="Number",
        MinValue=low,
        MaxValue=high,
        ConstraintDescription=f"must be a whole number of days from {low} to {high}",
    )


def add(template: Template, name: str, group: str, label: str, **properties) -> Parameter:
    """Add a parameter with its console group and label (the only way stacks add parameters)."""
    parameter = template.add_parameter(Parameter(name, **properties))
    template.add_parameter_to_group(parameter, group)
    template.set_parameter_label(parameter, label)
    return parameter


def add_kms_key(
    template: Template,
    group: str,
    description: str,
    name: str = "pKMSKeyArn",
    label: str = "KMS key ARN (optional)",
    member: bool = False,
) -> Parameter:
    """An optional customer managed KMS key (pKMSKeyArn and its like): the same in every template but for
    its description, with one spelling for no key, none (its default; the description says it where it has
    {no_key}). A StackSet member takes none only. A standalone template also takes '', its spelling before
    none, so that a stack deployed with '' still updates with its previous value (has_value reads both)."""
    if "{no_key}" not in description:
        raise ValueError(f"the description of {name} must say how to give no key ({{no_key}})")
    constraint = optional_none(KMS_KEY_ARN)
    return add(
        template,
        name,
        group,
        label,
        Default=NONE,
        Description=description.format(no_key=NONE),
        **(constraint if member else dict(constraint, AllowedPattern=optional(constraint)["AllowedPattern"])),
    )


@dataclass(frozen=True)
class Senders:
    """Who may write to the collector's bucket or send to its bus: every account of an organization,
    or the listed accounts."""

    organization: Parameter
    accounts: Parameter
    use_organization: str  # the condition that an organization id is given


def add_senders(template: Template, organization: Parameter, accounts: Parameter) -> Senders:
    """The Rule that asks for accounts when no organization id is given, and the condition that chooses."""
    template.add_rule(
        "SourceAccountsOrOrganization",
        {
            "RuleCondition": Equals(Ref(organization), ""),
            "Assertions": [
                {
                    "Assert": Not({"Fn::Contains": [Ref(accounts), ""]}),
                    "AssertDescription": f"Without {organization.title}, {accounts.title} must list one or more "
                    "12-digit account ids, with no empty item.",
                }
            ],
        },
    )
    use_organization = template.add_condition("UseOrganization", Not(Equals(Ref(organization), "")))
    return Senders(organization, accounts, use_organization)


def has_value(template: Template, parameter: Parameter) -> str:
    """The name of a condition true when an optional parameter is given: not empty, or not `none`
    when that is its default or one of its allowed values, nor '' when it also takes '' (a standalone KMS
    key); added once."""
    name = "Has" + parameter.title[1:]
    if name not in template.conditions:
        properties = parameter.properties
        if NONE not in (properties.get("Default"), *properties.get("AllowedValues", ())):
            given = Not(Equals(Ref(parameter), ""))
        elif re.fullmatch(properties.get("AllowedPattern", NONE), ""):
            given = Not(Or(Equals(Ref(parameter), NONE), Equals(Ref(parameter), "")))
        else:
            given = Not(Equals(Ref(parameter), NONE))
        template.add_condition(name, given)
    return name


# Systems Manager schedules (maintenance windows and associations): a six-field cron expression
# or a rate expression, per the Systems Manager user guide ("Reference: Cron and rate expressions
# for Systems Manager").
SCHEDULE = dict(
    Type="String",
    AllowedPattern=(
        r"^(cron\([0-9A-Za-z*?,/#-]+( [0-9A-Za-z*?,/#-]+){5}\)"
        r"|rate\((1 (minute|hour|day)|([2-9]|[1-9]\d{1,3}) (minutes|hours|days))\))$"
    ),
    ConstraintDescription=(
        "must be a cron expression with six fields such as cron(0 4 ? * SUN *) or a rate "
        "expression such as rate(1 day) or rate(12 hours)"
    ),
)
# A maintenance window's ScheduleOffset: 1-6 days (AWS::SSM::MaintenanceWindow schema), 0 for none
# (an integer property takes no '' and StackSets may refuse it). Listed, so 2.5 is refused.
SCHEDULE_OFFSET = dict(
    Type="String",
    AllowedValues=[str(days) for days in range(7)],
    ConstraintDescription="must be a whole number of days from 1 to 6, or 0 for none",
)
# A cron expression only (a schedule that takes a ScheduleOffset), six fields as in SCHEDULE.
CRON_WINDOW_SCHEDULE = dict(
    Type="String",
    AllowedPattern=r"^cron\([0-9A-Za-z*?,/#-]+( [0-9A-Za-z*?,/#-]+){5}\)$",
    ConstraintDescription="must be a cron expression with six fields such as cron(0 4 ? * TUE#2 *)",
)
# IANA time zone names: Area/Location (US/Eastern, America/New_York, Etc/GMT+5) or UTC/GMT.
TIMEZONE = dict(
    Type="String",
    AllowedPattern=r"^(UTC|GMT|[A-Z][A-Za-z_-]+(/[A-Za-z0-9_+-]+){1,2})$",
    ConstraintDescription="must be an IANA time zone name such as US/Eastern, Europe/Paris or UTC",
)
EMAIL = dict(
    Type="String",
    AllowedPattern=r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$",
    ConstraintDescription="must be an email address such as ops@example.com",
)
# Rate controls, as the Systems Manager API patterns for MaxConcurrency and MaxErrors (1-7 characters).
CONCURRENCY = dict(
    Type="String",
    AllowedPattern=r"^([1-9]\d{0,6}|[1-9]\d?%|100%)$",
    ConstraintDescription="must be a number of targets (1 or more) or a percentage from 1% to 100%",
)
ERROR_LIMIT = dict(
    Type="String",
    AllowedPattern=r"^(0|[1-9]\d{0,6}|\d{1,2}%|100%)$",
    ConstraintDescription="must be a number of errors (0 or more) or a percentage from 0% to 100%",
)
BOOLEAN = dict(
    Type="String",
    AllowedValues=["true", "false"],
    ConstraintDescription="must be true or false",
)
# Systems Manager resource names (patch baseline, maintenance window, target): letters, digits, _ . -
SSM_NAME = dict(
    Type="String",
    AllowedPattern=r"^[a-zA-Z0-9_.-]{3,40}$",
    ConstraintDescription="must be 3-40 letters, digits, '_', '.' or '-'",
)
IAM_ROLE_ARN = dict(
    Type="String",
    AllowedPattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$",
    ConstraintDescription="must be an IAM role ARN (arn:PARTITION:iam::ACCOUNT:role/NAME)",
)
