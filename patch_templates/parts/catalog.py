"""The Glue Data Catalog over the synced inventory, shared by the analytics stack that creates it and
the stacks that read it through the analytics stack's exports (the reports and the dashboard): the
inventory types and their fields, the names and ARNs of the tables, the folders of the results
bucket, and the parameters that tell a reading stack where the analytics stack is."""

from dataclasses import dataclass

from troposphere import ImportValue, Parameter, Ref, Sub, Template, glue

from . import parameters as p
from .common import imported, stack_name

# Inventory types the reports need -> their fields (Systems Manager user guide, "Metadata
# collected by inventory"). Every record also has resourceId, captureTime and schemaVersion.
# Inventory values are string maps (PutInventory Content), so every column is a string and the
# SQL casts counts. Glue keeps column names in lower case; the JSON SerDe matches keys ignoring case.
INVENTORY_TYPES = {
    "InstanceInformation": [
        "AgentType",
        "AgentVersion",
        "ComputerName",
        "InstanceId",
        "IpAddress",
        "PlatformName",
        "PlatformType",
        "PlatformVersion",
        "InstanceStatus",
    ],
    "PatchSummary": [
        "PatchGroup",
        "BaselineId",
        "SnapshotId",
        "OwnerInformation",
        "InstalledCount",
        "InstalledPendingRebootCount",
        "InstalledOtherCount",
        "InstalledRejectedCount",
        "NotApplicableCount",
        "UnreportedNotApplicableCount",
        "MissingCount",
        "FailedCount",
        "OperationType",
        "OperationStartTime",
        "OperationEndTime",
        "RebootOption",
        "LastNoRebootInstallOperationTime",
        "CriticalNonCompliantCount",
        "SecurityNonCompliantCount",
        "OtherNonCompliantCount",
    ],
    "ComplianceItem": [
        "ComplianceType",
        "ExecutionId",
        "ExecutionType",
        "ExecutionTime",
        "Id",
        "Title",
        "Status",
        "Severity",
        "DocumentName",
        "DocumentVersion",
        "Classification",
        "PatchBaselineId",
        "PatchSeverity",
        "PatchState",
        "PatchGroup",
        "InstalledTime",
        "CVEIds",
    ],
    "ComplianceSummary": [
        "ComplianceType",
        "PatchGroup",
        "PatchBaselineId",
        "Status",
        "OverallSeverity",
        *(
            f"{state}{level}Count"
            for state in ("Compliant", "NonCompliant")
            for level in ("Critical", "High", "Medium", "Low", "Informational", "Unspecified")
        ),
    ],
    "Tag": ["Key", "Value"],
    "Application": [
        "Name",
        "ApplicationType",
        "Publisher",
        "Version",
        "InstalledTime",
        "Architecture",
        "URL",
        "Summary",
        "PackageId",
        "Release",
        "Epoch",
    ],
}
COMMON_FIELDS = ["resourceId", "captureTime", "schemaVersion"]
PARTITION_KEYS = ["accountid", "region", "resourcetype"]

# Folders of the analytics stack's results bucket: Athena's query results, and the daily compliance
# snapshot that the reports stack writes (each expires after its own days).
SNAPSHOT_FOLDER = "compliance-snapshot/"
RESULTS_FOLDER = "results/"

# The parameters that name the database and the table prefix, in Fn::Sub texts of SQL and ARNs.
DATABASE = "pCFNDatabaseName"
TABLE_PREFIX = "pCFNTablePrefixName"
GLUE_ARN = "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:"


def table_name(type_name: str) -> str:
    """Glue table name of an inventory type, as the SQL spells it: <prefix>_<type in lower case>."""
    return f"${{{TABLE_PREFIX}}}_" + type_name.lower()


def glue_arns(tables: str) -> list[str]:
    """Fn::Sub texts of the catalog, the database ${pCFNDatabaseName}, and its tables named
    `tables` (a Glue ARN pattern)."""
    return [
        GLUE_ARN + "catalog",
        GLUE_ARN + f"database/${{{DATABASE}}}",
        GLUE_ARN + f"table/${{{DATABASE}}}/" + tables,
    ]


def catalog_table(t: Template, title: str, database_name, name: str, description: str, **table_input) -> glue.Table:
    """A table (or view) <prefix>_<name> of the Glue database named `database_name`."""
    return t.add_resource(
        glue.Table(
            title,
            CatalogId=Ref("AWS::AccountId"),
            DatabaseName=database_name,
            TableInput=glue.TableInput(Name=Sub(table_name(name)), Description=description, **table_input),
        )
    )


def add_table_prefix(t: Template, group: str, description: str) -> Parameter:
    return p.add(
        t, TABLE_PREFIX, group, "Table name prefix", Default="patching", Description=description, **p.GLUE_TABLE_PREFIX
    )


def add_bucket_and_prefix(t: Template, group: str, description: str) -> Parameter:
    """The resource data sync bucket and prefix, as the crawler, the reports and QuickSight read them."""
    return p.add(
        t, "pBucketName", group, "Bucket name with folder name", Description=description, **p.BUCKET_AND_PREFIX
    )


@dataclass(frozen=True)
class Source:
    """The parameters of a stack that reads the analytics stack: that stack's name, whose exports it
    imports, and what that stack does not export, with the same names, constraints and defaults."""

    stack: Parameter
    table_prefix: Parameter
    bucket_and_prefix: Parameter
    kms_key: Parameter

    def export(self, name: str) -> ImportValue:
        """An output the analytics stack exports."""
        return imported(self.stack.title, name)


def add_source(t: Template, group: str, analytics_file: str, kms_use: str) -> Source:
    """The parameters of a stack that reads the analytics stack, deployed from `analytics_file`."""
    return Source(
        stack=p.add(
            t,
            "pAnalyticsStackName",
            group,
            "Analytics stack name",
            Default=stack_name(analytics_file),
            Description=f"Name of the stack of {analytics_file}; its exported "
            "database, workgroup and results bucket are used.",
            **p.STACK_NAME,
        ),
        table_prefix=add_table_prefix(t, group, "The analytics stack's pCFNTablePrefixName."),
        bucket_and_prefix=add_bucket_and_prefix(
            t,
            group,
            "The analytics stack's pBucketName: the resource data sync bucket and prefix, as <bucketname>/<foldername>.",
        ),
        kms_key=p.add_kms_key(t, group, "The analytics stack's pKMSKeyArn, or {no_key}: " + kms_use),
    )
