"""consolidated_billing_s3_glue_crawler_athena.yaml: parameters, Glue tables and crawler, the
initializer, Athena; the report SQL run on DuckDB over the sample sync data; and
`aws cloudformation package` against a moto S3 server."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import sqlglot
from cfnlint.decode import decode_str
from sqlglot import exp

from conftest import check_constraint, render, template_dict
from conftest import statements as deployed_statements
from patch_templates import builder
from patch_templates.common import BuildError
from patch_templates.stacks import analytics

NAME = analytics.FILE
DATA = Path(__file__).parent / "data" / "inventory"
# The SQL's current_timestamp is frozen here so "older than N days" has one answer.
NOW = "2025-06-30 00:00:00+00"
A, B = "111111111111", "222222222222"


def resources(tpl: dict, kind: str) -> dict:
    return {name: r for name, r in tpl["Resources"].items() if r["Type"] == kind}


# Parameters ---------------------------------------------------------------------------------

GOOD_AND_BAD = {
    "pCFNCrawlerName": (["patching-crawler", "a", "crawler_2", "x" * 255],
                        ["", "has space", "dot.name", "x" * 256, "slash/name", "ü"]),
    "pCFNDatabaseName": (["patching-database", "patching_db", "0db"],
                         ["", "Patching", "-db", "_db", "db name", "db.name", "x" * 256]),
    "pCFNTablePrefixName": (["patching", "p", "ssm_inventory2"],
                            ["", "Patching", "2patch", "patch-ing", "_p", "x" * 65]),
    "pBucketName": (["eq-resourcedatasync-us-east-1-112520250899/shared-account-522955560990",
                     "my.bucket/inventory", "abc/a/b/c"],
                    ["", "bucket-only", "bucket/", "/prefix", "Bucket/prefix", "bucket//prefix",
                     "bucket/prefix/", "ab/prefix", "a..b/prefix", "192.168.1.1/prefix",
                     "xn--bucket/prefix", "bucket-s3alias/prefix", "-bucket/prefix", "bucket/pre fix",
                     "b" * 64 + "/prefix", "bucket/" + "p" * 130]),
    "pCrawlerSchedule": (["cron(0 2 * * ? *)", "cron(15 */6 ? * MON-FRI *)"],
                         ["", "rate(1 day)", "cron(0 2 * * ?)", "cron(0 2 * * ? * *)", "0 2 * * ? *",
                          "cron(0  2 * * ? *)"]),
    "pKMSKeyArn": (["", "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                    "arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/mrk-1234567890abcdef1234567890abcdef"],
                   ["alias/aws/s3", "1234abcd-12ab-34cd-56ef-1234567890ab",
                    "arn:aws:kms:us-east-1:111122223333:alias/my-key",
                    "arn:aws:kms:us-east-1:1111:key/1234abcd-12ab-34cd-56ef-1234567890ab"]),
    "pAthenaWorkGroupName": (["patching", "Reports.2025_a-b"],
                             ["", "has space", "x" * 129, "slash/name", "primary!"]),
    "pBytesScannedCutoffPerQuery": (["10000000", "1073741824", "1099511627776"],
                                    ["9999999", "0", "-1", "1099511627777", "1GB", ""]),
    "pAthenaResultsExpirationDays": (["1", "30", "3650"], ["0", "3651", "-5", "thirty"]),
    "pAccessLogBucketName": (["", "my-log-bucket"], ["My_Logs", "ab", "bucket/prefix"]),
    "pStaleScanDays": (["1", "7", "365"], ["0", "366", "seven"]),
}


def test_every_parameter_refuses_bad_values():
    tried = sum(check_constraint(NAME, name, good, bad) for name, (good, bad) in GOOD_AND_BAD.items())
    assert set(GOOD_AND_BAD) == set(template_dict(NAME)["Parameters"])
    assert tried == sum(len(bad) for _, bad in GOOD_AND_BAD.values())


def test_design_parameters_keep_their_defaults():
    params = template_dict(NAME)["Parameters"]
    assert {name: params[name]["Default"] for name in
            ("pCFNCrawlerName", "pCFNDatabaseName", "pCFNTablePrefixName")} == {
        "pCFNCrawlerName": "patching-crawler", "pCFNDatabaseName": "patching-database",
        "pCFNTablePrefixName": "patching"}
    assert params["pBucketName"]["Default"].count("/") == 1


# Glue and the crawler -----------------------------------------------------------------------

def test_tables_are_partitioned_without_a_duplicated_partition_column():
    tables = resources(template_dict(NAME), "AWS::Glue::Table")
    assert set(tables) == {f"Table{kind}" for kind in analytics.INVENTORY_TYPES}
    assert {"InstanceInformation", "PatchSummary", "ComplianceItem", "ComplianceSummary", "Tag",
            "Application"} <= set(analytics.INVENTORY_TYPES)
    for name, table in tables.items():
        spec = table["Properties"]["TableInput"]
        keys = [key["Name"] for key in spec["PartitionKeys"]]
        columns = [column["Name"] for column in spec["StorageDescriptor"]["Columns"]]
        assert keys == ["accountid", "region", "resourcetype"], name
        assert not set(keys) & set(columns) and len(set(columns)) == len(columns), name
        assert {"resourceid", "capturetime", "schemaversion"} <= set(columns)
        assert spec["StorageDescriptor"]["Location"] == {
            "Fn::Sub": f"s3://${{pBucketName}}/AWS:{name.removeprefix('Table')}/"}
    info = tables["TableInstanceInformation"]["Properties"]["TableInput"]["StorageDescriptor"]
    assert info["SerdeInfo"]["Parameters"] == {"mapping.instanceresourcetype": "resourcetype"}


def test_crawler_only_adds_partitions_to_the_stack_tables():
    tpl = template_dict(NAME)
    crawler = tpl["Resources"]["Crawler"]["Properties"]
    target, = crawler["Targets"]["CatalogTargets"]
    assert "S3Targets" not in crawler["Targets"]
    assert sorted(ref["Ref"] for ref in target["Tables"]) == sorted(resources(tpl, "AWS::Glue::Table"))
    assert crawler["SchemaChangePolicy"] == {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"}
    assert json.loads(crawler["Configuration"])["CrawlerOutput"]["Partitions"] == {
        "AddOrUpdateBehavior": "InheritFromTable"}
    assert crawler["Schedule"] == {"ScheduleExpression": {"Ref": "pCrawlerSchedule"}}


def statements(document: dict) -> dict:
    """Statements by Sid, as deployed."""
    return {s["Sid"]: s for s in deployed_statements(document)}


def crawler_statements(params: dict) -> dict:
    role = render(NAME, {"pBucketName": "sync-bucket/inventory", **params})["Resources"]["CrawlerRole"]
    return statements(role["Properties"]["Policies"][0]["PolicyDocument"])


def test_crawler_role_reads_only_the_sync_prefix_and_decrypts_only_with_a_key():
    statements = crawler_statements({})
    assert statements["ReadSyncedInventory"]["Resource"] == ["arn:aws:s3:::sync-bucket/inventory/*"]
    assert statements["ListSyncedInventory"]["Resource"] == ["arn:aws:s3:::sync-bucket"]
    assert statements["ListSyncedInventory"]["Condition"] == {
        "StringLike": {"s3:prefix": ["inventory", "inventory/*"]}}
    assert all(arn.startswith("arn:aws:glue:us-east-1:") for arn in statements["UpdatePartitions"]["Resource"])
    assert statements["UpdatePartitions"]["Resource"][2].endswith(":table/patching-database/patching_*")
    assert "DecryptWithSyncKey" not in statements
    key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert crawler_statements({"pKMSKeyArn": key})["DecryptWithSyncKey"] == {
        "Sid": "DecryptWithSyncKey", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [key]}


def test_the_initializer_is_the_module_inline_and_starts_only_this_crawler():
    tpl = template_dict(NAME)
    function = tpl["Resources"]["CrawlerInitializerFunction"]["Properties"]
    assert function["Code"]["ZipFile"] == analytics.INITIALIZER.read_text()
    assert function["Handler"] == "index.handler"
    properties = tpl["Resources"]["CrawlerInitializer"]["Properties"]
    assert properties["ServiceToken"] == {"Fn::GetAtt": ["CrawlerInitializerFunction", "Arn"]}
    assert properties["CrawlerName"] == {"Ref": "Crawler"}
    # a change of tables or data location is an Update, which starts the crawler again
    assert sorted(ref["Ref"] for ref in properties["Tables"]) == sorted(resources(tpl, "AWS::Glue::Table"))
    assert properties["DataLocation"] == {"Fn::Sub": "s3://${pBucketName}/"}
    start, _ = tpl["Resources"]["CrawlerInitializerRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert start["Action"] == ["glue:StartCrawler"]
    assert start["Resource"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:crawler/${Crawler}"}]


def test_the_build_refuses_initializer_code_over_the_inline_limit(tmp_path, monkeypatch):
    big = tmp_path / "big.py"
    big.write_text("#" * (analytics.INLINE_CODE_LIMIT + 1))
    monkeypatch.setattr(analytics, "INITIALIZER", big)
    with pytest.raises(BuildError, match=r"big.py is 4097 bytes; inline Lambda code \(ZipFile\) is limited"):
        analytics.build()


def test_the_builder_keeps_yaml_and_yml_files_current(tmp_path):
    roots = {"output": tmp_path / "output", "docs": tmp_path / "docs"}
    roots["output"].mkdir()
    (roots["output"] / "old.yaml").write_text("x")
    (roots["output"] / "new.yaml").write_text("y")
    files = {roots["output"] / "new.yaml": "y"}
    assert [d.splitlines()[0] for d in builder.stale_files(files, roots)] == [f"--- {roots['output']}/old.yaml"]
    builder.write(files, roots)
    assert sorted(f.name for f in roots["output"].iterdir()) == ["new.yaml"]


# Athena ---------------------------------------------------------------------------------------

def test_workgroup_enforces_encrypted_results_and_the_scan_limit():
    stack = render(NAME, {"pBucketName": "sync-bucket/inventory", "pBytesScannedCutoffPerQuery": "50000000"})
    config = stack["Resources"]["AthenaWorkGroup"]["Properties"]["WorkGroupConfiguration"]
    assert config["EnforceWorkGroupConfiguration"] is True
    assert int(config["BytesScannedCutoffPerQuery"]) == 50000000
    assert config["ResultConfiguration"]["EncryptionConfiguration"] == {"EncryptionOption": "SSE_S3"}
    assert config["ResultConfiguration"]["OutputLocation"] == "s3://AthenaResultsBucket/results/"
    bucket = stack["Resources"]["AthenaResultsBucket"]["Properties"]
    rule, = bucket["LifecycleConfiguration"]["Rules"]
    assert int(rule["ExpirationInDays"]) == 30 and rule["Status"] == "Enabled"
    assert bucket["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"], True)


def test_one_named_query_per_sql_file_on_the_stack_database():
    tpl = template_dict(NAME)
    queries = resources(tpl, "AWS::Athena::NamedQuery")
    assert sorted(q["Properties"]["Description"] for q in queries.values()) == sorted(
        f"Patch report from queries/{f.name}" for f in analytics.QUERIES.glob("*.sql"))
    for query in queries.values():
        assert query["Properties"]["Database"] == {"Ref": "GlueDatabase"}
        assert query["Properties"]["WorkGroup"] == {"Ref": "AthenaWorkGroup"}
    assert tpl["Resources"]["GlueDatabase"]["Properties"]["DatabaseInput"]["Name"] == {"Ref": "pCFNDatabaseName"}


# The report SQL on DuckDB over the sample sync data --------------------------------------------

def load_tables(db, stack: dict) -> None:
    """Create the stack's database and tables in DuckDB and load the sample files the way Athena
    reads them: JSON lines under the table location's partition folders, keys matched ignoring
    case, SerDe key mappings applied, partition values taken from the folder names."""
    database = stack["Resources"]["GlueDatabase"]["Properties"]["DatabaseInput"]["Name"]
    db.execute(f'CREATE SCHEMA "{database}"')
    for table in resources(stack, "AWS::Glue::Table").values():
        spec = table["Properties"]["TableInput"]
        storage = spec["StorageDescriptor"]
        columns = [c["Name"] for c in storage["Columns"]]
        keys = [k["Name"] for k in spec["PartitionKeys"]]
        mapping = {name.removeprefix("mapping."): key
                   for name, key in storage["SerdeInfo"].get("Parameters", {}).items()}
        db.execute(f'CREATE TABLE "{database}"."{spec["Name"]}" ('
                   + ", ".join(f'"{name}" VARCHAR' for name in columns + keys) + ")")
        folder = DATA / storage["Location"].removeprefix("s3://sync-bucket/inventory/")
        rows = []
        for path in sorted(folder.glob("accountid=*/region=*/resourcetype=*/*.json")):
            partition = dict(part.split("=", 1) for part in path.relative_to(folder).parts[:3])
            for line in path.read_text().splitlines():
                record = {key.lower(): value for key, value in json.loads(line).items()}
                rows.append([record.get(mapping.get(c, c)) for c in columns] + [partition[k] for k in keys])
        db.executemany(f'INSERT INTO "{database}"."{spec["Name"]}" VALUES ('
                       + ", ".join("?" * (len(columns) + len(keys))) + ")", rows)


def on_duckdb(athena_sql: str) -> str:
    """Athena (Trino) SQL in DuckDB's dialect, with current_timestamp frozen at NOW."""
    tree = sqlglot.parse_one(athena_sql, read="athena").transform(
        lambda node: exp.cast(exp.Literal.string(NOW), "TIMESTAMPTZ")
        if isinstance(node, exp.CurrentTimestamp) else node)
    return tree.sql(dialect="duckdb")


# Worked out by hand from the files under tests/data/inventory (see each report's SQL).
EXPECTED = {
    "compliance_summary": [
        (A, "eu-west-1", 1, 0, 1, 0.0),  # i-..a3: 2 installed pending reboot
        (A, "us-east-1", 2, 1, 1, 50.0),  # i-..a1 compliant, i-..a2 missing 3
        (B, "eu-west-1", 1, 1, 0, 100.0),  # i-..b2 compliant (mi-..b3 and i-..b4 have no summary)
        (B, "us-east-1", 1, 0, 1, 0.0),  # i-..b1 missing 1, failed 1
    ],
    "noncompliant_instances": [
        (A, "eu-west-1", "i-0a0000000000000a3", "WIN-TEST-01", "Test", 0, 0, 2),
        (A, "us-east-1", "i-0a0000000000000a2", "web-01", "Production", 3, 0, 0),
        (B, "us-east-1", "i-0b0000000000000b1", "WIN-APP-01", "", 1, 1, 0),
    ],
    "missing_critical_security_patches": [
        # bash (Bugfix, MEDIUM) is neither; ALAS-2024-900 is installed
        (A, "us-east-1", "i-0a0000000000000a2", 1, 2, "ALAS-2025-001, ALAS-2025-002"),
        # KB5000002 failed, not missing; KB5000003 is critical but not a security update
        (B, "us-east-1", "i-0b0000000000000b1", 2, 1, "KB5000001, KB5000003"),
    ],
    "stale_patch_scans": [  # N = 7 days before 2025-06-30; i-..b4 is terminated
        (A, "eu-west-1", "i-0a0000000000000a3", "WIN-TEST-01", "2025-06-20T00:00:00Z", 10),
        (B, "eu-west-1", "mi-0b0000000000000b3", "onprem-01", None, None),
        (B, "us-east-1", "i-0b0000000000000b1", "WIN-APP-01", "2025-05-01T00:00:00Z", 60),
    ],
    "compliance_by_patch_group": [
        ("(none)", "pb-0a1b2c3d4e5f60001", 1, 0, 1, 1, 0),
        ("Production", "pb-0a1b2c3d4e5f60001", 1, 1, 0, 0, 0),
        ("Production", "pb-0a1b2c3d4e5f60002", 2, 1, 3, 0, 0),
        ("Test", "pb-0a1b2c3d4e5f60001", 1, 0, 0, 0, 2),
    ],
    "managed_instance_inventory": [
        (A, "eu-west-1", "i-0a0000000000000a3", "WIN-TEST-01", "Windows",
         "Microsoft Windows Server 2022 Datacenter", "10.0.20348", "3.2.582.0", "Active", "EC2Instance"),
        (A, "us-east-1", "i-0a0000000000000a1", "WIN-WEB-01", "Windows",
         "Microsoft Windows Server 2019 Datacenter", "10.0.17763", "3.3.1142.0", "Active", "EC2Instance"),
        (A, "us-east-1", "i-0a0000000000000a2", "web-01", "Linux", "Amazon Linux", "2023", "3.3.987.0",
         "Active", "EC2Instance"),
        (B, "eu-west-1", "i-0b0000000000000b2", "db-01", "Linux", "Ubuntu", "22.04", "3.3.987.0", "Active",
         "EC2Instance"),
        (B, "eu-west-1", "i-0b0000000000000b4", "old-01", "Linux", "Amazon Linux", "2", "3.1.1004.0",
         "Terminated", "EC2Instance"),
        (B, "eu-west-1", "mi-0b0000000000000b3", "onprem-01", "Linux", "Red Hat Enterprise Linux", "9.2",
         "3.0.1390.0", "ConnectionLost", "ManagedInstance"),
        (B, "us-east-1", "i-0b0000000000000b1", "WIN-APP-01", "Windows",
         "Microsoft Windows Server 2016 Datacenter", "10.0.14393", "3.1.1004.0", "Stopped", "EC2Instance"),
    ],
}
# Defaults and non-default names: the SQL must follow the stack's parameters either way.
STACKS = {
    "defaults": {},
    "renamed": {"pCFNDatabaseName": "ssm-inventory", "pCFNTablePrefixName": "org_patch"},
}


@pytest.fixture(scope="module", params=STACKS)
def stack(request):
    stack = render(NAME, {"pBucketName": "sync-bucket/inventory", "pStaleScanDays": "7", **STACKS[request.param]})
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
    schema = db.execute("SELECT schema_name FROM information_schema.schemata "
                        "WHERE schema_name NOT IN ('main', 'pg_catalog', 'information_schema')").fetchone()[0]
    table = db.execute("SELECT table_name FROM information_schema.tables "
                       "WHERE table_name LIKE '%instanceinformation'").fetchone()[0]
    rows = db.execute(f'SELECT DISTINCT resourcetype, instanceresourcetype FROM "{schema}"."{table}" '
                      "ORDER BY 2").fetchall()
    assert rows == [("ManagedInstanceInventory", "EC2Instance"), ("ManagedInstanceInventory", "ManagedInstance")]
    assert db.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()[0] == 7


@pytest.mark.parametrize("report", EXPECTED)
def test_each_named_query_returns_the_hand_worked_result(stack, report):
    stack, db = stack
    query = stack["Resources"][f"Query{analytics.camel(report)}"]["Properties"]
    database = stack["Resources"]["GlueDatabase"]["Properties"]["DatabaseInput"]["Name"]
    assert f'"{database}".' in query["QueryString"] and "${" not in query["QueryString"]
    result = db.execute(on_duckdb(query["QueryString"])).fetchall()
    assert [tuple(float(v) if isinstance(v, Decimal) else v for v in row) for row in result] == EXPECTED[report]


# aws cloudformation package -------------------------------------------------------------------

def test_the_template_fits_a_template_body():
    """`aws cloudformation deploy` sends templates up to 51,200 bytes inline, without --s3-bucket."""
    size = len((Path(__file__).parent.parent / "output" / NAME).read_bytes())
    assert size <= 51200, size


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    """A moto server on 127.0.0.1 that the aws CLI uses for S3 (and nothing else)."""
    port = free_port()
    process = subprocess.Popen([str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1",
                                "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{port}",
           "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    yield env
    process.terminate()
    process.wait(10)


def aws(env, *args) -> str:
    cli = str(Path(sys.executable).with_name("aws"))
    return subprocess.run([cli, *args], env=env, check=True, capture_output=True, text=True, timeout=120).stdout


def package(env, template: Path, bucket: str) -> dict:
    packaged = template.with_name("packaged.yml")
    aws(env, "cloudformation", "package", "--template-file", str(template), "--s3-bucket", bucket,
        "--output-template-file", str(packaged))
    data, errors = decode_str(packaged.read_text())
    assert not errors, errors
    return data


def lint(path: Path) -> list:
    """The build's own cfn-lint run (informational rules included)."""
    return builder.lint([path], "packaged")


def test_package_leaves_the_inline_template_unchanged(s3_server, tmp_path):
    aws(s3_server, "s3", "mb", "s3://ns-rep-lambda-code")
    template = tmp_path / NAME
    shutil.copy(Path(__file__).parent.parent / "output" / NAME, template)
    packaged = package(s3_server, template, "ns-rep-lambda-code")
    original, _ = decode_str(template.read_text())
    assert json.loads(json.dumps(packaged)) == json.loads(json.dumps(original))
    assert lint(template.with_name("packaged.yml")) == []
    assert json.loads(aws(s3_server, "s3api", "list-objects-v2", "--bucket", "ns-rep-lambda-code") or "{}"
                      ).get("KeyCount", 0) == 0


def test_package_uploads_code_given_as_a_local_path(s3_server, tmp_path):
    """The same command on the template with the code as a folder: it uploads a zip and points
    the function at it."""
    aws(s3_server, "s3", "mb", "s3://packaged-code")
    code = tmp_path / "initializer"
    code.mkdir()
    shutil.copy(analytics.INITIALIZER, code / "index.py")
    data = json.loads(json.dumps(template_dict(NAME)))
    data["Resources"]["CrawlerInitializerFunction"]["Properties"]["Code"] = "initializer"
    template = tmp_path / NAME
    template.write_text(json.dumps(data))
    function = package(s3_server, template, "packaged-code")["Resources"]["CrawlerInitializerFunction"]
    code_location = function["Properties"]["Code"]
    assert code_location["S3Bucket"] == "packaged-code"
    listed = json.loads(aws(s3_server, "s3api", "list-objects-v2", "--bucket", "packaged-code"))
    assert [obj["Key"] for obj in listed["Contents"]] == [code_location["S3Key"]]
    assert lint(template.with_name("packaged.yml")) == []
