"""patch_templates/parts/lambda_code.py: a function module and the modules it imports from its folder
as one compact inline code, the same program as the sources."""

import ast

import pytest

from patch_templates.parts.lambda_code import CodeError, compact, embedded

SOURCE = '''"""The module's docstring,
over two lines."""

import json  # a comment

LIMIT = 2 ** 3  # spaces around operators go


class Answer:
    """A docstring."""

    def text(self, value):
        """Another."""
        if value not in ("a b", "c  d"):  # spaces inside strings stay
            return f"{value!r} is not one of {LIMIT} " + json.dumps(
                {"key": value, "other": [1, 2]},
            )
        return None
'''


def test_compact_leaves_out_docstrings_comments_blank_lines_and_spaces_but_not_meaning():
    code = compact(SOURCE, "answer.py")
    assert code == (
        "import json\n"
        "LIMIT=2**3\n"
        "class Answer:\n"
        " def text(self,value):\n"
        '  if value not in("a b","c  d"):\n'
        '   return f"{value!r} is not one of {LIMIT} "+json.dumps(\n'
        '{"key":value,"other":[1,2]},\n'
        ")\n"
        "  return None\n"
    )
    namespace = {}
    exec(code, namespace)
    answer = namespace["Answer"]()
    assert answer.text("x") == """'x' is not one of 8 {"key": "x", "other": [1, 2]}"""
    assert answer.text("c  d") is None


def test_a_string_over_several_lines_other_than_a_docstring_is_refused():
    with pytest.raises(CodeError, match=r"answer.py, line 2: only docstrings may take several lines"):
        compact('"""Doc."""\nTEXT = """one\ntwo"""\n', "answer.py")


def test_embedded_puts_each_module_of_the_folder_first_once_and_checks_the_syntax_tree(tmp_path):
    (tmp_path / "shared.py").write_text('"""Shared."""\n\nBASE = 1\n')
    (tmp_path / "middle.py").write_text("from .shared import BASE\n\nMIDDLE = BASE + 1\n")
    (tmp_path / "function.py").write_text(
        "from .middle import MIDDLE\nfrom .shared import BASE\n\n\ndef handler(event, context):\n    return MIDDLE + BASE\n"
    )
    code = embedded(tmp_path / "function.py")
    assert code == "BASE=1\nMIDDLE=BASE+1\ndef handler(event,context):\n return MIDDLE+BASE\n"
    assert [type(node).__name__ for node in ast.parse(code).body] == ["Assign", "Assign", "FunctionDef"]
