"""The generated reference: example parameter files, parameter tables, Mermaid pictures, the
build's handling of docs/ (freshness, all or nothing), and the Makefile's deploy targets."""

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import render, snapshot, template_dict

from patch_templates import builder
from patch_templates.deploy import rules
from patch_templates.parts import parameters
from patch_templates.parts.common import TEMPLATE_BODY_LIMIT, BuildError
from patch_templates.reference import docs, pages, pictures
from patch_templates.stacks import TEMPLATES, stackset

ROOT = Path(__file__).resolve().parent.parent
COLLECTOR = "resourcedatasync_s3bucket_bucketpolicy.yml"


def parameter_file(name: str) -> list[dict]:
    return json.loads((ROOT / "output" / "parameters" / f"{docs.stem(name)}.json").read_text())


# -- example parameter files ------------------------------------------------------------------


@pytest.mark.parametrize("name", TEMPLATES)
def test_parameter_file_names_exactly_the_template_parameters(name):
    keys = [p["ParameterKey"] for p in parameter_file(name)]
    assert len(keys) == len(set(keys))
    assert set(keys) == set(template_dict(name).get("Parameters", {}))
    assert all(
        set(p) == {"ParameterKey", "ParameterValue"} and isinstance(p["ParameterValue"], str)
        for p in parameter_file(name)
    )


@pytest.mark.parametrize("name", TEMPLATES)
def test_parameter_file_values_pass_constraints_and_rules(name):
    template = template_dict(name)
    values = {p["ParameterKey"]: p["ParameterValue"] for p in parameter_file(name)}
    for key, value in values.items():
        assert parameters.violation(template["Parameters"][key], value) is None, (key, value)
    assert rules.failures(template, values) == []
    # cloud-radar checks the values its own way and resolves the stack with them.
    assert render(name, values)["Resources"]


def test_parameter_file_required_values_come_from_the_example_table():
    values = {p["ParameterKey"]: p["ParameterValue"] for p in parameter_file(COLLECTOR)}
    assert values["pResourceDataSyncBucketName"] == docs.EXAMPLES["pResourceDataSyncBucketName"]
    assert values["pSyncName"] == template_dict(COLLECTOR)["Parameters"]["pSyncName"]["Default"]


# -- examples and rules -----------------------------------------------------------------------

STRING = dict(Type="String", AllowedPattern=r"^[a-z]{3}$", ConstraintDescription="three letters")


def test_example_value_fails_clearly_when_nothing_fits():
    with pytest.raises(BuildError, match="no example value for pOdd: add one to EXAMPLES"):
        docs.example_value("pOdd", STRING)


def test_example_value_order_name_default_allowed_minimum_candidate():
    assert docs.example_value("pDataSourceAccountID", dict(STRING, Default="")) == "444455556666,777788889999"
    assert docs.example_value("pX", dict(STRING, Default="abc")) == "abc"
    assert docs.example_value("pX", dict(Type="String", AllowedValues=["B", "A"])) == "B"
    assert docs.example_value("pX", dict(Type="Number", MinValue=3, MaxValue=9)) == "3"
    assert docs.example_value("pX", dict(Type="String", AllowedPattern=r"^us-[a-z]+-\d$")) == "us-east-1"
    assert docs.example_value("pX", dict(Type="Number", Default=True)) == "true"


def test_examples_refused_by_a_rule_stop_the_docs():
    template = {
        "Parameters": {"pA": dict(STRING, Default="abc"), "pB": dict(STRING, Default="abd")},
        "Rules": {
            "Same": {
                "Assertions": [
                    {"Assert": {"Fn::Equals": [{"Ref": "pA"}, {"Ref": "pB"}]}, "AssertDescription": "pA must equal pB"}
                ]
            }
        },
    }
    with pytest.raises(BuildError, match="x.yml are refused: Same: pA must equal pB"):
        docs.example_parameters("x.yml", template)


def test_a_rule_that_cannot_be_checked_offline_stops_the_docs():
    template = {
        "Parameters": {"pA": dict(STRING, Default="abc")},
        "Rules": {"Vpc": {"Assertions": [{"Assert": {"Fn::ValueOf": ["pA", "VpcId"]}}]}},
    }
    with pytest.raises(BuildError, match="cannot check the Rules of x.yml .*Fn::ValueOf"):
        docs.example_parameters("x.yml", template)


def test_collector_rule_needs_accounts_or_organization():
    template = template_dict(COLLECTOR)
    values = {p["ParameterKey"]: p["ParameterValue"] for p in parameter_file(COLLECTOR)}
    assert rules.failures(template, dict(values, pDataSourceAccountID="")) == [
        "SourceAccountsOrOrganization: "
        + template["Rules"]["SourceAccountsOrOrganization"]["Assertions"][0]["AssertDescription"]
    ]
    assert rules.failures(template, dict(values, pDataSourceAccountID="111122223333,")) != []
    assert rules.failures(template, dict(values, pDataSourceAccountID="", pOrganizationID="o-a1b2c3d4e5")) == []


def test_rule_functions():
    template = {"Parameters": {"pL": {"Type": "CommaDelimitedList"}, "pS": {"Type": "String"}}}
    values = {"pL": "a,b", "pS": "a"}

    def ev(expression):
        return rules.evaluate(expression, template, values)

    assert ev({"Ref": "pL"}) == ["a", "b"] and ev({"Ref": "AWS::Region"}) == "us-east-1"
    assert ev({"Fn::Contains": [{"Ref": "pL"}, {"Ref": "pS"}]}) is True
    assert ev({"Fn::EachMemberIn": [{"Ref": "pL"}, ["a", "b", "c"]]}) is True
    assert ev({"Fn::EachMemberIn": [{"Ref": "pL"}, ["a"]]}) is False
    assert ev({"Fn::EachMemberEquals": [{"Ref": "pL"}, "a"]}) is False
    assert ev({"Fn::And": [{"Fn::Equals": [{"Ref": "pS"}, "a"]}, {"Fn::Not": [{"Fn::Equals": ["x", "y"]}]}]}) is True
    assert ev({"Fn::Or": [{"Fn::Equals": ["x", "y"]}, {"Fn::Equals": ["y", "z"]}]}) is False
    with pytest.raises(ValueError, match="Fn::ValueOf cannot be evaluated offline"):
        ev({"Fn::ValueOf": ["pS", "Tags"]})


# -- references and pictures ------------------------------------------------------------------

SAMPLE = {
    "Description": "sample member",
    "Parameters": {"pName": dict(STRING, Default="abc", Description="a | b")},
    "Metadata": {
        "AWS::CloudFormation::Interface": {
            "ParameterGroups": [{"Label": {"default": "Names"}, "Parameters": ["pName"]}],
            "ParameterLabels": {"pName": {"default": "Name"}},
        }
    },
    "Resources": {
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": {"Ref": "pName"}}},
        "Role": {
            "Type": "AWS::IAM::Role",
            "Condition": "Maybe",
            "Properties": {
                "Policies": [
                    {
                        "PolicyDocument": {
                            "Resource": [
                                {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/${!Literal}"},
                                {"Fn::Sub": ["${Local}/${Topic.TopicName}", {"Local": {"Fn::GetAtt": "Bucket.Arn"}}]},
                            ]
                        }
                    }
                ]
            },
        },
        "Topic": {"Type": "AWS::SNS::Topic", "DependsOn": "Bucket", "Properties": {}},
        "Hook": {
            "Type": "Custom::Hook",
            "DependsOn": ["Topic", "Role"],
            "Properties": {"ServiceToken": {"Fn::GetAtt": ["Role", "Arn"]}},
        },
    },
}


def test_references_follow_ref_getatt_sub_and_skip_locals_pseudo_and_literals():
    found = set(pictures.references(SAMPLE["Resources"]["Role"]["Properties"]))
    assert found == {
        ("Sub", "AWS::Partition", ""),
        ("Sub", "Bucket", ""),
        ("GetAtt", "Bucket", "Arn"),
        ("Sub", "Topic", "TopicName"),
    }


def test_resource_edges_between_resources_only():
    assert pictures.resource_edges(SAMPLE) == [
        ("Hook", "Role", "DependsOn, GetAtt Arn"),
        ("Hook", "Topic", "DependsOn"),
        ("Role", "Bucket", "GetAtt Arn, Sub"),
        ("Role", "Topic", "Sub TopicName"),
        ("Topic", "Bucket", "DependsOn"),
    ]


def test_template_picture_shows_every_resource_edge_condition_and_service():
    picture = pictures.template_mermaid(SAMPLE, [])
    assert picture.startswith("flowchart TB")
    for logical_id, resource in SAMPLE["Resources"].items():
        assert f'n_{logical_id}["{logical_id}<br/>{resource["Type"]}' in picture
    assert 'n_Role["Role<br/>AWS::IAM::Role<br/>only if Maybe"]:::conditional' in picture
    assert "n_Topic -.->|DependsOn| n_Bucket" in picture and "n_Hook -->|DependsOn, GetAtt Arn| n_Role" in picture
    assert {
        'subgraph n_svc_Buckets["Buckets"]',
        'subgraph n_svc_Runs_at_deploy_time["Runs at deploy time"]',
        'subgraph n_svc_Permissions["Permissions"]',
        'subgraph n_svc_Alerts["Alerts"]',
    } <= set(map(str.strip, picture.splitlines()))
    assert len(re.findall(r"-->|-\.->", picture)) == len(pictures.resource_edges(SAMPLE))


def test_alike_resources_share_one_node_and_plain_refs_have_no_label():
    tables = {
        f"Table{i}": {"Type": "AWS::Glue::Table", "Properties": {"DatabaseName": {"Ref": "Database"}}} for i in range(3)
    }
    template = {
        "Resources": {
            "Database": {"Type": "AWS::Glue::Database", "Properties": {}},
            **tables,
            "Lonely": {"Type": "AWS::Glue::Table", "Properties": {"DatabaseName": "other"}},
            "Crawler": {"Type": "AWS::Glue::Crawler", "Properties": {"Tables": [{"Ref": name} for name in tables]}},
        }
    }
    assert pictures.alike(template) == {
        "Database": ["Database"],
        "Table0": ["Table0", "Table1", "Table2"],
        "Lonely": ["Lonely"],
        "Crawler": ["Crawler"],
    }
    picture = pictures.template_mermaid(template, [])
    assert 'n_Table0["Table0<br/>Table1<br/>Table2<br/>3 × AWS::Glue::Table"]' in picture
    assert picture.count("n_Crawler --> n_Table0") == 1 and "n_Table0 --> n_Database" in picture
    assert "n_Table1" not in picture and "|Ref|" not in picture
    check_mermaid(picture)
    two = {name: tables[name] for name in ["Table0", "Table1"]}
    assert pictures.alike({"Resources": two}) == {"Table0": ["Table0"], "Table1": ["Table1"]}  # fewer than ALIKE


def stackset_of(*bodies: str) -> dict:
    return {
        "Description": "sets",
        "Resources": {
            f"Set{i}": {"Type": "AWS::CloudFormation::StackSet", "Properties": {"TemplateBody": body}}
            for i, body in enumerate(bodies)
        },
    }


def test_stackset_members_found_from_json_or_yaml_body():
    from troposphere import Template, s3

    other = dict(SAMPLE, Description="other member")
    yaml_member = Template(Description="yaml member")
    yaml_member.add_resource(s3.Bucket("Bucket"))
    templates = {"a.yml": SAMPLE, "b.yml": other, "c.yml": yaml_member.to_dict()}
    templates["set.yml"] = stackset_of(json.dumps(other), yaml_member.to_yaml())
    assert pictures.stackset_members(templates["set.yml"], templates) == [("Set0", "b.yml"), ("Set1", "c.yml")]
    picture = pictures.template_mermaid(
        templates["set.yml"], pictures.stackset_members(templates["set.yml"], templates)
    )
    assert "n_Set1 -->|TemplateBody| n_file_c_yml" in picture


def full_registry() -> dict[str, dict]:
    """The real collector plus stand-ins for every other file name of DEPLOYMENT."""
    templates = {COLLECTOR: template_dict(COLLECTOR), "central_alerts.yml": template_dict("central_alerts.yml")}
    for name in docs.PATCHING:  # alike: same account, step and resource types
        templates[name] = dict(SAMPLE, Description=f"patching {name}")
    for name in docs.BASELINES:  # alike StackSet members
        templates[name] = {
            "Description": f"baseline {name}",
            "Resources": {"PatchBaseline": {"Type": "AWS::SSM::PatchBaseline", "Properties": {}}},
        }
    templates[docs.OPERATIONS] = {
        "Description": "operations",
        "Resources": {"MaintenanceWindow": {"Type": "AWS::SSM::MaintenanceWindow", "Properties": {}}},
    }
    templates[docs.SYNC] = {
        "Description": "sync",
        "Resources": {"ResourceDataSync": {"Type": "AWS::SSM::ResourceDataSync", "Properties": {}}},
    }
    templates[docs.ANALYTICS] = {
        "Description": "analytics",
        "Resources": {"Crawler": {"Type": "AWS::Glue::Crawler", "Properties": {}}},
    }
    templates[docs.REPORTS] = {
        "Description": "reports",
        "Resources": {"ComplianceSnapshotSchedule": {"Type": "AWS::Scheduler::Schedule", "Properties": {}}},
    }
    templates[docs.DHMC] = {
        "Description": "dhmc",
        "Resources": {"DefaultHostManagementFunction": {"Type": "AWS::Lambda::Function", "Properties": {}}},
    }
    members = [json.dumps(templates[n]) for n in [*docs.BASELINES, docs.OPERATIONS, docs.SYNC, docs.DHMC]]
    templates[docs.DASHBOARD] = {
        "Description": "dashboard",
        "Resources": {"Dashboard": {"Type": "AWS::QuickSight::Dashboard", "Properties": {}}},
    }
    templates["patch_management_stackset.yml"] = stackset_of(*members)
    templates["patch_now_administration.yml"] = template_dict("patch_now_administration.yml")
    return templates


def test_architecture_places_templates_by_account_and_draws_stacksets_and_flows():
    templates = full_registry()
    assert set(templates) == set(docs.DEPLOYMENT)
    picture = pictures.architecture_mermaid(
        templates, {n: pictures.stackset_members(t, templates) for n, t in templates.items()}
    )
    blocks = re.findall(r'subgraph n_acct_(\w+)\["([^"]+)"\]\n(.*?)\n  end', picture, re.S)
    assert [(kind, title) for kind, title, _ in blocks] == list(docs.ACCOUNTS.items())
    inside = {kind: body for kind, _, body in blocks}
    assert "patch_management_stackset.yml" in inside["management"]
    node = {name: "n_" + re.sub(r"\W", "_", name) for name in docs.DEPLOYMENT}
    assert all(
        node[n] in inside["source"]
        for n in [docs.PATCHING[0], docs.BASELINES[0], docs.OPERATIONS, docs.SYNC, docs.DHMC]
    )
    assert f"&lt;os&gt;_patch_baseline.yml ({len(docs.BASELINES)} files)" in inside["source"]
    assert COLLECTOR in inside["collector"] and docs.ANALYTICS in inside["collector"]
    # Alike templates share one node (the standalone patching ones, the baseline members).
    assert inside["source"].count("\n") == 4
    stackset = node["patch_management_stackset.yml"]
    for member in (docs.BASELINES[0], docs.OPERATIONS, docs.SYNC, docs.DHMC):
        assert picture.count(f"{stackset} ==>|deploys| {node[member]}") == 1
    assert f"==>|deploys| {node[docs.PATCHING[0]]}" not in picture  # standalone: deployed alone
    assert f"{node[docs.SYNC]} -->|inventory and compliance JSON| {node[COLLECTOR]}" in picture
    assert f"{node[docs.OPERATIONS]} -->|scan and install on schedule: node compliance| {node[docs.SYNC]}" in picture
    assert (
        f"{node[docs.OPERATIONS]} -->|failed runs, non-compliant nodes: events| {node['central_alerts.yml']}" in picture
    )
    # Alerts leave the accounts for people: round nodes outside every account box.
    assert (
        f"{node['central_alerts.yml']} -->|one readable alert per failure| n_to_operators__e_mail___Slack_" in picture
    )
    assert f"{node[docs.PATCHING[0]]} -->|failed patch runs: SNS e-mail| n_to_operators__e_mail_" in picture
    assert 'n_to_operators__e_mail_(["operators (e-mail)"]):::people' in picture
    assert all("n_to_operators" not in body for body in inside.values())


def test_generate_covers_every_template_and_fails_on_unknown_file():
    files = docs.generate(full_registry())
    assert {f"docs/templates/{docs.stem(n)}.md" for n in docs.DEPLOYMENT} <= set(files)
    assert {f"output/parameters/{docs.stem(n)}.json" for n in docs.DEPLOYMENT} <= set(files)
    assert "docs/templates/consolidated_billing_s3_glue_crawler_athena.md" in files  # .yaml stem
    page = files[f"docs/templates/{docs.stem(docs.SYNC)}.md"]
    assert "- **Step:** 3, deployed by `patch_management_stackset.yml` or alone in one account" in page
    assert "deployed by" not in files[f"docs/templates/{docs.stem(COLLECTOR)}.md"]
    with pytest.raises(BuildError, match=r"stray\.yml has no entry in DEPLOYMENT"):
        docs.generate({**full_registry(), "stray.yml": SAMPLE})


def test_parameter_table_lists_each_parameter_once_in_console_groups():
    text = (ROOT / "docs" / "parameters.md").read_text()
    for name in TEMPLATES:
        section = text.split(f"## {name}\n", 1)[1].split("\n## ", 1)[0]
        groups = docs.grouped_parameters(template_dict(name))
        rows = re.findall(r"^\| (?:\*\*|`)?.*$", section, re.M)
        expected = [f"| | **{group}** | |" for group, _ in groups]
        assert [r for r in rows if r.startswith("| | **")] == expected
        shown = re.findall(r"^\| `(\w+)`", section, re.M)
        assert shown == [p for _, names in groups for p in names]
        assert sorted(shown) == sorted(template_dict(name).get("Parameters", {}))


def test_table_cells_escape_pipes():
    examples = {"m.yml": docs.example_parameters("m.yml", SAMPLE)}
    original = docs.DEPLOYMENT.get("m.yml")
    docs.DEPLOYMENT["m.yml"] = docs.Placement(9, "source")
    try:
        text = pages.parameters_markdown({"m.yml": SAMPLE}, examples)
    finally:
        del docs.DEPLOYMENT["m.yml"]
    assert original is None
    assert "| `pName`<br>Name | a \\| b | Default: `abc`<br>three letters |" in text


# -- the build: freshness of docs/, all or nothing --------------------------------------------


@pytest.fixture
def checkout(tmp_path):
    """A copy of output/ and docs/ to build into."""
    for folder in ("output", "docs"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def build(root: Path, *options: str) -> int:
    return builder.run(
        builder.parse_args(["--output-dir", str(root / "output"), "--docs-dir", str(root / "docs"), *options])
    )


def test_check_passes_on_the_committed_docs(checkout, capsys):
    assert build(checkout, "--check") == 0
    assert "are current" in capsys.readouterr().out


@pytest.mark.parametrize("change", ["edit", "delete", "extra"])
def test_check_fails_when_docs_or_parameter_files_are_stale(checkout, capsys, change):
    target = {
        "edit": checkout / "docs" / "parameters.md",
        "delete": checkout / "output" / "parameters" / f"{docs.stem(COLLECTOR)}.json",
        "extra": checkout / "docs" / "templates" / "removed_template.md",
    }[change]
    if change == "edit":
        target.write_text(target.read_text().replace("Bucket name", "Bucket"))
    elif change == "delete":
        target.unlink()
    else:
        target.write_text("# removed_template.yml\n")
    before = snapshot(checkout)
    assert build(checkout, "--check") == 1
    out = capsys.readouterr().out
    assert str(target) in out and "stale: run make templates" in out
    assert snapshot(checkout) == before


def test_build_rewrites_stale_docs_and_leaves_hand_written_files(checkout):
    (checkout / "docs" / "notes.md").write_text("## hand-written\n")
    (checkout / "docs" / "parameters.md").write_text("stale\n")
    (checkout / "docs" / "templates" / "removed_template.md").write_text("old\n")
    assert build(checkout) == 0
    assert (checkout / "docs" / "parameters.md").read_text() == (ROOT / "docs" / "parameters.md").read_text()
    assert not (checkout / "docs" / "templates" / "removed_template.md").exists()
    assert (checkout / "docs" / "notes.md").read_text() == "## hand-written\n"
    assert build(checkout, "--check") == 0


def test_a_template_missing_from_deployment_stops_the_build_untouched(checkout, monkeypatch):
    monkeypatch.setitem(builder.TEMPLATES, "stray.yml", TEMPLATES[COLLECTOR])
    before = snapshot(checkout)
    with pytest.raises(builder.BuildError, match=r"stray\.yml has no entry in DEPLOYMENT"):
        build(checkout)
    with pytest.raises(SystemExit, match=r"build failed: stray\.yml has no entry in DEPLOYMENT"):
        builder.main(["--output-dir", str(checkout / "output"), "--docs-dir", str(checkout / "docs")])
    assert snapshot(checkout) == before


def test_a_lint_finding_leaves_stale_docs_untouched(checkout, monkeypatch, capsys):
    (checkout / "docs" / "parameters.md").write_text("stale\n")
    (checkout / "docs" / "templates" / "removed_template.md").write_text("old\n")
    monkeypatch.setattr(builder, "lint_in_parallel", lambda paths, shown: [f"{shown}/{COLLECTOR}:1 E0000 made up"])
    before = snapshot(checkout)
    assert build(checkout, "--no-cache") == 1
    assert f"{checkout / 'docs'}/ left unchanged" in capsys.readouterr().err
    assert snapshot(checkout) == before


def test_bad_docs_dir_option_is_named_and_nothing_is_written(checkout, capsys):
    not_a_dir = checkout / "file"
    not_a_dir.write_text("x")
    before = snapshot(checkout)
    with pytest.raises(SystemExit) as stopped:
        builder.main(["--output-dir", str(checkout / "output"), "--docs-dir", str(not_a_dir)])
    assert stopped.value.code == 2
    assert f"--docs-dir: {not_a_dir} exists and is not a directory" in capsys.readouterr().err
    assert snapshot(checkout) == before


# -- Mermaid syntax (the subset the generator writes; rendered by hand with mermaid-cli too) --

LINE = re.compile(
    r"""\s*(?:
    (?P<head>flowchart\ (?:TB|LR)) |
    classDef\ \w+\ [^;]+ |
    subgraph\ (?P<group>n_\w+)\["[^"]+"\] |
    end |
    (?P<node>n_\w+)(?:\["[^"|]+"\]|\(\["[^"|]+"\]\))(?::::\w+)? |
    (?P<src>n_\w+)\ (?:-->|-\.->|==>)(?:\|[^|"]+\|)?\ (?P<dst>n_\w+)
)$""",
    re.X,
)


def check_mermaid(picture: str) -> None:
    nodes, edges, depth = set(), [], 0
    for line in picture.splitlines():
        match = LINE.fullmatch(line)
        assert match, line
        depth += bool(match["group"]) - (line.strip() == "end")
        assert depth >= 0, line
        nodes.add(match["node"] or match["group"])
        edges += [(match["src"], match["dst"])] if match["src"] else []
    assert picture.splitlines()[0] in ("flowchart TB", "flowchart LR") and depth == 0
    assert {end for edge in edges for end in edge} <= nodes


def test_every_committed_picture_is_well_formed():
    pages = [ROOT / "docs" / "architecture.md", *(ROOT / "docs" / "templates").glob("*.md")]
    pictures = [p for page in pages for p in re.findall(r"```mermaid\n(.*?)\n```", page.read_text(), re.S)]
    assert len(pictures) == len(TEMPLATES) + 1
    for picture in pictures:
        check_mermaid(picture)


def test_pictures_of_a_full_registry_are_well_formed():
    for text in docs.generate(full_registry()).values():
        for picture in re.findall(r"```mermaid\n(.*?)\n```", text, re.S):
            check_mermaid(picture)
    with pytest.raises(AssertionError):
        check_mermaid('flowchart TB\n  n_a["a"]\n  n_a -->|Ref| n_b')  # an edge to no node


def test_deploy_commands_go_through_s3_only_for_templates_over_the_inline_limit():
    for name in TEMPLATES:
        page = (ROOT / "docs" / "templates" / f"{docs.stem(name)}.md").read_text()
        over = (ROOT / "output" / name).stat().st_size > TEMPLATE_BODY_LIMIT
        assert ("--s3-bucket my-artifacts-bucket" in page) == over, name
        assert ("ARTIFACTS_BUCKET=my-artifacts-bucket" in page) == over, name
    assert (ROOT / "output" / "patch_management_stackset.yml").stat().st_size > TEMPLATE_BODY_LIMIT


def test_stackset_picture_draws_one_node_per_wave_of_alike_members():
    """41 StackSets would be 41 rows: the baseline StackSets of one wave share a node, and so do
    their member files; the operations StackSet of each wave keeps its own."""
    members = [
        (f"{member.key}{wave}StackSet", member.file)
        for wave in ("", "Wave2")
        for member in stackset.MEMBERS
        if member.file in docs.BASELINES + [docs.OPERATIONS]
    ]
    template = {
        "Resources": {
            logical_id: {"Type": "AWS::CloudFormation::StackSet", "Condition": f"Deploy{logical_id}", "Properties": {}}
            for logical_id, _ in members
        }
    }
    picture = pictures.template_mermaid(template, members)
    first, last = members[0][0], members[len(docs.BASELINES) - 1][0]
    assert f'n_{first}["{first}<br/>…<br/>{last}<br/>{len(docs.BASELINES)} × AWS::CloudFormation::StackSet' in picture
    assert picture.count("-->|TemplateBody|") == 4  # baselines and operations, in each of two waves
    assert picture.count(f"&lt;os&gt;_patch_baseline.yml ({len(docs.BASELINES)} files)") == 1
    assert f"n_PatchOperationsWave2StackSet -->|TemplateBody| n_file_{docs.OPERATIONS.replace('.', '_')}" in picture
