"""Bounded fuzzing: every spec, mutated, gives a checked model or an archdsl diagnostic, never another
exception. bench/fuzz.py runs the same mutations at scale (docs/errors.md records a 20,000-case run)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzzing import KINDS, Mutation, Workspace, spec_files

_WORKSPACE: Workspace | None = None


def workspace() -> Workspace:
    """One copy of specs/ for all examples (Hypothesis runs examples many times per test function)."""
    global _WORKSPACE
    if _WORKSPACE is None:
        folder = Path(tempfile.mkdtemp(prefix="archdsl-fuzz-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _WORKSPACE = Workspace(folder)
    return _WORKSPACE


mutations = st.builds(
    Mutation,
    file=st.sampled_from(spec_files()),
    kind=st.sampled_from(KINDS),
    position=st.integers(min_value=0, max_value=100_000),
    other=st.integers(min_value=0, max_value=100_000),
    payload=st.one_of(
        st.binary(min_size=1, max_size=8), st.text(min_size=1, max_size=8).map(lambda t: t.encode("utf-8"))
    ),
)

# Bounded and derandomized so CI is fast and repeatable; bench/fuzz.py explores with fresh seeds.
FUZZ = settings(
    max_examples=500, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@FUZZ
@given(mutations)
def test_mutated_specs_give_a_model_or_a_diagnostic(mutation):
    outcome = workspace().run(mutation)
    assert outcome.kind != "crash", f"{mutation}\n{outcome.detail}"


def test_every_spec_file_is_fuzzed():
    files = spec_files()
    assert any(f.startswith("families/") for f in files) and any(f.endswith(".yaml") for f in files)
    assert len(files) == len(set(files))
