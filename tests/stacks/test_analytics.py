"""The analytics stack (stacks/analytics.py): parameters, Glue tables and crawler, the
initializer, Athena; its tables loaded into DuckDB from the sample sync data the way Athena reads
them (tests/sample_data.py); and
`aws cloudformation package` against a moto S3 server."""

import fnmatch
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from cfnlint.decode import decode_str
from conftest import OUTPUT, check_constraint, example, render, statements as deployed_statements, template_dict
from sample_data import DATA, STACKS, A, B, load_tables, resources

from patch_templates import builder
from patch_templates.parts import catalog, common
from patch_templates.parts.common import INLINE_CODE_LIMIT, BuildError
from patch_templates.queries import compaction
from patch_templates.stacks import ANALYTICS, analytics, collector

NAME = ANALYTICS


# Parameters ---------------------------------------------------------------------------------

GOOD_AND_BAD = {
    "pCFNCrawlerName": (
        ["patching-crawler", "a", "crawler_2", "x" * 255],
        ["", "has space", "dot.name", "x" * 256, "slash/name", "ü"],
    ),
    "pCFNDatabaseName": (
        ["patching-database", "patching_db", "0db"],
        ["", "Patching", "-db", "_db", "db name", "db.name", "x" * 256],
    ),
    "pCFNTablePrefixName": (
        ["patching", "p", "ssm_inventory2"],
        ["", "Patching", "2patch", "patch-ing", "_p", "x" * 65],
    ),
    "pBucketName": (
        ["patch-inventory-111122223333/inventory", "my.bucket/inventory", "abc/a/b/c"],
        [
            "",
            "bucket-only",
            "bucket/",
            "/prefix",
            "Bucket/prefix",
            "bucket//prefix",
            "bucket/prefix/",
            "ab/prefix",
            "a..b/prefix",
            "192.168.1.1/prefix",
            "xn--bucket/prefix",
            "bucket-s3alias/prefix",
            "-bucket/prefix",
            "bucket/pre fix",
            "b" * 64 + "/prefix",
            "bucket/" + "p" * 130,
        ],
    ),
    "pCrawlerSchedule": (
        ["cron(0 2 * * ? *)", "cron(15 */6 ? * MON-FRI *)"],
        ["", "rate(1 day)", "cron(0 2 * * ?)", "cron(0 2 * * ? * *)", "0 2 * * ? *", "cron(0  2 * * ? *)"],
    ),
    "pKMSKeyArn": (
        [
            "",
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/mrk-1234567890abcdef1234567890abcdef",
        ],
        [
            "alias/aws/s3",
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:kms:us-east-1:111122223333:alias/my-key",
            "arn:aws:kms:us-east-1:1111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ],
    ),
    "pAthenaWorkGroupName": (["patching", "Reports.2025_a-b"], ["", "has space", "x" * 129, "slash/name", "primary!"]),
    "pBytesScannedCutoffPerQuery": (
        ["10000000", "1073741824", "1099511627776"],
        ["9999999", "0", "-1", "1099511627777", "1GB", ""],
    ),
    "pAthenaResultsExpirationDays": (["1", "30", "3650"], ["0", "3651", "-5", "thirty"]),
    "pAccessLogBucketName": (["", "my-log-bucket"], ["My_Logs", "ab", "bucket/prefix"]),
    "pExistingResultsBucketName": (["", "old-results-bucket"], ["Old_Results", "ab", "s3://old", "old/"]),
    # at least 90 days of history: time to patch and the trend read it
    "pSnapshotRetentionDays": (["90", "730", "3650"], ["89", "1", "0", "3651", "-1", "two years", ""]),
    "pAthenaDailyWorkGroupName": (["patching-daily", "Daily.2025_a-b"], ["", "has space", "x" * 129, "daily!"]),
    "pDailyBytesScannedCutoff": (
        ["10000000", "60000000000", "1099511627776"],
        ["9999999", "0", "1099511627777", "60GB", ""],
    ),
}


def test_every_parameter_refuses_bad_values():
    tried = sum(check_constraint(NAME, name, good, bad) for name, (good, bad) in GOOD_AND_BAD.items())
    assert set(GOOD_AND_BAD) == set(template_dict(NAME)["Parameters"])
    assert tried == sum(len(bad) for _, bad in GOOD_AND_BAD.values())


def test_design_parameters_keep_their_defaults():
    params = template_dict(NAME)["Parameters"]
    assert {
        name: params[name]["Default"] for name in ("pCFNCrawlerName", "pCFNDatabaseName", "pCFNTablePrefixName")
    } == {
        "pCFNCrawlerName": "patching-crawler",
        "pCFNDatabaseName": "patching-database",
        "pCFNTablePrefixName": "patching",
    }
    # required: no default names someone's bucket
    assert "Default" not in params["pBucketName"]


# Glue and the crawler -----------------------------------------------------------------------


def test_tables_are_partitioned_without_a_duplicated_partition_column():
    tables = {
        name: table
        for name, table in resources(template_dict(NAME), "AWS::Glue::Table").items()
        if name.removeprefix("Table") in catalog.INVENTORY_TYPES
    }
    assert len(tables) == len(catalog.INVENTORY_TYPES)
    assert {"InstanceInformation", "PatchSummary", "ComplianceItem", "ComplianceSummary", "Tag", "Application"} <= set(
        catalog.INVENTORY_TYPES
    )
    for name, table in tables.items():
        spec = table["Properties"]["TableInput"]
        keys = [key["Name"] for key in spec["PartitionKeys"]]
        columns = [column["Name"] for column in spec["StorageDescriptor"]["Columns"]]
        assert keys == ["accountid", "region", "resourcetype"], name
        assert not set(keys) & set(columns) and len(set(columns)) == len(columns), name
        assert {"resourceid", "capturetime", "schemaversion"} <= set(columns)
        assert spec["StorageDescriptor"]["Location"] == {
            "Fn::Sub": f"s3://${{pBucketName}}/AWS:{name.removeprefix('Table')}/"
        }
    info = tables["TableInstanceInformation"]["Properties"]["TableInput"]["StorageDescriptor"]
    assert info["SerdeInfo"]["Parameters"] == {"mapping.instanceresourcetype": "resourcetype"}
    database = template_dict(NAME)["Resources"]["GlueDatabase"]["Properties"]["DatabaseInput"]
    assert database["Name"] == {"Ref": "pCFNDatabaseName"}
    assert all(table["Properties"]["DatabaseName"] == {"Ref": "GlueDatabase"} for table in tables.values())


def test_crawler_only_adds_partitions_to_the_stack_tables():
    tpl = template_dict(NAME)
    crawler = tpl["Resources"]["Crawler"]["Properties"]
    (target,) = crawler["Targets"]["CatalogTargets"]
    assert "S3Targets" not in crawler["Targets"]
    assert sorted(ref["Ref"] for ref in target["Tables"]) == sorted(f"Table{kind}" for kind in catalog.INVENTORY_TYPES)
    assert crawler["SchemaChangePolicy"] == {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"}
    assert json.loads(crawler["Configuration"])["CrawlerOutput"]["Partitions"] == {
        "AddOrUpdateBehavior": "InheritFromTable"
    }
    assert crawler["Schedule"] == {"ScheduleExpression": {"Ref": "pCrawlerSchedule"}}


def statements(document: dict) -> dict:
    """Statements by Sid, as deployed."""
    return {s["Sid"]: s for s in deployed_statements(document)}


def role_statements(stack: dict, role: str) -> dict:
    """A role's statements, its inline policy's and the stack's managed policies' it attaches."""
    properties = stack["Resources"][role]["Properties"]
    documents = [policy["PolicyDocument"] for policy in properties["Policies"]]
    documents += [stack["Resources"][arn]["Properties"]["PolicyDocument"] for arn in properties["ManagedPolicyArns"]]
    found = [s for document in documents for s in deployed_statements(document)]
    assert len({s["Sid"] for s in found}) == len(found)
    return {s["Sid"]: s for s in found}


def crawler_statements(params: dict) -> dict:
    return role_statements(render(NAME, {"pBucketName": "sync-bucket/inventory", **params}), "CrawlerRole")


def test_crawler_role_reads_only_the_sync_prefix_and_decrypts_only_with_a_key():
    statements = crawler_statements({})
    assert statements["ReadSyncedInventory"]["Resource"] == ["arn:aws:s3:::sync-bucket/inventory/*"]
    assert statements["ListSyncedInventory"]["Resource"] == ["arn:aws:s3:::sync-bucket"]
    assert statements["ListSyncedInventory"]["Condition"] == {"StringLike": {"s3:prefix": ["inventory", "inventory/*"]}}
    assert all(arn.startswith("arn:aws:glue:us-east-1:") for arn in statements["UpdatePartitions"]["Resource"])
    assert statements["UpdatePartitions"]["Resource"][2].endswith(":table/patching-database/patching_*")
    assert "DecryptWithSyncKey" not in statements
    key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert crawler_statements({"pKMSKeyArn": key})["DecryptWithSyncKey"] == {
        "Sid": "DecryptWithSyncKey",
        "Effect": "Allow",
        "Action": ["kms:Decrypt"],
        "Resource": [key],
    }


# What a crawler with catalog targets does in the Data Catalog: it reads its database and tables and
# their partitions, adds partitions (one by one or in batches) and updates them (AddOrUpdateBehavior
# InheritFromTable). Glue's "Crawler prerequisites" asks for the AWSGlueServiceRole policy "or a scoped
# down version of this policy"; this is the scoped-down version. "Specifying AWS Glue resource ARNs":
# an operation needs permission on the resource and all its ancestors ("to create a partitions for a
# table requires permission on the table, database, and catalog").
CRAWLER_CATALOG_ACTIONS = [
    "glue:GetDatabase",
    "glue:GetTable",
    "glue:GetTables",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:BatchGetPartition",
    "glue:CreatePartition",
    "glue:BatchCreatePartition",
    "glue:UpdatePartition",
    "glue:BatchUpdatePartition",
]


def test_the_crawler_role_may_add_and_update_partitions_of_every_table_it_crawls():
    params = {"pBucketName": "sync-bucket/inventory", "pCFNDatabaseName": "fleet-db", "pCFNTablePrefixName": "fleet"}
    stack = render(NAME, params)
    resources = stack["Resources"]
    (target,) = resources["Crawler"]["Properties"]["Targets"]["CatalogTargets"]
    database = resources[target["DatabaseName"]]["Properties"]["DatabaseInput"]["Name"]
    tables = [resources[table]["Properties"]["TableInput"]["Name"] for table in target["Tables"]]
    assert database == "fleet-db" and len(tables) == len(catalog.INVENTORY_TYPES)
    arn = "arn:aws:glue:us-east-1:555555555555:"  # cloud-radar's Region and account
    needed = [arn + "catalog", arn + f"database/{database}", *(arn + f"table/{database}/{t}" for t in tables)]
    granted = [s for s in role_statements(stack, "CrawlerRole").values() if s["Effect"] == "Allow"]
    for action in CRAWLER_CATALOG_ACTIONS:
        patterns = [r for s in granted if action in s["Action"] for r in s["Resource"]]
        for resource in needed:
            assert any(fnmatch.fnmatchcase(resource, pattern) for pattern in patterns), (action, resource)


def test_the_initializer_is_the_module_inline_and_starts_only_this_crawler():
    tpl = template_dict(NAME)
    function = tpl["Resources"]["CrawlerInitializerFunction"]["Properties"]
    assert function["Code"]["ZipFile"] == common.inline_code(analytics.INITIALIZER)
    assert function["Handler"] == "index.handler"
    properties = tpl["Resources"]["CrawlerInitializer"]["Properties"]
    assert properties["ServiceToken"] == {"Fn::GetAtt": ["CrawlerInitializerFunction", "Arn"]}
    assert properties["CrawlerName"] == {"Ref": "Crawler"}
    # a change of tables or data location is an Update, which starts the crawler again
    assert sorted(ref["Ref"] for ref in properties["Tables"]) == sorted(
        f"Table{kind}" for kind in catalog.INVENTORY_TYPES
    )
    assert properties["DataLocation"] == {"Fn::Sub": "s3://${pBucketName}/"}
    start, _ = tpl["Resources"]["CrawlerInitializerRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert start["Action"] == ["glue:StartCrawler"]
    assert start["Resource"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:crawler/${Crawler}"}
    ]


def test_the_build_refuses_initializer_code_over_the_inline_limit(tmp_path, monkeypatch):
    big = tmp_path / "big.py"
    big.write_text(f"X = '{'x' * (INLINE_CODE_LIMIT - 4)}'  # {'comments are left out' * 100}\n")
    monkeypatch.setattr(analytics, "INITIALIZER", big)
    with pytest.raises(
        BuildError, match=r"big.py is 4097 bytes as inline code; inline Lambda code \(ZipFile\) is limited"
    ):
        ANALYTICS.build()


# Athena ---------------------------------------------------------------------------------------


def test_workgroup_enforces_encrypted_results_and_the_scan_limit():
    stack = render(
        NAME,
        {
            "pBucketName": "sync-bucket/inventory",
            "pBytesScannedCutoffPerQuery": "50000000",
            "pDailyBytesScannedCutoff": "70000000",
            "pAthenaDailyWorkGroupName": "compaction",
        },
    )
    daily = stack["Resources"]["AthenaDailyWorkGroup"]["Properties"]
    assert daily["Name"] == "compaction" and stack["Resources"]["AthenaWorkGroup"]["Properties"]["Name"] == "patching"
    assert int(daily["WorkGroupConfiguration"]["BytesScannedCutoffPerQuery"]) == 70000000
    assert daily["WorkGroupConfiguration"]["EnforceWorkGroupConfiguration"] is True
    config = stack["Resources"]["AthenaWorkGroup"]["Properties"]["WorkGroupConfiguration"]
    assert config["EnforceWorkGroupConfiguration"] is True
    assert int(config["BytesScannedCutoffPerQuery"]) == 50000000
    assert config["ResultConfiguration"]["EncryptionConfiguration"] == {"EncryptionOption": "SSE_S3"}
    assert config["ResultConfiguration"]["OutputLocation"] == "s3://AthenaResultsBucket/results/"
    bucket = stack["Resources"]["AthenaResultsBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"], True
    )


def test_results_and_snapshots_expire_each_after_their_own_days():
    stack = render(
        NAME,
        {"pBucketName": "sync-bucket/inventory", "pAthenaResultsExpirationDays": "45", "pSnapshotRetentionDays": "400"},
    )
    rules = {
        rule["Id"]: rule
        for rule in stack["Resources"]["AthenaResultsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    }
    assert {name: (rule.get("Prefix"), rule.get("ExpirationInDays")) for name, rule in rules.items()} == {
        "ExpireOldVersions": (None, None),
        "ExpireQueryResults": ("results/", "45"),
        "ExpireComplianceSnapshots": ("compliance-snapshot/", "400"),
        "ExpireExposureSnapshot": ("exposure-snapshot/", "400"),
        "ExpireInventorySnapshot": ("inventory-snapshot/", "400"),
    }
    # an overwritten or deleted day of the compacted tables can be restored for 30 days
    assert rules["ExpireOldVersions"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert all(rule["Status"] == "Enabled" for rule in rules.values())
    workgroup = stack["Resources"]["AthenaWorkGroup"]["Properties"]["WorkGroupConfiguration"]
    assert workgroup["ResultConfiguration"]["OutputLocation"].endswith("/results/")


@pytest.fixture(scope="module", params=STACKS)
def stack(request):
    stack = render(NAME, {"pBucketName": "sync-bucket/inventory", **STACKS[request.param]})
    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")
    load_tables(db, stack)
    yield stack, db
    db.close()


def test_sample_data_is_in_the_sync_layout_with_probe_files():
    probes = sorted(str(p.relative_to(DATA)) for p in DATA.rglob("test.json"))
    assert probes == [f"AWS:InstanceInformation/accountid={account}/test.json" for account in (A, B)]
    for path in DATA.rglob("*.json"):
        if path.name != "test.json":
            type_folder, account, region, resourcetype, _ = path.relative_to(DATA).parts
            assert type_folder.startswith("AWS:") and account.startswith("accountid=")
            assert region.startswith("region=") and resourcetype == "resourcetype=ManagedInstanceInventory"


def test_probe_files_and_the_resourcetype_field_do_not_leak_into_tables(stack):
    _, db = stack
    schema = db.execute(
        "SELECT schema_name FROM information_schema.schemata "
        "WHERE schema_name NOT IN ('main', 'pg_catalog', 'information_schema')"
    ).fetchone()[0]
    table = db.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_name LIKE '%instanceinformation'"
    ).fetchone()[0]
    rows = db.execute(
        f'SELECT DISTINCT resourcetype, instanceresourcetype FROM "{schema}"."{table}" ORDER BY 2'
    ).fetchall()
    assert rows == [("ManagedInstanceInventory", "EC2Instance"), ("ManagedInstanceInventory", "ManagedInstance")]
    assert db.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()[0] == 8


# aws cloudformation package -------------------------------------------------------------------


def test_the_example_bucket_is_the_collector_example():
    """pBucketName is required; its example in output/parameters/ names the collector's example
    bucket and prefix, so the two example files deploy together."""

    bucket = example(collector.RECORD)
    assert example(NAME)["pBucketName"] == f"{bucket['pResourceDataSyncBucketName']}/{bucket['pBucketPrefix']}"


@pytest.fixture(scope="module")
def s3_server(moto_server):
    """The aws CLI's environment with a moto server on 127.0.0.1 for S3 (and nothing else)."""
    return {**moto_server.environment, "AWS_ENDPOINT_URL_S3": moto_server.url}


def aws(env, *args) -> str:
    cli = str(Path(sys.executable).with_name("aws"))
    return subprocess.run([cli, *args], env=env, check=True, capture_output=True, text=True, timeout=120).stdout


def package(env, template: Path, bucket: str) -> dict:
    packaged = template.with_name("packaged.yml")
    aws(
        env,
        "cloudformation",
        "package",
        "--template-file",
        str(template),
        "--s3-bucket",
        bucket,
        "--output-template-file",
        str(packaged),
    )
    data, errors = decode_str(packaged.read_text())
    assert not errors, errors
    return data


def lint(path: Path) -> list:
    """The build's own cfn-lint run (informational rules included)."""
    return builder.lint([path], "packaged")


def test_package_leaves_the_inline_template_unchanged(s3_server, tmp_path):
    aws(s3_server, "s3", "mb", "s3://ns-rep-lambda-code")
    template = tmp_path / NAME.file
    shutil.copy(OUTPUT / NAME.file, template)
    packaged = package(s3_server, template, "ns-rep-lambda-code")
    original, _ = decode_str(template.read_text())
    assert json.loads(json.dumps(packaged)) == json.loads(json.dumps(original))
    assert lint(template.with_name("packaged.yml")) == []
    assert (
        json.loads(aws(s3_server, "s3api", "list-objects-v2", "--bucket", "ns-rep-lambda-code") or "{}").get(
            "KeyCount", 0
        )
        == 0
    )


def test_package_uploads_code_given_as_a_local_path(s3_server, tmp_path):
    """The same command on the template with the code as a folder: it uploads a zip and points
    the function at it."""
    aws(s3_server, "s3", "mb", "s3://packaged-code")
    code = tmp_path / "initializer"
    code.mkdir()
    shutil.copy(analytics.INITIALIZER, code / "index.py")
    data = json.loads(json.dumps(template_dict(NAME)))
    data["Resources"]["CrawlerInitializerFunction"]["Properties"]["Code"] = "initializer"
    template = tmp_path / NAME.file
    template.write_text(json.dumps(data))
    function = package(s3_server, template, "packaged-code")["Resources"]["CrawlerInitializerFunction"]
    code_location = function["Properties"]["Code"]
    assert code_location["S3Bucket"] == "packaged-code"
    listed = json.loads(aws(s3_server, "s3api", "list-objects-v2", "--bucket", "packaged-code"))
    assert [obj["Key"] for obj in listed["Contents"]] == [code_location["S3Key"]]
    assert lint(template.with_name("packaged.yml")) == []


@pytest.mark.parametrize("key", ["", "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"])
def test_the_initializer_log_group_is_encrypted_with_the_given_key(key):
    stack = render(NAME, {"pBucketName": "sync-bucket/inventory", "pKMSKeyArn": key}, region="eu-west-1")
    group = stack["Resources"]["CrawlerInitializerLogGroup"]["Properties"]
    assert group.get("KmsKeyId") == (key or None)
    assert group["RetentionInDays"] == 365
    function = stack["Resources"]["CrawlerInitializerFunction"]["Properties"]
    assert function["LoggingConfig"] == {"LogGroup": "CrawlerInitializerLogGroup"}


def test_the_compacted_tables_are_parquet_by_day_in_their_expiring_folders_and_outlive_the_stack():
    stack = render(NAME, {"pBucketName": "sync-bucket/inventory", "pCFNTablePrefixName": "org_patch"})
    resources_ = stack["Resources"]
    expiring = {
        rule["Prefix"]
        for rule in resources_["AthenaResultsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
        if "ExpirationInDays" in rule
    }
    for daily in compaction.COMPACTED_TABLES:
        table = resources_[f"Table{daily.title}"]
        assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
        spec = table["Properties"]["TableInput"]
        assert spec["Name"] == f"org_patch_{daily.name}"
        assert spec["StorageDescriptor"]["Location"] == f"s3://AthenaResultsBucket/{daily.folder}"
        assert daily.folder in expiring
        assert spec["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
        assert spec["PartitionKeys"] == [{"Name": "snapshot_date", "Type": "date"}]
        assert [(c["Name"], c["Type"]) for c in spec["StorageDescriptor"]["Columns"]] == list(daily.columns.items())
    assert catalog.SNAPSHOT_FOLDER == compaction.COMPLIANCE_SNAPSHOT.folder
    bucket = template_dict(NAME)["Resources"]["AthenaResultsBucket"]
    assert bucket["DeletionPolicy"] == bucket["UpdateReplacePolicy"] == "Retain"


def test_the_daily_scan_limit_default_follows_the_rule_of_thumb():
    """queries/compaction.py: 15,000 bytes per node and compliance item, 20,000 nodes x 200 items."""
    parameter = template_dict(NAME)["Parameters"]["pDailyBytesScannedCutoff"]
    assert parameter["Default"] == compaction.SCAN_LIMIT_BYTES_PER_NODE_ITEM * 20_000 * 200 == 60_000_000_000
    assert "15,000 bytes per node and compliance item" in parameter["Description"]


def test_a_redeployed_stack_takes_the_retained_results_bucket_and_its_history():
    """After a teardown the results bucket (retained) holds the compacted history: given by name, the
    stack creates no bucket and the workgroups, the compacted tables and the export all use it."""
    for given, bucket in (("", "AthenaResultsBucket"), ("old-results-bucket", "old-results-bucket")):
        stack = render(NAME, {"pBucketName": "sync-bucket/inventory", "pExistingResultsBucketName": given})
        resources_ = stack["Resources"]
        assert ("AthenaResultsBucket" in resources_) == ("AthenaResultsBucketPolicy" in resources_) == (not given)
        for workgroup in ("AthenaWorkGroup", "AthenaDailyWorkGroup"):
            configuration = resources_[workgroup]["Properties"]["WorkGroupConfiguration"]
            location = configuration["ResultConfiguration"]["OutputLocation"]
            assert location == f"s3://{bucket}/{catalog.RESULTS_FOLDER}", workgroup
        for daily in compaction.COMPACTED_TABLES:
            spec = resources_[f"Table{daily.title}"]["Properties"]["TableInput"]
            assert spec["StorageDescriptor"]["Location"] == f"s3://{bucket}/{daily.folder}"
        assert stack["Outputs"]["AthenaResultsBucketName"]["Value"] == bucket
