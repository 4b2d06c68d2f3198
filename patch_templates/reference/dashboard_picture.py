"""A picture of each sheet of every QuickSight analysis in the built templates, drawn from its
`Definition`: the sheet's controls, then one box per visual at its grid position with its kind,
title, fields and the filters that apply to it alone. SVG, written by the build to
docs/dashboard/<template>-<sheet>.svg."""

from html import escape
from pathlib import PurePosixPath

COLUMNS = 36  # a grid sheet is 36 columns wide
COLUMN_WIDTH = 30  # pixels per grid column
ROW_HEIGHT = 26  # pixels per grid row
MARGIN = 16
HEADER = 76  # sheet name and controls
FONT = 13
CHARACTER_WIDTH = 7.2  # of the 13 px sans-serif font, to wrap titles inside their box
# Chart field wells, in the order the picture names them.
WELLS = {"Category": "by", "Colors": "colour", "SmallMultiples": "one chart per", "Values": "value"}
KINDS = {
    "KPIVisual": ("KPI", "#e3f2fd"),
    "BarChartVisual": ("bar chart", "#e8f5e9"),
    "LineChartVisual": ("line chart", "#fff3e0"),
    "TableVisual": ("table", "#f3e5f5"),
}


def _wrap(text: str, width: float) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width / CHARACTER_WIDTH:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + [line]


def _text(x: float, y: float, text: str, size: int = FONT, weight: str = "normal") -> str:
    return (
        f'<text x="{x:.0f}" y="{y:.0f}" font-family="sans-serif" font-size="{size}" '
        f'font-weight="{weight}">{escape(text)}</text>'
    )


def fields(node) -> list[str]:
    """The columns of a visual's field wells in order, with their aggregation."""
    if isinstance(node, list):
        return [name for item in node for name in fields(item)]
    if not isinstance(node, dict):
        return []
    if "Column" in node:
        aggregation = node.get("AggregationFunction", "")
        if isinstance(aggregation, dict):
            aggregation = next(iter(aggregation.values()), "")
        column = node["Column"]["ColumnName"]
        if "DateGranularity" in node:
            column += f" per {node['DateGranularity'].lower()}"
        return [f"{str(aggregation).lower().replace('_', ' ')} of {column}" if aggregation else column]
    labelled = len(WELLS.keys() & node.keys()) > 1  # a chart's wells, not a KPI's or table's one list
    return [
        f"{WELLS[key]}: {name}" if labelled and key in WELLS else name
        for key, value in sorted(node.items(), key=lambda item: list(WELLS).index(item[0]) if item[0] in WELLS else -1)
        for name in fields(value)
    ]


def visual_filters(definition: dict, sheet_id: str) -> dict[str, list[str]]:
    """visual id -> 'column = value' of each filter scoped to chosen visuals of the sheet."""
    found: dict[str, list[str]] = {}
    for group in definition.get("FilterGroups", []):
        scopes = group["ScopeConfiguration"].get("SelectedSheets", {}).get("SheetVisualScopingConfigurations", [])
        for scope in scopes:
            if scope["SheetId"] != sheet_id or scope["Scope"] != "SELECTED_VISUALS":
                continue
            for item in group["Filters"]:
                ((_, spec),) = item.items()
                shown = (
                    f"{spec['Column']['ColumnName']} = {spec['Value']}"
                    if "Value" in spec
                    else f"{spec['Column']['ColumnName']} not empty"
                )
                for visual_id in scope["VisualIds"]:
                    found.setdefault(visual_id, []).append(shown)
    return found


def sheet_svg(title: str, sheet: dict, definition: dict) -> str:
    """One sheet: its name, its filter controls in a row, its visuals on the grid."""
    elements = {
        e["ElementId"]: e
        for layout in sheet.get("Layouts", [])
        for e in layout["Configuration"]["GridLayout"]["Elements"]
    }
    rows = max((e["RowIndex"] + e["RowSpan"] for e in elements.values()), default=0)
    width, height = 2 * MARGIN + COLUMNS * COLUMN_WIDTH, HEADER + rows * ROW_HEIGHT + MARGIN
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        _text(MARGIN, 24, f"{title}: sheet {sheet.get('Name', sheet['SheetId'])}", 16, "bold"),
    ]
    # a cross-sheet control is titled by its filter
    titles = {
        spec["FilterId"]: spec["DefaultFilterControlConfiguration"]["Title"]
        for group in definition.get("FilterGroups", [])
        for item in group["Filters"]
        for spec in item.values()
        if "DefaultFilterControlConfiguration" in spec
    }
    for i, control in enumerate(sheet.get("FilterControls", [])):
        ((_, spec),) = control.items()
        x = MARGIN + i * 8 * COLUMN_WIDTH
        parts += [
            f'<rect x="{x}" y="36" width="{8 * COLUMN_WIDTH - 8}" height="26" rx="4" fill="#fafafa" stroke="#9e9e9e"/>',
            _text(x + 8, 54, f"{spec.get('Title') or titles[spec['SourceFilterId']]} ▾"),
        ]
    only = visual_filters(definition, sheet["SheetId"])
    for visual in sheet.get("Visuals", []):
        ((kind, spec),) = visual.items()
        element = elements[spec["VisualId"]]
        x = MARGIN + element["ColumnIndex"] * COLUMN_WIDTH
        y = HEADER + element["RowIndex"] * ROW_HEIGHT
        w, h = element["ColumnSpan"] * COLUMN_WIDTH - 6, element["RowSpan"] * ROW_HEIGHT - 6
        label, colour = KINDS.get(kind, (kind, "#eeeeee"))
        parts.append(f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6" fill="{colour}" stroke="#616161"/>')
        parts.append(_text(x + 10, y + 20, label, 11))
        title_text = spec.get("Title", {}).get("FormatText", {}).get("PlainText", spec["VisualId"])
        lines = [(line, FONT, "bold") for line in _wrap(title_text, w - 20)]
        lines += [
            (line, 11, "normal")
            for line in _wrap(
                ", ".join(fields(spec.get("ChartConfiguration", {}).get("FieldWells", {}))), (w - 20) * 1.15
            )
        ]
        if spec["VisualId"] in only:
            lines += [
                (line, 11, "normal")
                for line in _wrap("only where " + " and ".join(only[spec["VisualId"]]), (w - 20) * 1.15)
            ]
        for n, (line, size, weight) in enumerate(lines):
            parts.append(_text(x + 10, y + 40 + n * 16, line, size, weight))
    return "\n".join(parts + ["</svg>", ""])


def files(templates: dict[str, dict]) -> dict[str, str]:
    """'docs/dashboard/<template stem>-<sheet id>.svg' -> SVG, for every analysis Definition."""
    found = {}
    for name, template in templates.items():
        for resource in template.get("Resources", {}).values():
            if resource["Type"] != "AWS::QuickSight::Analysis":
                continue
            definition = resource["Properties"]["Definition"]
            for sheet in definition.get("Sheets", []):
                path = f"docs/dashboard/{PurePosixPath(name).stem}-{sheet['SheetId']}.svg"
                found[path] = sheet_svg(resource["Properties"]["Name"], sheet, definition)
    return found
