"""What the QuickSight analysis and dashboard show, as data: sheets -> visuals with their titles,
grid positions and fields, and the filters. `definition()` turns it into the `Definition` of
AWS::QuickSight::Analysis (structure: the resource schema that cfn-lint ships), from which the
dashboard is published; the layout picture (dashboard_picture.py) and the tests read the same
data back from the built template.
"""

from dataclasses import dataclass

# A grid sheet is 36 columns wide (GridLayoutElement ColumnIndex 0-35, ColumnSpan 1-36).
GRID_COLUMNS = 36


@dataclass(frozen=True)
class Field:
    column: str
    aggregation: str = ""  # SUM, AVERAGE, COUNT, DISTINCT_COUNT; empty for a dimension, table column or aggregate
    granularity: str = "DAY"  # a date dimension's


@dataclass(frozen=True)
class Visual:
    id: str
    kind: str  # KPI, BAR, LINE or TABLE
    title: str
    grid: tuple[int, int, int, int]  # column, row, column span, row span
    category: tuple[Field, ...] = ()  # BAR and LINE: the axis; TABLE: the columns
    values: tuple[Field, ...] = ()
    colors: tuple[Field, ...] = ()
    panels: tuple[Field, ...] = ()  # LINE: one small chart per value of these
    top: int = 0  # BAR: only the top N categories by the first value
    where: tuple[tuple[str, int | None], ...] = ()  # (column, number it equals, or None: not empty)


@dataclass(frozen=True)
class Sheet:
    id: str
    name: str
    data_set: str
    visuals: tuple[Visual, ...]


# A drop-down control for each of these columns on every sheet whose data set has the column. Each is
# one filter across sheets and data sets (CrossDataset ALL_DATASETS: the data sets' columns of that
# name), so a choice made on one sheet holds on the others; its control on each sheet is a
# FilterCrossSheetControl, titled by the filter's DefaultFilterControlConfiguration (QuickSight API
# reference, "FilterCrossSheetControl" and "CategoryFilter").
CONTROLS = {"account_id": "Account", "region": "Region", "patch_group": "Patch group"}

# Fields computed by QuickSight: (data set, name) -> (expression, type). An exposure row is a node,
# a patch and one of its CVEs, so a patch with two CVEs has two rows: count node-patch pairs.
CALCULATED = {
    ("exposure", "node_patch"): ("concat({node_id}, ' ', {patch_id})", "STRING"),
    # 1 for a node patching does not reach (queries/unscanned_untargeted_nodes.sql): never scanned, or
    # not an EC2 instance (a hybrid node, mi-), which the default window target does not install on.
    ("snapshot", "unreached"): (
        "ifelse(isNull({last_scan_time}) OR left({node_id}, 2) <> 'i-', 1, 0)",
        "INTEGER",
    ),
    # Days to patch as queries/compacted/time_to_patch.sql gives them: the nearest rank, a value the
    # data holds (QuickSight user guide, "percentileDisc (percentile)"), per the visual's groups.
    ("sla", "median_days"): ("percentileDisc({days_open}, 50)", "DECIMAL"),
    ("sla", "p90_days"): ("percentileDisc({days_open}, 90)", "DECIMAL"),
}

NOW = ("latest_snapshot", 1)
OVERDUE = ("overdue_now", 1)
NONCOMPLIANT = ("compliance_percent", 0)
COMPLIANCE = Field("compliance_percent", "AVERAGE")

SHEETS = (
    Sheet(
        "compliance",
        "Compliance",
        "snapshot",
        (
            Visual("compliance", "KPI", "Organization compliance %", (0, 0, 8, 6), values=(COMPLIANCE,), where=(NOW,)),
            Visual(
                "noncompliant",
                "KPI",
                "Non-compliant nodes",
                (8, 0, 8, 6),
                values=(Field("node_id", "DISTINCT_COUNT"),),
                where=(NOW, NONCOMPLIANT),
            ),
            Visual(
                "unreached",
                "KPI",
                "Nodes never scanned or not EC2 (no window)",
                (16, 0, 8, 6),
                values=(Field("node_id", "DISTINCT_COUNT"),),
                where=(NOW, ("unreached", 1)),
            ),
            Visual(
                "trend",
                "LINE",
                "Compliance % per day",
                (24, 0, 12, 6),
                category=(Field("snapshot_date"),),
                values=(COMPLIANCE,),
            ),
            Visual(
                "by-account",
                "BAR",
                "Compliance % by account and Region",
                (0, 6, 36, 8),
                category=(Field("account_id"),),
                colors=(Field("region"),),
                values=(COMPLIANCE,),
                where=(NOW,),
            ),
            Visual(
                "nodes",
                "TABLE",
                "Non-compliant nodes and their patch counts",
                (0, 14, 36, 10),
                category=tuple(
                    Field(c)
                    for c in (
                        "account_id",
                        "region",
                        "computer_name",
                        "node_id",
                        "patch_group",
                        "instance_status",
                        "missing_count",
                        "failed_count",
                        "critical_noncompliant_count",
                        "security_noncompliant_count",
                        "installed_pending_reboot_count",
                        "last_scan_time",
                    )
                ),
                where=(NOW, NONCOMPLIANT),
            ),
        ),
    ),
    Sheet(
        "exposure",
        "Exposure",
        "exposure",
        (
            Visual(
                "by-severity",
                "BAR",
                "Missing and failed patches by severity and classification",
                (0, 0, 18, 9),
                category=(Field("severity"),),
                colors=(Field("classification"),),
                values=(Field("node_patch", "DISTINCT_COUNT"),),
            ),
            Visual(
                "top-cves",
                "BAR",
                "Top CVEs by nodes exposed",
                (18, 0, 18, 9),
                category=(Field("cve_id"),),
                values=(Field("node_id", "DISTINCT_COUNT"),),
                top=10,
                where=(("cve_id", None),),
            ),
            Visual(
                "patches",
                "TABLE",
                "Missing and failed patches by node",
                (0, 9, 36, 11),
                category=tuple(
                    Field(c)
                    for c in (
                        "account_id",
                        "region",
                        "computer_name",
                        "node_id",
                        "patch_group",
                        "patch_id",
                        "title",
                        "classification",
                        "severity",
                        "patch_state",
                        "cve_id",
                    )
                ),
            ),
        ),
    ),
    Sheet(
        "sla",
        "Time to patch",
        "sla",
        (
            Visual(
                "days-to-patch",
                "LINE",
                "Days to patch per month fixed: median and 90th percentile, one chart per severity",
                (0, 0, 36, 8),
                category=(Field("fixed_date", granularity="MONTH"),),
                values=(Field("median_days"), Field("p90_days")),
                panels=(Field("severity"),),
                where=(("fixed", 1),),
            ),
            Visual(
                "overdue-by-account",
                "BAR",
                "Node-patches open longer than their SLA, per account",
                (0, 8, 36, 8),
                category=(Field("account_id"),),
                colors=(Field("severity"),),
                values=(Field("patch_id", "COUNT"),),
                where=(OVERDUE,),
            ),
            Visual(
                "overdue",
                "TABLE",
                "Overdue now",
                (0, 16, 36, 10),
                category=tuple(
                    Field(c)
                    for c in ("account_id", "region", "node_id", "patch_id", "severity", "days_open", "sla_days")
                ),
                where=(OVERDUE,),
            ),
        ),
    ),
)
KINDS = {"KPI": "KPIVisual", "BAR": "BarChartVisual", "LINE": "LineChartVisual", "TABLE": "TableVisual"}


def _column(data_set: str, name: str) -> dict:
    return {"DataSetIdentifier": data_set, "ColumnName": name}


def _field_id(visual: Visual, field: Field) -> str:
    return f"{visual.id}.{field.column}"  # a visual names a column once


def _measure(data_set: str, visual: Visual, field: Field, types: dict) -> dict:
    common = {"FieldId": _field_id(visual, field), "Column": _column(data_set, field.column)}
    if not field.aggregation:  # a calculated field that aggregates
        return {"NumericalMeasureField": common}
    if types[field.column] in ("INTEGER", "DECIMAL"):
        return {
            "NumericalMeasureField": {
                **common,
                "AggregationFunction": {"SimpleNumericalAggregation": field.aggregation},
            }
        }
    return {"CategoricalMeasureField": {**common, "AggregationFunction": field.aggregation}}


def _dimension(data_set: str, visual: Visual, field: Field, types: dict) -> dict:
    common = {"FieldId": _field_id(visual, field), "Column": _column(data_set, field.column)}
    if types[field.column] == "DATETIME":
        return {"DateDimensionField": {**common, "DateGranularity": field.granularity}}
    return {"CategoricalDimensionField": common}


def _chart(sheet: Sheet, visual: Visual, types: dict) -> dict:
    ds = sheet.data_set
    if visual.kind == "TABLE":
        return {
            "FieldWells": {
                "TableUnaggregatedFieldWells": {
                    "Values": [
                        {"FieldId": _field_id(visual, f), "Column": _column(ds, f.column)} for f in visual.category
                    ]
                }
            }
        }
    values = [_measure(ds, visual, f, types) for f in visual.values]
    if visual.kind == "KPI":
        return {"FieldWells": {"Values": values}}
    wells = {"Category": [_dimension(ds, visual, f, types) for f in visual.category], "Values": values}
    if visual.colors:
        wells["Colors"] = [_dimension(ds, visual, f, types) for f in visual.colors]
    if visual.panels:
        wells["SmallMultiples"] = [_dimension(ds, visual, f, types) for f in visual.panels]
    if visual.kind == "LINE":
        return {"FieldWells": {"LineChartAggregatedFieldWells": wells}}
    chart = {"FieldWells": {"BarChartAggregatedFieldWells": wells}, "BarsArrangement": "STACKED"}
    if visual.top:
        chart["Orientation"] = "HORIZONTAL"
        chart["SortConfiguration"] = {
            "CategorySort": [{"FieldSort": {"FieldId": _field_id(visual, visual.values[0]), "Direction": "DESC"}}],
            "CategoryItemsLimit": {"ItemsLimit": visual.top, "OtherCategories": "EXCLUDE"},
        }
    return chart


def _visual(sheet: Sheet, visual: Visual, types: dict) -> dict:
    return {
        KINDS[visual.kind]: {
            "VisualId": visual.id,
            "Title": {"FormatText": {"PlainText": visual.title}},
            "ChartConfiguration": _chart(sheet, visual, types),
        }
    }


def _filter(filter_id: str, column: dict, equals: int | None | str) -> dict:
    """A number filter (column = equals), a non-empty filter (None), or a control's list filter ('')."""
    if isinstance(equals, int):
        return {
            "NumericEqualityFilter": {
                "FilterId": filter_id,
                "Column": column,
                "MatchOperator": "EQUALS",
                "Value": equals,
                "NullOption": "NON_NULLS_ONLY",
            }
        }
    return {
        "CategoryFilter": {
            "FilterId": filter_id,
            "Column": column,
            "Configuration": {
                "FilterListConfiguration": {
                    "MatchOperator": "CONTAINS",
                    "SelectAllOptions": "FILTER_ALL_VALUES",
                    "NullOption": "ALL_VALUES" if equals == "" else "NON_NULLS_ONLY",
                }
            },
        }
    }


def _filter_group(filter_id: str, scopes: list[dict], filter_: dict, cross_dataset: str = "SINGLE_DATASET") -> dict:
    return {
        "FilterGroupId": filter_id,
        "CrossDataset": cross_dataset,
        "Status": "ENABLED",
        "ScopeConfiguration": {"SelectedSheets": {"SheetVisualScopingConfigurations": scopes}},
        "Filters": [filter_],
    }


def control_groups(types: dict) -> list[dict]:
    """One filter per control column, on all visuals of every sheet whose data set has the column."""
    groups = []
    for column, title in CONTROLS.items():
        sheets = [sheet for sheet in SHEETS if column in types[sheet.data_set]]
        filter_ = _filter(column, _column(sheets[0].data_set, column), "")
        filter_["CategoryFilter"]["DefaultFilterControlConfiguration"] = {
            "Title": title,
            "ControlOptions": {"DefaultDropdownOptions": {"Type": "MULTI_SELECT"}},
        }
        scopes = [{"SheetId": sheet.id, "Scope": "ALL_VISUALS"} for sheet in sheets]
        groups.append(_filter_group(column, scopes, filter_, "ALL_DATASETS"))
    return groups


def filter_groups(sheet: Sheet) -> list[dict]:
    """One filter per `where` condition of the sheet's visuals, on the visuals that name it."""
    conditions: dict[tuple, list[str]] = {}
    for visual in sheet.visuals:
        for condition in visual.where:
            conditions.setdefault(condition, []).append(visual.id)
    groups = []
    for (column, equals), visual_ids in conditions.items():
        filter_id = f"{sheet.id}-{column}-{'set' if equals is None else equals}"
        scope = {"SheetId": sheet.id, "Scope": "SELECTED_VISUALS", "VisualIds": visual_ids}
        groups.append(_filter_group(filter_id, [scope], _filter(filter_id, _column(sheet.data_set, column), equals)))
    return groups


def _sheet(sheet: Sheet, types: dict) -> dict:
    return {
        "SheetId": sheet.id,
        "Name": sheet.name,
        "Visuals": [_visual(sheet, visual, types[sheet.data_set]) for visual in sheet.visuals],
        "FilterControls": [
            {"CrossSheet": {"FilterControlId": f"{sheet.id}-{column}", "SourceFilterId": column}}
            for column in CONTROLS
            if column in types[sheet.data_set]
        ],
        "Layouts": [
            {
                "Configuration": {
                    "GridLayout": {
                        "Elements": [
                            {
                                "ElementId": v.id,
                                "ElementType": "VISUAL",
                                "ColumnIndex": v.grid[0],
                                "RowIndex": v.grid[1],
                                "ColumnSpan": v.grid[2],
                                "RowSpan": v.grid[3],
                            }
                            for v in sheet.visuals
                        ]
                    }
                }
            }
        ],
    }


def definition(data_set_arns: dict, types: dict[str, dict[str, str]]) -> dict:
    """The Definition: data set key -> ARN (any intrinsic) and data set key -> column -> type."""
    types = {
        key: {**columns, **{name: kind for (data_set, name), (_, kind) in CALCULATED.items() if data_set == key}}
        for key, columns in types.items()
    }
    return {
        "DataSetIdentifierDeclarations": [{"Identifier": key, "DataSetArn": arn} for key, arn in data_set_arns.items()],
        "CalculatedFields": [
            {"DataSetIdentifier": data_set, "Name": name, "Expression": expression}
            for (data_set, name), (expression, _) in CALCULATED.items()
        ],
        "Sheets": [_sheet(sheet, types) for sheet in SHEETS],
        "FilterGroups": control_groups(types) + [group for sheet in SHEETS for group in filter_groups(sheet)],
    }
