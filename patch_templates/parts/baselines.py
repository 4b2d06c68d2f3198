"""Patch baselines: the operating-system table and the baseline's parameters and resource, used by
the baseline StackSet members (stacks/patch_baseline.py) and by the standalone templates of one
operating system (stacks/patching.py). Adding an operating system is one entry of
`OPERATING_SYSTEMS`; a new baseline option is added here once for every OS and template.

Where the values come from (AWS documentation):
- filter keys per operating system: DescribePatchProperties (Systems Manager API Reference);
- Windows PRODUCT, CLASSIFICATION, MSRC_SEVERITY and Ubuntu PRODUCT, PRIORITY values: PatchFilter
  (API Reference), Ubuntu releases after 16.04 named the same way;
- Amazon Linux and RHEL CLASSIFICATION and SEVERITY: "How patch baseline rules work on Linux-based
  systems" (user guide: the updateinfo.xml type and severity of each update notice), Amazon Linux
  severities also DescribeAvailablePatches' sample values, RHEL severities Red Hat's ratings;
- product names: DescribeAvailablePatches ("AmazonLinux2.0") and PatchSource ("RedhatEnterpriseLinux7.2",
  "Suse12.7"); AWS publishes no current list, so newer systems' products are checked by that naming
  scheme (a pattern) and default to * (docs/operating-systems.md says which names are unconfirmed);
- defaults: the original standalone template's for Windows; the predefined baselines ("Predefined and custom patch
  baselines", user guide: Security, Critical and Important) for Linux;
- ApproveAfterDays is "not supported for Debian Server or Ubuntu Server" (PatchRule, API Reference),
  so Ubuntu and Debian have no pApproveAfterDays (nor the sooner security rule);
- the other baseline properties and their limits: the AWS::SSM::PatchBaseline resource schema.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from troposphere import Equals, If, NoValue, Parameter, Ref, Split, Sub, Tags, Template, ssm

from . import parameters as p

BASELINE_GROUP = "Patch Baseline Information"
RULES_GROUP = "Approval Rules"
COMPLIANCE_LEVELS = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNSPECIFIED"]


@dataclass(frozen=True)
class Filter:
    """One approval-rule filter: its PatchFilter key, the values it allows and the default. A filter
    with a `pattern` checks product names by their documented naming scheme instead of a closed
    list (AWS publishes no current list; `values` are then the names that could be sourced)."""

    key: str
    values: tuple[str, ...]
    default: str
    pattern: str | None = None


# EnableNonSecurity of the approval rule: asked (pEnableNonSecurity, Linux), always on (CentOS
# Stream, whose repositories have no updateinfo.xml), or not applicable (Windows, macOS: "Applies to
# Linux managed nodes only", PatchRule).
ASK, ALWAYS = "ask", "always"

# Approved and rejected patch list entries ("Package name formats for approved and rejected patch
# lists", Patch Manager user guide): Windows takes KB ids (KB2736693) and security bulletin ids
# (MS17-023); Linux and macOS take package names with at most one wildcard, advisory, CVE and
# Bugzilla ids (dbus.x86_64, dbus-1:1.12.28-1.amzn2023.0.1.x86_64, RHSA-2017:0864, CVE-2018-1234567).
# The schema allows 1-100 characters per entry and 50 entries (AWS::SSM::PatchBaseline).
WINDOWS_PATCH_ID = r"KB\d{6,8}|MS\d{2}-\d{3}"
PACKAGE_PATCH_ID = r"[A-Za-z0-9_.:+~*^-]{1,100}"


@dataclass(frozen=True)
class OperatingSystem:
    title: str
    operating_system: str  # AWS::SSM::PatchBaseline OperatingSystem
    product: Filter
    classification: Filter | None
    severity: Filter | None
    approve_after_days: bool = True
    security: str | None = None  # CLASSIFICATION of security updates: the optional second, sooner rule
    non_security: str | None = ASK
    patch_id: str = PACKAGE_PATCH_ID
    note: str = ""  # for people: support caveats (docs/operating-systems.md)


def product_pattern(name: str, version: str = r"\d{1,2}(\.\d{1,2})?") -> str:
    """<Name><major>.<minor>, the naming scheme of PatchSource's examples (RedhatEnterpriseLinux7.2,
    Suse12.7, Ubuntu16.04), or * for every product."""
    return rf"^(\*|{name}{version})$"


# updateinfo.xml update types (Amazon Linux, RHEL and its rebuilds, Oracle, CentOS) and Amazon Linux
# advisory severities (also the sample SEVERITY values of DescribeAvailablePatches).
YUM_CLASSIFICATIONS = ("Security", "Bugfix", "Enhancement", "Recommended", "Newpackage")
AMAZON_LINUX_SEVERITIES = ("Critical", "Important", "Medium", "Low", "*")
# Red Hat's ratings, also used by its rebuilds and by Oracle (the Oracle predefined baseline names
# Important and Moderate).
RED_HAT_SEVERITIES = ("Critical", "Important", "Moderate", "Low", "*")
# RHEL products name the minor release, as "RedhatEnterpriseLinux7.2" in the PatchSource reference.
RHEL_PRODUCTS = (
    "RedhatEnterpriseLinux7.9",
    *(f"RedhatEnterpriseLinux8.{minor}" for minor in range(11)),
    *(f"RedhatEnterpriseLinux9.{minor}" for minor in range(5)),
)
# Debian and Ubuntu priorities (predefined baselines text; 2018 PatchFilter reference).
DEBIAN_PRIORITIES = ("Required", "Important", "Standard", "Optional", "Extra", "*")


def red_hat_like(
    title: str,
    operating_system: str,
    product: str,
    sourced: tuple[str, ...] = (),
    severity: str = "Critical,Important",
    **fields,
) -> OperatingSystem:
    """RHEL and the systems the user guide treats with it: Security updates at two severities."""
    return OperatingSystem(
        title,
        operating_system,
        product=Filter("PRODUCT", sourced + ("*",), "*", product_pattern(product)),
        classification=Filter("CLASSIFICATION", YUM_CLASSIFICATIONS + ("*",), "Security"),
        severity=Filter("SEVERITY", RED_HAT_SEVERITIES, severity),
        security="Security",
        **fields,
    )


# Every OperatingSystem of the AWS::SSM::PatchBaseline schema that Patch Manager still supports
# ("Patch Manager prerequisites", supported operating systems), but these (schema value -> why):
LEFT_OUT = {
    "AMAZON_LINUX": "Amazon Linux 1: end of support 2023-12-31, no longer listed as supported by Patch Manager",
    "AMAZON_LINUX_2022": "the preview name of Amazon Linux 2023 (use amazon_linux_2023), no longer listed",
    "RASPBIAN": "Raspberry Pi OS: no longer listed as supported, and not an EC2 system",
}
# Keys per OS: DescribePatchProperties (API Reference); Rocky and Alma Linux are not in its list,
# the user guide treats them with RHEL ("How patch baseline rules work on AlmaLinux, RHEL, and Rocky
# Linux"). Defaults: the original standalone template's for Windows, the OS's predefined baseline otherwise ("Predefined and
# custom patch baselines", user guide).
OPERATING_SYSTEMS = {
    # Defaults of the original standalone template (WindowsServer2019, CriticalUpdates, Critical).
    "windows": OperatingSystem(
        "Windows Server",
        "WINDOWS",
        product=Filter(
            "PRODUCT",
            (
                "WindowsServer2012",
                "WindowsServer2012R2",
                "WindowsServer2016",
                "WindowsServer2019",
                "WindowsServer2022",
                "WindowsServer2025",
                "*",
            ),
            "WindowsServer2019",
        ),
        classification=Filter(
            "CLASSIFICATION",
            (
                "CriticalUpdates",
                "DefinitionUpdates",
                "Drivers",
                "FeaturePacks",
                "SecurityUpdates",
                "ServicePacks",
                "Tools",
                "UpdateRollups",
                "Updates",
                "Upgrades",
                "*",
            ),
            "CriticalUpdates",
        ),
        severity=Filter("MSRC_SEVERITY", ("Critical", "Important", "Moderate", "Low", "Unspecified", "*"), "Critical"),
        security="SecurityUpdates",
        non_security=None,
        patch_id=WINDOWS_PATCH_ID,
        note="WindowsServer2025 follows the WindowsServer<year> names of the PatchFilter reference (unconfirmed).",
    ),
    "amazon_linux_2023": OperatingSystem(
        "Amazon Linux 2023",
        "AMAZON_LINUX_2023",
        product=Filter("PRODUCT", ("AmazonLinux2023", "*"), "AmazonLinux2023"),
        classification=Filter("CLASSIFICATION", YUM_CLASSIFICATIONS + ("*",), "Security"),
        severity=Filter("SEVERITY", AMAZON_LINUX_SEVERITIES, "Critical,Important"),
        security="Security",
        note="AmazonLinux2023 is seen in public code only (unconfirmed as AWS text); * is safe.",
    ),
    "amazon_linux_2": OperatingSystem(
        "Amazon Linux 2",
        "AMAZON_LINUX_2",
        product=Filter("PRODUCT", ("AmazonLinux2.0", "*"), "AmazonLinux2.0"),
        classification=Filter("CLASSIFICATION", YUM_CLASSIFICATIONS + ("*",), "Security"),
        severity=Filter("SEVERITY", AMAZON_LINUX_SEVERITIES, "Critical,Important"),
        security="Security",
        note="Still listed by Patch Manager, but past its end of support (2026-06-30): move to Amazon Linux 2023.",
    ),
    "redhat": red_hat_like(
        "Red Hat Enterprise Linux",
        "REDHAT_ENTERPRISE_LINUX",
        "RedhatEnterpriseLinux",
        RHEL_PRODUCTS,
        note="7.x-10.x; names after 9.4 and 10.x follow the pattern (unconfirmed).",
    ),
    "ubuntu": OperatingSystem(
        "Ubuntu Server",
        "UBUNTU",
        product=Filter(
            "PRODUCT",
            ("Ubuntu16.04", "Ubuntu18.04", "Ubuntu20.04", "Ubuntu22.04", "Ubuntu24.04", "Ubuntu25.04", "*"),
            "*",
            product_pattern("Ubuntu", r"\d{2}\.\d{2}"),
        ),
        classification=None,  # Ubuntu filters by PRODUCT and PRIORITY only (DescribePatchProperties)
        severity=Filter("PRIORITY", DEBIAN_PRIORITIES, "Required,Important"),
        approve_after_days=False,
        note="Names after Ubuntu16.04 follow its pattern (seen in public code; unconfirmed as AWS text).",
    ),
    "debian": OperatingSystem(
        "Debian Server",
        "DEBIAN",
        product=Filter("PRODUCT", ("Debian11", "Debian12", "*"), "*", product_pattern("Debian", r"\d{1,2}")),
        classification=None,  # PRODUCT and PRIORITY only (DescribePatchProperties)
        severity=Filter("PRIORITY", DEBIAN_PRIORITIES, "*"),  # the predefined baseline: all priorities
        approve_after_days=False,
        note="11 and 12; Debian11/Debian12 seen in public code only (unconfirmed as AWS text).",
    ),
    "suse": OperatingSystem(
        "SUSE Linux Enterprise Server",
        "SUSE",
        product=Filter("PRODUCT", ("*",), "*", product_pattern("Suse")),
        # SUSE patch categories and severities (SUSE's own terms; AWS's capitalisation unconfirmed).
        classification=Filter(
            "CLASSIFICATION", ("Security", "Recommended", "Optional", "Feature", "Document", "Yast", "*"), "Security"
        ),
        severity=Filter("SEVERITY", ("Critical", "Important", "Moderate", "Low", "*"), "Critical,Important"),
        security="Security",
        note="15.3 and later; Suse<major>.<sp> follows PatchSource's Suse12.7; categories unconfirmed.",
    ),
    "oracle_linux": red_hat_like(
        "Oracle Linux",
        "ORACLE_LINUX",
        "OracleLinux",
        severity="Important,Moderate",
        note="7.5-9.x; product names follow the pattern (unconfirmed).",
    ),
    "rocky_linux": red_hat_like(
        "Rocky Linux",
        "ROCKY_LINUX",
        "RockyLinux",
        note="8.x and 9.x; keys as RHEL's (user guide), product names unconfirmed.",
    ),
    "alma_linux": red_hat_like(
        "AlmaLinux",
        "ALMA_LINUX",
        "AlmaLinux",
        note="8.x and 9.x; keys as RHEL's (user guide), product names unconfirmed.",
    ),
    "centos": OperatingSystem(
        "CentOS Stream",
        "CENTOS",
        product=Filter("PRODUCT", ("*",), "*", product_pattern("CentOS", r"(Stream)?\d{1,2}(\.\d{1,2})?")),
        # Its repositories have no updateinfo.xml, so classification and severity match nothing
        # specific: the predefined baseline approves all updates ("Patch Manager prerequisites").
        classification=Filter("CLASSIFICATION", YUM_CLASSIFICATIONS + ("*",), "*"),
        severity=Filter("SEVERITY", RED_HAT_SEVERITIES, "*"),
        non_security=ALWAYS,
        note="CentOS Stream 9 only; EnableNonSecurity is always on, as AWS requires; product names unconfirmed.",
    ),
    "macos": OperatingSystem(
        "macOS",
        "MACOS",
        product=Filter("PRODUCT", ("*",), "*", product_pattern("MacOS", r"\d{2}(\.\d{1,2}|\.x)?")),
        classification=Filter("CLASSIFICATION", ("Security", "*"), "Security"),  # only Security is sourced
        severity=None,  # PRODUCT and CLASSIFICATION only (DescribePatchProperties)
        security="Security",
        non_security=None,
        note="EC2 Mac instances only, 13-15, Homebrew required; product names and classifications besides "
        "Security unconfirmed.",
    ),
}


# Parameters whose definition names the OS: asked per OS by the StackSet (6 per OS with pDeploy<Os>).
PER_OS_PARAMETERS = ("pProduct", "pClassification", "pSeverity", "pApprovedPatches", "pRejectedPatches")

# Approval-rule parameter -> (console label, the OperatingSystem field with its filter).
FILTER_PARAMETERS = {
    "pProduct": ("Products", "product"),
    "pClassification": ("Classifications", "classification"),
    "pSeverity": ("Severities", "severity"),
}


def suffix(os_key: str) -> str:
    """amazon_linux_2 -> amazon-linux-2: the OS part of resource and StackSet names."""
    return os_key.replace("_", "-")


def add_organization(t: Template, group: str = BASELINE_GROUP) -> Parameter:
    return p.add(
        t,
        "pOrganization",
        group,
        "Organization",
        Default="Enquizit",
        Description="Organization name, used in resource names and tags.",
        Type="String",
        AllowedPattern=r"^[A-Za-z0-9_.-]{1,40}$",
        ConstraintDescription="must be 1-40 letters, digits, '_', '.' or '-'",
    )


def patch_list(patch_id: str) -> dict:
    """A list of at most 50 patch ids in one String (a CommaDelimitedList cannot limit its length),
    or the sentinel `none` (StackSets may refuse '')."""
    return dict(Type="String", Default=p.NONE, AllowedPattern=rf"^({p.NONE}|({patch_id})(,({patch_id})){{0,49}})$")


@dataclass(frozen=True)
class BaselineParameters:
    """The baseline's parameters; those an operating system does not take are None."""

    name: Parameter
    patch_groups: Parameter
    default_baseline: Parameter
    approve_after_days: Parameter | None
    filters: dict[str, Parameter]  # OperatingSystem field (product, classification, severity) -> parameter
    compliance_level: Parameter
    security_approve_after_days: Parameter | None
    enable_non_security: Parameter | None
    security_updates_status: Parameter | None  # Windows: unapproved security updates reported as
    approved_patches: Parameter
    rejected_patches: Parameter
    rejected_patches_action: Parameter


def add_parameters(
    t: Template, os: OperatingSystem, prefix: str = "", defaults: Mapping[str, object] | None = None
) -> BaselineParameters:
    """The baseline's parameters (after pOrganization), in their console groups. A new parameter
    defined alike for every OS is asked once by the StackSet; one that names the OS is asked per OS
    (stackset.py), so keep OS names out of shared descriptions.

    prefix: several operating systems in one template (stacks/patching_member.py): the parameters of
    PER_OS_PARAMETERS are named p<prefix><Name>, the others are asked once and shared. defaults:
    parameter (unprefixed) -> a Default other than the OS's own."""

    def param(name, group, label, **properties):
        if defaults and name in defaults:
            properties["Default"] = defaults[name]
        if prefix and name in PER_OS_PARAMETERS:
            name = f"p{prefix}{name[1:]}"
        elif prefix and name in t.parameters:
            if t.parameters[name].to_dict() != Parameter(name, **properties).to_dict():
                raise ValueError(f"{os.title}: parameter {name} is defined unlike another OS's, so it cannot be shared")
            return t.parameters[name]
        return p.add(t, name, group, label, **properties)

    name = param(
        "pPatchBaselineName",
        BASELINE_GROUP,
        "Patch baseline name",
        Default="myPatchBaseline",
        Description="Name of the patch baseline (the organization and operating system are added).",
        **p.SSM_NAME,
    )
    patch_groups = param(
        "pPatchGroups",
        BASELINE_GROUP,
        "Patch groups",
        Default="Production",
        Description="Patch groups registered with the baseline (values of the Patch Group tag), separated by commas.",
        Type="CommaDelimitedList",
        AllowedPattern=r"^[\w .:/=+@-]{1,256}$",
        ConstraintDescription="must be patch group names of 1-256 letters, digits, spaces and _.:/=+@-, "
        "separated by commas",
    )
    default_baseline = param(
        "pDefaultBaseline",
        BASELINE_GROUP,
        "Default baseline of its OS",
        Default="false",
        Description="true makes this baseline its operating system's default in the account and Region, so "
        "nodes without a patch group tag are patched with it too.",
        **p.BOOLEAN,
    )
    approve_after_days = (
        param(
            "pApproveAfterDays",
            BASELINE_GROUP,
            "Approve after days",
            Default=7,
            Description="Days after release before a patch matched by the rule is approved.",
            **p.days(0, 360),
        )
        if os.approve_after_days
        else None
    )
    filters = {}
    for parameter, (label, field) in FILTER_PARAMETERS.items():
        if f := getattr(os, field):
            constraint = (
                dict(
                    AllowedPattern=f.pattern,
                    ConstraintDescription=f"must be * or {os.title} product names matching {f.pattern}, "
                    "separated by commas",
                )
                if f.pattern
                else dict(
                    AllowedValues=list(f.values),
                    ConstraintDescription=f"must be one or more of {', '.join(f.values)}, separated by commas",
                )
            )
            filters[field] = param(
                parameter,
                RULES_GROUP,
                label,
                Default=f.default,
                Type="CommaDelimitedList",
                Description=f"{label} the approval rule approves ({os.title} {f.key} filter), separated by "
                "commas; * for all.",
                **constraint,
            )
    compliance_level = param(
        "pComplianceLevel",
        RULES_GROUP,
        "Compliance level",
        Default="CRITICAL",
        Description="Compliance severity reported for a missing approved patch.",
        Type="String",
        AllowedValues=COMPLIANCE_LEVELS,
        ConstraintDescription="must be one of " + ", ".join(COMPLIANCE_LEVELS),
    )
    security_approve_after_days = None
    if os.security and os.approve_after_days:
        security_approve_after_days = param(
            "pSecurityApproveAfterDays",
            RULES_GROUP,
            "Security updates: approve after days",
            Default=p.NONE,
            Description="A second rule approving the security classification of the OS (SecurityUpdates on "
            "Windows, Security elsewhere), same products and severities, after this many days, "
            "sooner than pApproveAfterDays; none for no second rule.",
            Type="String",
            AllowedPattern=rf"^({p.NONE}|[0-9]|[1-9][0-9]|[12][0-9]{{2}}|3[0-5][0-9]|360)$",
            ConstraintDescription="must be none or a whole number of days from 0 to 360",
        )
    enable_non_security = None
    if os.non_security == ASK:
        enable_non_security = param(
            "pEnableNonSecurity",
            RULES_GROUP,
            "Non-security updates too",
            Default="false",
            Description="Linux: true also approves updates from non-security repositories that match the rule.",
            **p.BOOLEAN,
        )
    security_updates_status = None
    if os.operating_system == "WINDOWS":
        statuses = [p.NONE, "COMPLIANT", "NON_COMPLIANT"]
        security_updates_status = param(
            "pAvailableSecurityUpdatesComplianceStatus",
            RULES_GROUP,
            "Unapproved security updates report",
            Default=p.NONE,
            Description="Windows: how a node with available security updates that the rules do not approve "
            "(yet) is reported; none leaves the AWS default.",
            Type="String",
            AllowedValues=statuses,
            ConstraintDescription="must be one of " + ", ".join(statuses),
        )
    patch_ids = "KB or MS bulletin ids" if os.patch_id == WINDOWS_PATCH_ID else "package names or advisory ids"
    approved, rejected = (
        param(
            name,
            RULES_GROUP,
            label,
            Description=f"{os.title} patches {what}, whatever the rules say: at most 50 {patch_ids}, separated "
            "by commas; none for no list.",
            ConstraintDescription=f"must be none or 1-50 {patch_ids} separated by commas",
            **patch_list(os.patch_id),
        )
        for name, label, what in [
            ("pApprovedPatches", "Approved patches", "always approved"),
            ("pRejectedPatches", "Rejected patches", "never approved"),
        ]
    )
    actions = ["ALLOW_AS_DEPENDENCY", "BLOCK"]
    rejected_patches_action = param(
        "pRejectedPatchesAction",
        RULES_GROUP,
        "Rejected patches action",
        Default=actions[0],
        Description="ALLOW_AS_DEPENDENCY installs a rejected patch that another patch needs; BLOCK never installs "
        "it (and not what depends on it).",
        Type="String",
        AllowedValues=actions,
        ConstraintDescription="must be ALLOW_AS_DEPENDENCY or BLOCK",
    )
    return BaselineParameters(
        name,
        patch_groups,
        default_baseline,
        approve_after_days,
        filters,
        compliance_level,
        security_approve_after_days,
        enable_non_security,
        security_updates_status,
        approved,
        rejected,
        rejected_patches_action,
    )


def tags(os: OperatingSystem, organization: Parameter) -> Tags:
    return Tags(Organization=Ref(organization), OperatingSystem=os.operating_system)


def add_baseline(
    t: Template,
    os_key: str,
    params: BaselineParameters,
    organization: Parameter,
    logical_id: str = "PatchBaseline",
    condition: str | None = None,
) -> ssm.PatchBaseline:
    """The OS's patch baseline, registered for the patch groups, with the conditions it needs (each
    added once, so several baselines share them); `condition` switches the baseline."""
    os = OPERATING_SYSTEMS[os_key]

    def given(parameter: Parameter, value) -> If:
        """value when the optional parameter is given, else no value."""
        return If(p.has_value(t, parameter), value, NoValue)

    def rule(approve_after_days, classification=None, **extra) -> ssm.Rule:
        filters = [
            ssm.PatchFilter(Key=getattr(os, field).key, Values=Ref(parameter))
            for field, parameter in params.filters.items()
        ]
        if classification:
            filters = [
                ssm.PatchFilter(Key=f.Key, Values=classification if f.Key == "CLASSIFICATION" else f.Values)
                for f in filters
            ]
        approve = {"ApproveAfterDays": approve_after_days} if os.approve_after_days else {}
        return ssm.Rule(
            ComplianceLevel=Ref(params.compliance_level),
            **approve,
            **extra,
            PatchFilterGroup=ssm.PatchFilterGroup(PatchFilters=filters),
        )

    non_security = {}
    if params.enable_non_security:
        enabled = "EnableNonSecurity"
        t.conditions.setdefault(enabled, Equals(Ref(params.enable_non_security), "true"))
        non_security = {"EnableNonSecurity": If(enabled, True, False)}
    elif os.non_security == ALWAYS:
        non_security = {"EnableNonSecurity": True}
    rules = [rule(Ref(params.approve_after_days) if params.approve_after_days else None, **non_security)]
    if params.security_approve_after_days:
        # Security updates approved sooner: a patch is approved when any rule approves it.
        sooner = params.security_approve_after_days
        rules.append(given(sooner, rule(Ref(sooner), [os.security])))
    org = f"${{{organization.title}}}"
    is_default = "IsDefaultBaseline"
    t.conditions.setdefault(is_default, Equals(Ref(params.default_baseline), "true"))
    return t.add_resource(
        ssm.PatchBaseline(
            logical_id,
            **({"Condition": condition} if condition else {}),
            Name=Sub(f"{org}-${{{params.name.title}}}-{suffix(os_key)}"),
            Description=Sub(f"{org} {os.title} patch baseline"),
            OperatingSystem=os.operating_system,
            PatchGroups=Ref(params.patch_groups),
            DefaultBaseline=If(is_default, True, False),
            ApprovalRules=ssm.RuleGroup(PatchRules=rules),
            ApprovedPatches=given(params.approved_patches, Split(",", Ref(params.approved_patches))),
            RejectedPatches=given(params.rejected_patches, Split(",", Ref(params.rejected_patches))),
            RejectedPatchesAction=Ref(params.rejected_patches_action),
            AvailableSecurityUpdatesComplianceStatus=given(status, Ref(status))
            if (status := params.security_updates_status)
            else NoValue,
            Tags=tags(os, organization),
        )
    )
