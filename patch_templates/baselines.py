"""Patch baselines: the operating-system table and the baseline's parameters and resource, used by
the `<os>_patch_baseline.yml` StackSet members and by the standalone
`<os>_patch_baseline_maintenance_window.yml` templates. Adding an operating system is one entry of
`OPERATING_SYSTEMS`; a new baseline option is added here once for every OS and template.

Where the values come from (AWS documentation):
- filter keys per operating system: DescribePatchProperties (Systems Manager API Reference);
- Windows PRODUCT, CLASSIFICATION, MSRC_SEVERITY and Ubuntu PRODUCT, PRIORITY values: PatchFilter
  (API Reference), Ubuntu releases after 16.04 named the same way;
- Amazon Linux and RHEL CLASSIFICATION and SEVERITY: "How patch baseline rules work on Linux-based
  systems" (user guide: the updateinfo.xml type and severity of each update notice), Amazon Linux
  severities also DescribeAvailablePatches' sample values, RHEL severities Red Hat's ratings;
- product names: DescribeAvailablePatches ("AmazonLinux2.0") and PatchSource ("RedhatEnterpriseLinux7.2");
- defaults: the design for Windows; the predefined baselines ("Predefined and custom patch
  baselines", user guide: Security, Critical and Important) for Linux;
- ApproveAfterDays is "not supported for Debian Server or Ubuntu Server" (PatchRule, API Reference),
  so Ubuntu has no pApproveAfterDays.
"""

from dataclasses import dataclass

from troposphere import Parameter, Ref, Sub, Tags, Template, ssm

from . import parameters as p

BASELINE_GROUP = "Patch Baseline Information"
RULES_GROUP = "Approval Rules"
COMPLIANCE_LEVELS = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNSPECIFIED"]


@dataclass(frozen=True)
class Filter:
    """One approval-rule filter: its PatchFilter key, the values it allows and the default."""
    key: str
    values: tuple[str, ...]
    default: str


@dataclass(frozen=True)
class OperatingSystem:
    title: str
    operating_system: str  # AWS::SSM::PatchBaseline OperatingSystem
    product: Filter
    classification: Filter | None
    severity: Filter
    approve_after_days: bool = True


# updateinfo.xml update types (Amazon Linux, RHEL) and Amazon Linux advisory severities
# (also the sample SEVERITY values of DescribeAvailablePatches).
YUM_CLASSIFICATIONS = ("Security", "Bugfix", "Enhancement", "Recommended", "Newpackage")
AMAZON_LINUX_SEVERITIES = ("Critical", "Important", "Medium", "Low", "*")
# RHEL products name the minor release, as "RedhatEnterpriseLinux7.2" in the PatchSource reference.
RHEL_PRODUCTS = ("RedhatEnterpriseLinux7.9", *(f"RedhatEnterpriseLinux8.{minor}" for minor in range(11)),
                 *(f"RedhatEnterpriseLinux9.{minor}" for minor in range(5)))

OPERATING_SYSTEMS = {
    # Defaults are the design's (WindowsServer2019, CriticalUpdates, Critical).
    "windows": OperatingSystem(
        "Windows Server", "WINDOWS",
        product=Filter("PRODUCT", ("WindowsServer2012", "WindowsServer2012R2", "WindowsServer2016",
                                   "WindowsServer2019", "WindowsServer2022", "*"),
                       "WindowsServer2019"),
        classification=Filter("CLASSIFICATION", ("CriticalUpdates", "DefinitionUpdates", "Drivers",
                                                 "FeaturePacks", "SecurityUpdates", "ServicePacks", "Tools",
                                                 "UpdateRollups", "Updates", "Upgrades", "*"),
                              "CriticalUpdates"),
        severity=Filter("MSRC_SEVERITY", ("Critical", "Important", "Moderate", "Low", "Unspecified", "*"),
                        "Critical"),
    ),
    "amazon_linux_2023": OperatingSystem(
        "Amazon Linux 2023", "AMAZON_LINUX_2023",
        product=Filter("PRODUCT", ("AmazonLinux2023", "*"), "AmazonLinux2023"),
        classification=Filter("CLASSIFICATION", YUM_CLASSIFICATIONS + ("*",), "Security"),
        severity=Filter("SEVERITY", AMAZON_LINUX_SEVERITIES, "Critical,Important"),
    ),
    "amazon_linux_2": OperatingSystem(
        "Amazon Linux 2", "AMAZON_LINUX_2",
        product=Filter("PRODUCT", ("AmazonLinux2.0", "*"), "AmazonLinux2.0"),
        classification=Filter("CLASSIFICATION", YUM_CLASSIFICATIONS + ("*",), "Security"),
        severity=Filter("SEVERITY", AMAZON_LINUX_SEVERITIES, "Critical,Important"),
    ),
    "redhat": OperatingSystem(
        "Red Hat Enterprise Linux", "REDHAT_ENTERPRISE_LINUX",
        product=Filter("PRODUCT", RHEL_PRODUCTS + ("*",), "*"),
        classification=Filter("CLASSIFICATION", YUM_CLASSIFICATIONS + ("*",), "Security"),
        severity=Filter("SEVERITY", ("Critical", "Important", "Moderate", "Low", "*"), "Critical,Important"),
    ),
    "ubuntu": OperatingSystem(
        "Ubuntu Server", "UBUNTU",
        product=Filter("PRODUCT", ("Ubuntu16.04", "Ubuntu18.04", "Ubuntu20.04", "Ubuntu22.04", "Ubuntu24.04",
                                   "*"),
                       "*"),
        classification=None,  # Ubuntu filters by PRODUCT and PRIORITY only (DescribePatchProperties)
        severity=Filter("PRIORITY", ("Required", "Important", "Standard", "Optional", "Extra", "*"),
                        "Required,Important"),
        approve_after_days=False,
    ),
}


# Approval-rule parameter -> (console label, the OperatingSystem field with its filter).
FILTER_PARAMETERS = {"pProduct": ("Products", "product"), "pClassification": ("Classifications", "classification"),
                     "pSeverity": ("Severities", "severity")}


def suffix(os_key: str) -> str:
    """amazon_linux_2 -> amazon-linux-2: the OS part of resource and StackSet names."""
    return os_key.replace("_", "-")


def add_organization(t: Template, group: str = BASELINE_GROUP) -> Parameter:
    return p.add(t, "pOrganization", group, "Organization", Default="Enquizit",
                 Description="Organization name, used in resource names and tags.",
                 Type="String", AllowedPattern=r"^[A-Za-z0-9_.-]{1,40}$",
                 ConstraintDescription="must be 1-40 letters, digits, '_', '.' or '-'")


def add_parameters(t: Template, os: OperatingSystem) -> None:
    """The baseline's parameters (after pOrganization), in the design's console groups."""
    def param(name, group, label, **properties):
        p.add(t, name, group, label, **properties)

    param("pPatchBaselineName", BASELINE_GROUP, "Patch baseline name", Default="myPatchBaseline",
          Description="Name of the patch baseline (the organization and operating system are added).",
          **p.SSM_NAME)
    param("pPatchGroups", BASELINE_GROUP, "Patch groups", Default="Production",
          Description="Patch groups registered with the baseline (values of the Patch Group tag), separated "
                      "by commas.",
          Type="CommaDelimitedList", AllowedPattern=r"^[\w .:/=+@-]{1,256}$",
          ConstraintDescription="must be patch group names of 1-256 letters, digits, spaces and _.:/=+@-, "
                                "separated by commas")
    if os.approve_after_days:
        param("pApproveAfterDays", BASELINE_GROUP, "Approve after days", Default=7,
              Description="Days after release before a patch matched by the rule is approved.",
              **p.days(0, 360))
    for name, (label, field) in FILTER_PARAMETERS.items():
        if f := getattr(os, field):
            param(name, RULES_GROUP, label, Default=f.default, Type="CommaDelimitedList", AllowedValues=list(f.values),
                  Description=f"{label} the approval rule approves ({os.title} {f.key} filter), separated by "
                              "commas; * for all.",
                  ConstraintDescription=f"must be one or more of {', '.join(f.values)}, separated by commas")
    param("pComplianceLevel", RULES_GROUP, "Compliance level", Default="CRITICAL",
          Description="Compliance severity reported for a missing approved patch.",
          Type="String", AllowedValues=COMPLIANCE_LEVELS,
          ConstraintDescription="must be one of " + ", ".join(COMPLIANCE_LEVELS))


def tags(os: OperatingSystem) -> Tags:
    return Tags(Organization=Ref("pOrganization"), OperatingSystem=os.operating_system)


def add_baseline(t: Template, os_key: str) -> ssm.PatchBaseline:
    """The OS's patch baseline, registered for the patch groups (parameters from add_parameters)."""
    os = OPERATING_SYSTEMS[os_key]
    approve = {"ApproveAfterDays": Ref("pApproveAfterDays")} if os.approve_after_days else {}
    rule = dict(ComplianceLevel=Ref("pComplianceLevel"), **approve,
                PatchFilterGroup=ssm.PatchFilterGroup(PatchFilters=[
                    ssm.PatchFilter(Key=getattr(os, field).key, Values=Ref(name))
                    for name, (_, field) in FILTER_PARAMETERS.items() if getattr(os, field)]))
    return t.add_resource(ssm.PatchBaseline(
        "PatchBaseline",
        Name=Sub(f"${{pOrganization}}-${{pPatchBaselineName}}-{suffix(os_key)}"),
        Description=Sub(f"${{pOrganization}} {os.title} patch baseline"),
        OperatingSystem=os.operating_system,
        PatchGroups=Ref("pPatchGroups"),
        ApprovalRules=ssm.RuleGroup(PatchRules=[ssm.Rule(**rule)]),
        Tags=tags(os),
    ))
