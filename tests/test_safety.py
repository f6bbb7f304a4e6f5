"""Specs are data: no spec can run code, inject code into the emitted module, exhaust the machine, or
destroy a file. Each safety rule of issue 5 has a test here."""

from __future__ import annotations

import ast as pyast
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

import archdsl
from archdsl.cli import app, write_atomic
from archdsl.errors import ArchError
from archdsl.frontend.yaml_loader import load_yaml
from archdsl.ir.limits import Limits
from archdsl.source import Source

from conftest import ROOT

PACKAGE = ROOT / "archdsl"


def error_of(spec, **kwargs) -> ArchError:
    with pytest.raises(ArchError) as info:
        archdsl.check(spec, **kwargs)
    return info.value


# ----------------------------------------------------------------------------------------------
# YAML: the safe loader only, no tags, no aliases
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tagged",
    [
        "networks: !!python/object/apply:os.system ['touch {marker}']\n",
        "networks: !!python/object/new:os.system ['touch {marker}']\n",
        "networks: !!python/name:os.system\n",
        "networks: !!python/object:os.PathLike {{}}\n",
        "constants: {{a: !custom 1}}\n",
        "constants: {{a: !!binary aGVsbG8=}}\n",
        "constants: {{a: !!set {{x: null}}}}\n",
    ],
)
def test_yaml_tags_are_rejected_and_nothing_runs(tagged, tmp_path):
    marker = tmp_path / "pwned"
    spec = tmp_path / "bad.yaml"
    spec.write_text(tagged.format(marker=marker))
    error = error_of(spec)
    assert error.code == "E703" and error.span.line == 1
    assert not marker.exists()


def test_yaml_aliases_are_rejected_so_no_billion_laughs():
    laughs = "constants:\n  a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + "".join(
        f"  {chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8)
    )
    with pytest.raises(ArchError) as info:
        load_yaml(Source(text=laughs, path="laughs.yaml"))
    assert info.value.code == "E703" and (info.value.span.line, info.value.span.col) == (3, 10)


# ----------------------------------------------------------------------------------------------
# no spec reaches eval, exec or an import
# ----------------------------------------------------------------------------------------------

# The only dynamic code in archdsl: the module built from the emitted source (made from the checked IR,
# identifiers validated), ops plugins the user installed (entry points), and the package's own lazy
# attributes (fixed names). Never anything a spec says.
ALLOWED_DYNAMIC = {
    ("backends/torch_module.py", "compile"),
    ("backends/torch_module.py", "exec"),
    ("ops/registry.py", "load"),
    ("__init__.py", "import_module"),
    ("lsp/documents.py", "load"),  # archdsl's own `api.load` (parse a spec), not yaml/pickle
    # `archdsl import package.module:attr`: the module the user names on the command line
    ("importer/targets.py", "import_module"),
    # `--plugin package.module`: the op plugin the user names on the command line (docs/plugins.md)
    ("ops/plugins.py", "import_module"),
    # `archdsl export` reloads the .pt2 it has just written, to compare its outputs
    ("exporting/to_program.py", "load"),
}
_BUILTINS = {"eval", "exec", "compile", "__import__", "breakpoint"}
_METHODS = {
    "import_module",
    "system",
    "popen",
    "Popen",
    "run_path",
    "unsafe_load",
    "full_load",
    "load",
    "loads",
    "load_all",
    "spawn",
}


def test_archdsl_has_no_eval_exec_or_dynamic_import_a_spec_could_reach():
    found = set()
    for path in PACKAGE.rglob("*.py"):
        for node in pyast.walk(pyast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, pyast.Call):
                continue
            if isinstance(node.func, pyast.Name) and node.func.id in _BUILTINS:
                found.add((str(path.relative_to(PACKAGE)), node.func.id))
            elif isinstance(node.func, pyast.Attribute) and node.func.attr in _METHODS:
                owner = pyast.unparse(node.func.value)
                if owner == "json" and node.func.attr == "loads":
                    continue  # plain data
                if owner == "torch" and node.func.attr == "load":
                    # checkpoints and state_dicts: tensors and plain types only, never pickled code
                    assert any(k.arg == "weights_only" and pyast.unparse(k.value) == "True" for k in node.keywords), (
                        f"{path}:{node.lineno}: torch.load without weights_only=True"
                    )
                    continue
                found.add((str(path.relative_to(PACKAGE)), node.func.attr))
    assert found == ALLOWED_DYNAMIC, sorted(found ^ ALLOWED_DYNAMIC)
    loader = (PACKAGE / "frontend" / "yaml_loader.py").read_text()
    assert "SafeLoader" in loader and "yaml.load(" not in loader


@pytest.mark.parametrize(
    "expression, code",
    [
        ('__import__("os")', "E201"),
        ('eval("1 + 1")', "E201"),
        ('exec("x = 1")', "E201"),
        ('open("/etc/passwd")', "E201"),
        ('getattr(in, "shape")', "E201"),
        ("in.__class__", "E201"),
        ("in.shape.__len__", "E301"),
        ('"abc".upper', "E301"),
        ("[].__class__", "E301"),
        ("lambda", "E201"),
    ],
)
def test_spec_expressions_cannot_reach_python(expression, code, tmp_path):
    spec = f"network n():\n    input 3x8x8\n    conv({expression}, 1)\n"
    error = error_of(spec)
    assert error.code == code, str(error)
    assert (error.span.line, error.span.col) == (3, 10), str(error)


def test_set_values_are_spec_expressions_not_python(tmp_path):
    marker = tmp_path / "pwned"
    result = CliRunner().invoke(
        app, ["check", "specs/resnet18.arch", "--set", f"num_classes=__import__('os').system('touch {marker}')"]
    )
    assert result.exit_code in (1, 2) and not marker.exists()
    assert "Traceback" not in result.output


# ----------------------------------------------------------------------------------------------
# identifiers and docstrings cannot inject code into the emitted .py
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec",
    [
        'network n():\n    input 3x8x8\n    a{"x); import os; ("}: relu\n',
        "network n():\n    input 3x8x8\n    for s in [\"ok\", \"x) or __import__('os').system('id') or (x\"]:\n"
        "        stage_{s}: relu\n",
        "network n():\n    input 3x8x8\n    forward: relu\n",
        'network n():\n    input 3x8x8\n    g{"\\n"}: relu\n',
    ],
)
def test_injected_module_names_are_rejected_before_codegen(spec):
    error = error_of(spec)
    assert error.code == "E304" and error.span is not None, str(error)


@pytest.mark.parametrize(
    "yaml_text",
    [
        'networks:\n  n:\n    body:\n      - input: [3, 8, 8]\n      - "x); import os; (": relu\n',
        'networks:\n  "n(); import os; x":\n    body:\n      - input: [3, 8, 8]\n      - relu\n',
        'blocks:\n  "B(nn.Module): pass\\nimport os\\nclass C":\n    body: [relu]\n'
        "networks:\n  n:\n    body:\n      - input: [3, 8, 8]\n      - relu\n",
        'networks:\n  n:\n    params: {"a=1): import os #": 1}\n    body:\n      - input: [3, 8, 8]\n      - relu\n',
    ],
)
def test_injected_yaml_names_are_rejected(yaml_text, tmp_path):
    spec = tmp_path / "n.yaml"
    spec.write_text(yaml_text)
    error = error_of(spec)
    assert error.code in ("E101", "E104", "E106", "E304", "E702") and error.span is not None, str(error)


def _top_level(source: str) -> list[str]:
    tree = pyast.parse(source)
    return [type(node).__name__ for node in tree.body]


def test_docstrings_and_paths_cannot_escape_their_quotes(tmp_path):
    """A trailing backslash or quotes in a docstring, or quotes in a file name, must not end the
    docstring early: the text after it would become code in the emitted module."""
    folder = tmp_path / 'we"""ird'
    folder.mkdir()
    spec = folder / "n.arch"
    spec.write_text(
        '"""Module doc ending in a backslash \\\\"""\n\n'
        'block A(c):\n    """Ends with a quote: \\""""\n    conv(c, 1)\n\n'
        'block B(c):\n    """\nimport os; os.system("echo pwned")\n\\"\\"\\"\n"""\n    conv(c, 1)\n\n'
        "network n():\n    input 3x8x8\n    A(4)\n    B(4)\n"
    )
    source = archdsl.emit(spec)
    assert _top_level(source) == [
        "Expr",
        "ImportFrom",
        "Import",
        "ImportFrom",
        "ClassDef",
        "ClassDef",
        "ClassDef",
        "FunctionDef",
    ]
    module = pyast.parse(source)
    docs = [pyast.get_docstring(node) for node in module.body if isinstance(node, pyast.ClassDef)]
    assert docs[0].startswith('Ends with a quote: "') and 'import os; os.system("echo pwned")' in docs[1]
    assert docs[2].endswith("a backslash \\")
    assert 'we"""ird' in pyast.get_docstring(module)


@pytest.mark.parametrize("name", ["torch", "nn", "Tensor", "OrderedDict"])
def test_network_names_that_would_hide_generated_names_are_rejected(name):
    error = error_of(f"network {name}():\n    input 3x8x8\n    relu\n")
    assert error.code == "E304" and (error.span.line, error.span.col) == (1, 1)


def test_generated_names_never_hide_torch_or_the_classes():
    """Blocks and parameters named like what the generated module uses still give working code."""
    torch = pytest.importorskip("torch")
    spec = (
        "block OrderedDict(c):\n    a: conv(c, 1)\n    b: relu\n"
        "block Tensor(c):\n    y = conv(c, 1)\n    add(y, in)\n"
        "network n(nn=4, torch=2, self=3, barrier=5):\n    input 3x8x8\n"
        "    first: OrderedDict(8)\n    Tensor(8)\n    conv(nn, 1) -> conv(torch, 1) -> conv(self, 1)\n"
        "    conv(barrier, 1)\n"
    )
    model = archdsl.build(spec)
    assert model(torch.zeros(1, 3, 8, 8)).shape == (1, 5, 8, 8)


# ----------------------------------------------------------------------------------------------
# limits: clear errors before anything is allocated
# ----------------------------------------------------------------------------------------------

NET = "network n(k=1):\n    input 3x32x32\n"


@pytest.mark.parametrize(
    "body, limits, code, words",
    [
        ("    relu x 1000001\n", Limits(), "E601", "repeat count 1,000,001 is more than the limit of 100,000"),
        ("    relu x 500\n", Limits(max_nodes=100), "E602", "more than the limit of 100"),
        ("    (relu -> relu) x 20\n", Limits(max_nodes=100_000, max_depth=2), None, None),
        ("    conv(4096, 3) -> conv(4096, 3)\n", Limits(max_params=10**6), "E604", "more than 1,000,000 parameters"),
        ("    conv(10000000, 3, padding=1)\n", Limits(), "E605", "numbers per sample"),
        (
            "    for i in range(2000):\n        for j in range(2000):\n            z = i\n",
            Limits(max_steps=10_000),
            "E605",
            "evaluates more than 10,000 expressions",
        ),
        ("    z = [1] * 200000\n", Limits(), "E605", "list of 200,000 items"),
        ("    z = 10 ** 200\n", Limits(), "E605", "exponent too large"),
    ],
)
def test_limits_stop_runaway_specs(body, limits, code, words):
    if code is None:  # nesting within the limit is fine
        archdsl.check(NET + body, limits=limits)
        return
    error = error_of(NET + body, limits=limits)
    assert error.code == code and words in error.message, str(error)
    assert error.span is not None and error.span.line >= 3


def test_block_nesting_limit():
    blocks = "".join(f"block B{i}(c):\n    B{i + 1}(c)\n" for i in range(70)) + "block B70(c):\n    relu\n"
    error = error_of(blocks + "network n():\n    input 3x8x8\n    B0(3)\n")
    assert error.code == "E603" and "nest more than 64 deep" in error.message


def test_deeply_nested_text_is_an_error_not_a_crash():
    error = error_of("network n():\n    input 3x8x8\n    conv(" + "(" * 5000 + "3" + ")" * 5000 + ", 1)\n")
    assert error.code == "E603"


def test_max_params_is_checked_from_the_static_count_before_building():
    pytest.importorskip("torch")
    with pytest.raises(ArchError) as info:  # 1.5e11 parameters: building would need 600 GB
        archdsl.build("network n():\n    input 3x224x224\n    flatten\n    linear(1000000)\n")
    assert info.value.code == "E604"
    result = CliRunner().invoke(app, ["check", "specs/resnet18.arch", "--max-params", "1000000"])
    assert result.exit_code == 1 and "error[E604]" in result.stderr
    assert CliRunner().invoke(app, ["check", "specs/resnet18.arch", "--max-params", "12000000"]).exit_code == 0


# ----------------------------------------------------------------------------------------------
# outputs: atomic, never over an input
# ----------------------------------------------------------------------------------------------


def _spec(tmp_path: Path, body: str = "    conv(4, 3)\n") -> Path:
    spec = tmp_path / "net.arch"
    spec.write_text("network net():\n    input 3x8x8\n" + body)
    return spec


def test_compile_never_overwrites_an_imported_spec(tmp_path):
    family = tmp_path / "family.arch"
    family.write_text("network base():\n    input 3x8x8\n    relu\n")
    spec = tmp_path / "net.arch"
    spec.write_text('import "family.arch"\nnetwork net = base()\n')
    before = family.read_text()
    result = CliRunner().invoke(app, ["compile", str(spec), "-o", str(family)])
    assert result.exit_code == 1 and "refusing to overwrite the input spec" in result.stderr
    assert family.read_text() == before


def test_convert_never_overwrites_its_input(tmp_path):
    spec = _spec(tmp_path)
    before = spec.read_text()
    result = CliRunner().invoke(app, ["convert", str(spec), "--to", "arch", "-o", str(spec)])
    assert result.exit_code == 1 and spec.read_text() == before


def test_a_failed_run_writes_nothing(tmp_path):
    spec = _spec(tmp_path, "    conv(4, 3, strid=2)\n")
    out = tmp_path / "out.py"
    result = CliRunner().invoke(app, ["compile", str(spec), "-o", str(out)])
    assert result.exit_code == 1 and not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.arch"]


def test_an_interrupted_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    out = tmp_path / "out.py"
    out.write_text("old contents\n")

    def fail_replace(src, dst):
        raise KeyboardInterrupt  # e.g. Ctrl-C between writing and renaming

    monkeypatch.setattr(os, "replace", fail_replace)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(out, "new contents\n", [])
    assert out.read_text() == "old contents\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.py"]


def test_an_unwritable_output_is_a_user_error(tmp_path):
    spec = _spec(tmp_path)
    result = CliRunner().invoke(app, ["compile", str(spec), "-o", str(tmp_path)])
    assert result.exit_code == 1 and "error[E801]" in result.stderr and "Traceback" not in result.output


def test_a_runaway_repeat_stops_after_two_copies():
    """`x n` copies are alike, so the layer limit is checked from the first copies' size at once,
    instead of after elaborating 50,000 layers."""
    from archdsl.errors import ArchError

    text = "network n():\n    input 3x8x8\n    (conv(4, 1) -> relu) x 30000\n"
    with pytest.raises(ArchError) as info:
        archdsl.check(text)
    error = info.value
    assert error.code == "E602" and "would make about 60,000 layers" in error.message
    assert (error.span.line, error.span.col) == (3, 28)
    assert archdsl.check(text, limits=Limits(max_nodes=70_000)).total_params == 16 + 29999 * 20  # 3->4, then 4->4


def test_a_runaway_loop_stops_early():
    from archdsl.errors import ArchError

    text = "network n():\n    input 3x8x8\n    for i in range(40000):\n        conv(4, 1) -> relu\n"
    with pytest.raises(ArchError) as info:
        archdsl.check(text)
    assert info.value.code == "E602" and "about 80,000 layers" in info.value.message
    assert (info.value.span.line, info.value.span.col) == (3, 14)
