"""archdsl fmt: idempotent, comments kept, the checked IR unchanged, on every shipped spec and on fuzzed ones."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import archdsl
from archdsl.cli import app
from archdsl.errors import ArchError
from archdsl.fmt import format_text

from conftest import ROOT, SPECS
from fuzzing import KINDS, Mutation, spec_files

ARCH_FILES = sorted(SPECS.rglob("*.arch"))


@pytest.fixture(scope="module")
def formatted_specs(tmp_path_factory) -> Path:
    """A copy of specs/ with every .arch file formatted (twice, the second time must change nothing)."""
    root = tmp_path_factory.mktemp("fmt") / "specs"
    shutil.copytree(SPECS, root)
    for path in root.rglob("*.arch"):
        once = format_text(path.read_text(encoding="utf-8"), str(path))
        assert format_text(once, str(path)) == once, f"{path.name}: fmt is not idempotent"
        path.write_text(once, encoding="utf-8")
    return root


@pytest.mark.parametrize("spec", sorted(SPECS.glob("*.arch")), ids=lambda p: p.name)
def test_formatting_keeps_the_checked_graph(spec: Path, formatted_specs: Path):
    before = archdsl.check(spec)
    after = archdsl.check(formatted_specs / spec.name)
    assert after.graph == before.graph
    assert after.total_params == before.total_params


def test_every_comment_survives(formatted_specs: Path):
    for path in ARCH_FILES:

        def comments(text: str) -> list[str]:
            from archdsl.fmt.comments import scan

            return [c.text for c in scan(text)[0]]

        original = comments(path.read_text(encoding="utf-8"))
        assert comments((formatted_specs / path.relative_to(SPECS)).read_text(encoding="utf-8")) == original


LAYOUT_IN = '''"""A doc."""
import "families/resnet.arch"
# the table
rows = [
    # c, n
    [64, 1],   # first
    [128,2],
    [256, 3] ,
]
network N( width = 1.0 ,num_classes=10 ): # header note
    input 3x32x32



    # a leading comment
    conv( 8,3 , padding = 1)->relu    # trailing
    x = a if width > 1 else b
    if width>1:
        pass
    else:  # else note
        pass
    for c, n in rows:
        stage: conv(c, 3) x n
network M = N(width=2.0, num_classes=100, very_long_argument_name_number_one=1, very_long_argument_name_two=2, three=3, four=4)
# the end
'''

LAYOUT_OUT = '''"""A doc."""

import "families/resnet.arch"
# the table
rows = [
    # c, n
    [ 64, 1],  # first
    [128, 2],
    [256, 3],
]

network N(width=1.0, num_classes=10):  # header note
    input 3x32x32

    # a leading comment
    conv(8, 3, padding=1) -> relu  # trailing
    x = a if width > 1 else b
    if width > 1:
        pass
    else:  # else note
        pass
    for c, n in rows:
        stage: conv(c, 3) x n

network M = N(
    width=2.0, num_classes=100, very_long_argument_name_number_one=1, very_long_argument_name_two=2, three=3, four=4
)
# the end
'''


def test_canonical_layout():
    assert format_text(LAYOUT_IN, "x.arch") == LAYOUT_OUT
    assert format_text(LAYOUT_OUT, "x.arch") == LAYOUT_OUT


BLOCK_ENDS_IN = """network N(a=1):
    input 3x8x8
    if a == 1:
        g:
          relu
          # end of g
        # end of if
    # before elif
    elif a == 2:
        relu
    else:   # why
        pass
    # end of N
# end of file
"""

BLOCK_ENDS_OUT = """network N(a=1):
    input 3x8x8
    if a == 1:
        g:
            relu
            # end of g
        # end of if
    # before elif
    elif a == 2:
        relu
    else:  # why
        pass
    # end of N
# end of file
"""


def test_comments_stay_at_the_ends_of_their_blocks():
    assert format_text(BLOCK_ENDS_IN, "x.arch") == BLOCK_ENDS_OUT
    assert format_text(BLOCK_ENDS_OUT, "x.arch") == BLOCK_ENDS_OUT


def test_calls_with_numbers_on_consecutive_lines_align_as_a_table():
    text = (
        "network N():\n    input 3x8x8\n    a: Inc(64, 96, 128)  # x\n    pool: maxpool(3, stride=2)\n"
        "    b: Inc(128, 8, 16)\n    conv(4, 3, 1)\n\n    c: Inc(1, 2, 3)\n"
    )
    assert format_text(text, "x.arch").splitlines()[2:] == [
        "    a: Inc( 64, 96, 128)  # x",
        "    pool: maxpool(3, stride=2)",
        "    b: Inc(128,  8,  16)",
        "    conv(4, 3, 1)",
        "",
        "    c: Inc(1, 2, 3)",
    ]


def test_empty_and_comment_only_files():
    assert format_text("", "x.arch") == ""
    assert format_text("\n\n# a\n\n\n# b\n\n", "x.arch") == "# a\n\n# b\n"


def test_fmt_never_imports_torch():
    code = (
        "import sys; from archdsl.fmt import format_text; "
        "format_text(open('specs/families/efficientnet.arch').read(), 'e.arch'); "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False).returncode == 0


def test_long_lists_split_one_item_per_line_with_a_trailing_comma():
    names = ", ".join(f"very_long_parameter_{i}={i}" for i in range(8))
    text = format_text(f"network N({names}):\n    input 3x8x8\n", "x.arch")
    assert text.splitlines()[:2] == ["network N(", "    very_long_parameter_0=0,"]
    assert text.splitlines()[9] == "):"
    assert format_text(text, "x.arch") == text


def test_syntax_error_raises_with_position():
    with pytest.raises(ArchError) as info:
        format_text("network N():\n    conv(4 3)\n", "bad.arch")
    assert (info.value.span.line, info.value.span.col) == (2, 12)


# Fuzzed specs: whatever a mutation produces, formatting parses back to the same AST (format_text checks
# that itself), is idempotent, and a spec that checked before checks to the same graph after.
mutations = st.builds(
    Mutation,
    file=st.sampled_from([f for f in spec_files() if f.endswith(".arch")]),
    kind=st.sampled_from(KINDS),
    position=st.integers(0, 100_000),
    other=st.integers(0, 100_000),
    payload=st.binary(min_size=1, max_size=6),
)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(mutation=mutations)
def test_fuzzed_specs_format_stably(mutation: Mutation):
    path = SPECS / mutation.file
    try:
        text = mutation.apply(path.read_bytes()).decode("utf-8")
    except UnicodeDecodeError:
        return
    try:
        once = format_text(text, str(path))
    except ArchError:
        return  # not a spec: fmt reports it like check does
    assert format_text(once, str(path)) == once
    if path.parent == SPECS and "import" not in text:
        try:
            before = archdsl.check(text)
        except ArchError:
            return
        assert archdsl.check(once).graph == before.graph


def _fmt(*args: str):
    """`archdsl fmt ARGS` in this process (a subprocess per call would cost a second each)."""
    return CliRunner().invoke(app, ["fmt", *args])


def test_cli_check_diff_and_write(tmp_path: Path):
    messy = tmp_path / "messy.arch"
    messy.write_text("network N():\n    input 3x8x8\n    conv(4,3)   # c\n", encoding="utf-8")
    tidy = tmp_path / "tidy.arch"
    tidy.write_text("network N():\n    input 3x8x8\n", encoding="utf-8")
    (tmp_path / "spec.yaml").write_text("networks: {}\n", encoding="utf-8")

    checked = _fmt("--check", str(tmp_path))
    assert checked.exit_code == 1
    assert f"would reformat {messy}" in checked.stderr and str(tidy) not in checked.stderr
    assert "spec.yaml: left as it is" in checked.stderr

    diffed = _fmt("--diff", str(messy))
    assert diffed.exit_code == 0
    assert "-    conv(4,3)   # c\n+    conv(4, 3)  # c\n" in diffed.stdout

    assert _fmt(str(tmp_path)).exit_code == 0
    assert messy.read_text(encoding="utf-8") == "network N():\n    input 3x8x8\n    conv(4, 3)  # c\n"
    assert _fmt("--check", str(tmp_path)).exit_code == 0


def test_cli_reports_a_syntax_error_and_exits_1(tmp_path: Path):
    bad = tmp_path / "bad.arch"
    bad.write_text("network N():\n    conv(4 3)\n", encoding="utf-8")
    result = _fmt(str(bad))
    assert result.exit_code == 1
    assert f"{bad}:2:12: error[E106]" in result.stderr and "Traceback" not in result.stderr
    assert bad.read_text(encoding="utf-8") == "network N():\n    conv(4 3)\n"
