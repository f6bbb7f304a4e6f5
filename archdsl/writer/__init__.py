"""The IR-to-spec writer: an archdsl IR graph (`archdsl.ir.nodes.Graph`) in, readable `.arch` text out.

    from archdsl.writer import write_spec
    text = write_spec(graph)                 # graph: archdsl.check(...).graph, or an imported one

Used by `archdsl import` (a traced PyTorch module becomes an IR graph first) and by structured pruning
(a pruned IR graph becomes a smaller spec). The text goes through the unparser
(`archdsl.frontend.unparse.to_arch`), so it is always valid `.arch` syntax; what makes it readable:

- scopes whose `block` is the same (the same PyTorch class, or the same archdsl block) become one
  `block` definition, with a parameter for each argument that differs between the instances and an
  `if flag:` for each statement that only some instances have (ResNet's `downsample`); instances that
  cannot share one body become numbered variants (`Block`, `Block_2`);
- consecutive identical unlabelled layers fold into `x n`, runs of labels `name1, name2, ...` calling
  the same thing fold into a `for` loop, and a plain chain (a stage of blocks) is written on one line;
- every module keeps its name: labels are the scope and op names, and numbered children of a plain
  chain stay numbered by position, so the written spec builds a module with the same state_dict keys.
"""

from __future__ import annotations

from .spec import graph_to_spec, write_spec

__all__ = ["graph_to_spec", "write_spec"]
