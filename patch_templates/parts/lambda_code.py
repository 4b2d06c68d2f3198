"""Inline Lambda code (ZipFile) from a function module of patch_templates/lambdas: the modules it
imports from its own folder (`from .name import ...`) first, then the module itself, compacted. So
the source stays a readable, formatted and tested package module, and the function still deploys
from the template alone (AWS::Lambda::Function Code, ZipFile: at most 4,096 bytes, run as index.py).
The build checks that the compacted code is the same program: its syntax tree is the sources'."""

import ast
import io
import re
import tokenize
from pathlib import Path

SCOPES = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
WORD = re.compile(r"\w")


class CodeError(Exception):
    """The embedded code would not be the same program as its sources."""


def embedded(path: Path) -> str:
    """The function's inline code; CodeError unless its syntax tree is the sources' without
    docstrings and relative imports."""
    paths = sources(path)
    code = "".join(compact(p.read_text(), p.name) for p in paths)
    expected = ast.Module(body=[node for p in paths for node in statements(p.read_text())], type_ignores=[])
    if ast.dump(ast.parse(code)) != ast.dump(expected):
        raise CodeError(f"the inline code of {path.name} is not the same program as its source")
    return code


def sources(path: Path) -> list[Path]:
    """The module after the modules of its folder that it imports, each once."""
    found: list[Path] = []
    for node in relative_imports(ast.parse(path.read_text())):
        found += [p for p in sources(path.with_name(f"{node.module}.py")) if p not in found]
    return [*found, path]


def relative_imports(tree: ast.Module) -> list[ast.ImportFrom]:
    return [node for node in tree.body if isinstance(node, ast.ImportFrom) and node.level]


def docstrings(tree: ast.Module) -> list[ast.stmt]:
    """The docstrings of the module and of its classes and functions."""
    return [node.body[0] for node in ast.walk(tree) if isinstance(node, SCOPES) and ast.get_docstring(node, False)]


def statements(source: str) -> list[ast.stmt]:
    """The module's statements without its relative imports and docstrings."""
    tree = ast.parse(source)
    dropped = docstrings(tree) + relative_imports(tree)
    for node in ast.walk(tree):
        if isinstance(node, SCOPES):
            node.body = [statement for statement in node.body if statement not in dropped]
    return tree.body


def compact(source: str, name: str) -> str:
    """The source without docstrings, relative imports, comments and blank lines, indented by one
    space a block, with spaces outside strings only where two names or numbers meet."""
    tree = ast.parse(source)
    dropped = {
        row
        for node in [*docstrings(tree), *relative_imports(tree)]
        for row in range(node.lineno, (node.end_lineno or node.lineno) + 1)
    }
    strings = [
        node for node in ast.walk(tree) if isinstance(node, ast.Constant | ast.JoinedStr) and node.lineno not in dropped
    ]
    for string in strings:
        if string.end_lineno != string.lineno:
            raise CodeError(f"{name}, line {string.lineno}: only docstrings may take several lines in inline code")
    lines = source.splitlines()
    indents: dict[int, str] = {}
    depth, brackets = 0, 0
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        row, column = token.start
        if token.type == tokenize.INDENT:
            depth += 1
        elif token.type == tokenize.DEDENT:
            depth -= 1
        elif token.type == tokenize.COMMENT:
            lines[row - 1] = lines[row - 1][:column]
        elif token.type not in (tokenize.NL, tokenize.NEWLINE):
            indents.setdefault(row, " " * depth if not brackets else "")  # a continuation line needs none
            brackets += token.exact_type in (tokenize.LPAR, tokenize.LSQB, tokenize.LBRACE)
            brackets -= token.exact_type in (tokenize.RPAR, tokenize.RSQB, tokenize.RBRACE)
    return "".join(
        indents[row]
        + squeeze(line, [(s.col_offset, s.end_col_offset or s.col_offset) for s in strings if s.lineno == row]).strip()
        + "\n"
        for row, line in enumerate(lines, 1)
        if row not in dropped and line.strip()
    )


def squeeze(line: str, quoted: list[tuple[int, int]]) -> str:
    """The line without the spaces that separate no two names or numbers, outside the quoted spans."""
    return "".join(
        char
        for column, char in enumerate(line)
        if char != " "
        or any(start <= column < end for start, end in quoted)
        or (0 < column and WORD.match(line[column - 1]) and column + 1 < len(line) and WORD.match(line[column + 1]))
    )
