"""Classes: instances of one structure share a generated class, whose constructor parameters are the
values that differ between them, named as the spec names them.

A parameter is named after the block's own argument (`planes`, `stride`) or local constant (`hidden`,
`width`) when its values match in every instance, else `in_channels`, else the layer argument it feeds.
A block used with several structures (with and without a downsample, say) gets one class per structure,
named for what sets it apart: `BottleneckDownsample`, `ConvBNActNoAct`, `InvertedResidualStride2`.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...ir.naming import camel, unique
from ...ir.nodes import OpNode, ScopeNode
from ...ir.param_tags import ParamInt, ParamValue
from ...shapes import fmt
from .collect import NO_DEFAULT, TAKEN, Call, Instance, Seq, Slot, escape_docstring
from .writer import Bracketed, CodeWriter, Expr, call, float_literal

# Constants shared by every instance become parameters only when the spec names them and they are
# widths, not small counts such as a kernel or a stride that would match a name by coincidence.
_NAMED_CONSTANT_MIN = 8


@dataclass
class Param:
    name: str
    position: int  # its atom's position in the constructor tree
    rank: tuple  # where it goes in the signature: in_channels, the block's arguments, locals, the rest
    default: Any = NO_DEFAULT
    qualified: str = ""  # its name hint with the enclosing nn.Sequential's name, should the hint be taken


@dataclass
class ClassDef:
    name: str
    instances: list[Instance]
    params: list[Param] = field(default_factory=list)
    source: str = ""


def atoms(parts, exposable: frozenset[str], within: str = "") -> list[tuple[Any, str, str]]:
    """Every value a constructor tree needs, depth first: (value, name hint, the hint qualified by the
    enclosing nn.Sequential's name). Network parameters the factory cannot expose are plain values."""
    out: list[tuple[Any, str, str]] = []
    for name, part in parts:
        if isinstance(part, Call):
            out.extend((untag(slot.value, exposable), slot.hint, within + slot.hint) for slot in part.slots)
        elif isinstance(part, Seq):
            out.extend(atoms(part.children, exposable, within if name.isdigit() else f"{within}{name}_"))
        else:
            child = part.instance
            prefix = "" if name.isdigit() else f"{name}_"  # `padding`, not `1_padding`
            out.extend(
                (value, prefix + param.name, within + prefix + param.name)
                for param, value in zip(child.cls.params, child.values)
            )
    return out


def untag(value: Any, exposable: frozenset[str]) -> Any:
    if isinstance(value, ParamValue) and value.param not in exposable:
        return value.raw
    if isinstance(value, tuple):
        return tuple(untag(v, exposable) for v in value)
    return value


def same(a: Any, b: Any) -> bool:
    if isinstance(a, ParamValue) or isinstance(b, ParamValue):
        return isinstance(a, ParamValue) and isinstance(b, ParamValue) and a.param == b.param
    return type(a) is type(b) and a == b


def literal(value: Any) -> str:
    if isinstance(value, ParamValue):
        return value.param
    if isinstance(value, tuple):
        inner = ", ".join(literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, float):
        return float_literal(value)
    return repr(value)


def _key(value: Any) -> tuple:
    if isinstance(value, ParamValue):
        return ("param", value.param)
    return (type(value).__name__, value)


def _identifier(name: str) -> str:
    return f"{name}_" if name in TAKEN or keyword.iskeyword(name) else name


class Classes:
    """Every generated class, in definition order (children before their parents)."""

    def __init__(
        self,
        instances: list[Instance],
        root: Instance,
        root_name: str,
        exposable: frozenset[str],
        reserved: set[str],
        shapes: dict[int, tuple],
        write_init: Callable[[CodeWriter], None] | None = None,
    ):
        self.root, self.write_init = root, write_init  # the root's __init__ ends with the spec's init loop
        self.exposable = exposable
        self.shapes = shapes
        by_key: dict[str, ClassDef] = {}
        self.order: list[ClassDef] = []
        for inst in instances:  # children were collected before their parents
            key = "<root>" if inst is root else inst.key
            if key in by_key:
                by_key[key].instances.append(inst)
                continue
            by_key[key] = ClassDef(root_name if inst is root else "", [inst])
            self.order.append(by_key[key])
        taken: set[str] = {root_name, *reserved}
        self._name_classes(taken)
        # A constructor parameter must not hide a name its class body uses: a class, a helper, torch.
        self.reserved = taken
        for cls in self.order:
            for inst in cls.instances:
                inst.cls = cls
            self._parametrise(cls, is_root=cls.instances[0] is root)

    # -- class names ---------------------------------------------------------------------------------

    def _name_classes(self, taken: set[str]) -> None:
        families: dict[str, list[ClassDef]] = {}
        for cls in self.order:
            if not cls.name:
                block = cls.instances[0].scope.block
                families.setdefault(block or f"<group>{cls.instances[0].base_name}", []).append(cls)
        for family, variants in families.items():
            if family.startswith("<group>"):
                for cls in variants:
                    cls.name = unique(camel(cls.instances[0].base_name), taken)
                continue
            for cls, name in zip(variants, _variant_names(family, variants)):
                cls.name = unique(name, taken)

    # -- parameters ----------------------------------------------------------------------------------

    def _parametrise(self, cls: ClassDef, is_root: bool) -> None:
        """Positions whose value differs between instances (or is a network parameter) become
        constructor parameters, and so do a block's named widths; equal columns share one parameter."""
        vectors = [atoms(inst.children, self.exposable) for inst in cls.instances]
        is_block = not is_root and cls.instances[0].scope.block is not None
        taken = set(TAKEN) | self.reserved
        by_column: dict[tuple, Param] = {}
        by_name: dict[str, Param] = {}
        users: dict[int, list[int]] = {}  # parameter's first position -> every position it fills
        for position, (value, hint, qualified) in enumerate(vectors[0]):
            column = [vec[position][0] for vec in vectors]
            varies = any(not same(column[0], v) for v in column[1:]) or any(isinstance(v, ParamValue) for v in column)
            name, rank, arg = self._name(cls, column, hint, position, first="in_channels" not in by_name)
            # Equal columns share a parameter, unless the spec names them apart: BasicBlock's `planes`
            # stays itself even where it always equals `in_channels`.
            identity = (rank[0] == 3 or name, *(_key(v) for v in column))
            if varies and identity in by_column:
                users[by_column[identity].position].append(position)
                continue
            if not varies:
                if not (is_block and rank[0] < 3 and _is_width(value)):
                    continue
                if name in by_name:  # the same named width used again
                    users[by_name[name].position].append(position)
                    continue
            param = Param(name, position, rank, self._default(cls, arg, column) if arg else NO_DEFAULT, qualified)
            if is_root and isinstance(value, ParamValue):
                param.default = value.raw
            by_column[identity] = by_name[name] = param
            cls.params.append(param)
            users[position] = [position]
        # The spec's names first: a name taken from a layer argument (`out` of a child block) never
        # pushes the block's own `out` aside.
        param_at: dict[int, str] = {}
        for param in sorted(cls.params, key=lambda p: p.rank[0] == 3):
            if param.name in taken and param.rank[0] == 3 and param.qualified.isidentifier():
                param.name = param.qualified  # `rep_out` where the block has an `out` of its own
            param.name = unique(param.name, taken)
            param_at.update(dict.fromkeys(users[param.position], param.name))
        cls.params.sort(key=lambda p: (p.default is not NO_DEFAULT, p.rank))
        for inst, vec in zip(cls.instances, vectors):
            inst.values = [vec[param.position][0] for param in cls.params]
        cls.source = self._render(cls, vectors[0], param_at)

    def _name(
        self, cls: ClassDef, column: list, hint: str, position: int, first: bool
    ) -> tuple[str, tuple, str | None]:
        """(name, signature rank, the block argument it is) for a parameter taking `column`."""
        if all(isinstance(v, ParamValue) for v in column) and len({v.param for v in column}) == 1:
            return column[0].param, (3, position), None
        instances = cls.instances

        def matches(values: list) -> bool:  # compare as the column does: unexposed parameters are plain
            return all(same(untag(a, self.exposable), b) for a, b in zip(values, column))

        in_channels = matches([inst.in_channels for inst in instances])
        constant = all(same(column[0], v) for v in column[1:])
        # The first layer reads the block's input; a later one that reads `planes` channels says so,
        # even in the blocks where planes equals in_channels.
        if in_channels and (constant or (first and hint.endswith(("in_channels", "in_features", "num_features")))):
            return "in_channels", (0,), None
        first_inst = instances[0]
        for index, arg in enumerate(first_inst.args):
            if matches([inst.args.get(arg) for inst in instances]):
                return _identifier(arg), (1, index), arg
        for index, local in enumerate(first_inst.locals):
            if matches([inst.locals.get(local) for inst in instances]):
                return _identifier(local), (2, index), None
        if in_channels:
            return "in_channels", (0,), None
        return (hint if hint.isidentifier() and not keyword.iskeyword(hint) else "value"), (3, position), None

    def _default(self, cls: ClassDef, arg: str, column: list) -> Any:
        """The block's declared default for `arg`, as the instances that left it out received it."""
        defaults = [value for inst, value in zip(cls.instances, column) if arg in inst.scope.defaulted]
        if defaults and all(same(defaults[0], v) for v in defaults) and not isinstance(defaults[0], ParamValue):
            return defaults[0]
        return NO_DEFAULT

    # -- source --------------------------------------------------------------------------------------

    def _render(self, cls: ClassDef, first: list, param_at: dict[int, str]) -> str:
        inst = cls.instances[0]
        cursor = iter(range(len(first)))

        def text_of(position: int) -> str:
            return param_at.get(position) or literal(first[position][0])

        def omitted(position: int, default: Any) -> bool:
            return position not in param_at and default is not NO_DEFAULT and same(first[position][0], default)

        def render_call(callee: str, slots: list[Slot], packed: int = 0) -> Bracketed:
            args: list[Expr] = []
            kwargs: list[tuple[str, Expr]] = []
            for slot in slots:
                position = next(cursor)
                if not omitted(position, slot.default):
                    (
                        kwargs.append((slot.keyword, text_of(position)))
                        if slot.keyword
                        else args.append(text_of(position))
                    )
            if packed:  # the leading arguments are one shape tuple: torch.full((C, 1, 1), v)
                shape = args[:packed]
                args = [f"({shape[0]},)" if packed == 1 else f"({', '.join(shape)})", *args[packed:]]
            return call(callee, args, kwargs)

        def render(part) -> Expr:
            if isinstance(part, Call):
                made = render_call(part.callee, part.slots, part.packed)
                return Bracketed(f"{part.wrap}(", [("", made)], ")") if part.wrap else made
            if isinstance(part, Seq):
                if any(name != str(i) for i, (name, _) in enumerate(part.children)):
                    rows = [
                        ("", Bracketed("(", [("", f'"{name}"'), ("", render(child))], ")"))
                        for name, child in part.children
                    ]
                    return Bracketed("nn.Sequential(OrderedDict([", rows, "]))", explode=True)
                return Bracketed(
                    "nn.Sequential(", [("", render(child)) for _, child in part.children], ")", explode=True
                )
            child = part.instance
            kwargs = []
            for param in child.cls.params:
                position = next(cursor)
                if not omitted(position, param.default):
                    kwargs.append((param.name, text_of(position)))
            return call(child.cls.name, [], kwargs)

        signature = [("", "self")] + [("", self._parameter(param, first[param.position][0])) for param in cls.params]
        out = CodeWriter()
        out.writeline(f"class {cls.name}({'nn.Sequential' if inst.sequential else 'nn.Module'}):")
        with out.indent():
            out.docstring(escape_docstring(inst.doc))
            out.writeline()
            out.write("def __init__", Bracketed("(", signature, ") -> None:"))
            with out.indent():
                numbered = [str(i) for i in range(len(inst.children))] == [name for name, _ in inst.children]
                if inst.sequential and numbered and inst.children:  # as torchvision's Conv2dNormActivation
                    layers = [("", render(part)) for _, part in inst.children]
                    out.write("super().__init__", Bracketed("(", layers, ")", explode=True))
                else:
                    out.writeline("super().__init__()")
                    for name, part in inst.children:
                        if name.isidentifier():
                            out.write(f"self.{name} = ", render(part))
                        else:
                            out.write("self.add_module", Bracketed("(", [("", f'"{name}"'), ("", render(part))], ")"))
                if inst is self.root and self.write_init is not None:
                    self.write_init(out)
            if not inst.sequential:
                out.writeline()
                out.writeline(f"def forward(self, x: Tensor) -> {inst.returns}:")
                with out.indent():
                    for index, line in enumerate(inst.forward):
                        comment = self._shape_comment(cls, index)
                        commented = f"{line}  # {comment}" if comment else line
                        out.writeline(commented if out.fits(commented) else line)
        return out.getvalue()

    @staticmethod
    def _parameter(param: Param, value: Any) -> str:
        raw = value.raw if isinstance(value, ParamValue) else value
        annotation = next((f": {kind.__name__}" for kind in (bool, int, float, str) if type(raw) is kind), "")
        default = "" if param.default is NO_DEFAULT else f" = {literal(param.default)}"
        return f"{param.name}{annotation}{default}"

    def _shape_comment(self, cls: ClassDef, line: int) -> str:
        """The shape a forward line makes, written for every instance of the class at once: a size that
        differs between instances is named after the parameter it equals (`planes`), or relative to
        the input (`H`, `H/2`)."""
        made = [inst.forward_values[line] for inst in cls.instances]
        if made[0] is None:
            return ""
        shapes = [self.shapes[value] for value in made]
        if all(shape == shapes[0] for shape in shapes):
            return fmt(shapes[0])
        inputs = [self.shapes[inst.scope.input] for inst in cls.instances]
        rank = len(shapes[0])
        if any(len(shape) != rank for shape in shapes + inputs) or rank not in (1, 3):
            return ""
        parts: list[str] = []
        for dim in range(rank):
            sizes = [shape[dim] for shape in shapes]
            given = [shape[dim] for shape in inputs]
            if dim == 0:
                parts.append(self._channels(cls, sizes, given))
            elif all(size == sizes[0] for size in sizes):
                parts.append(str(sizes[0]))
            else:
                parts.append(self._spatial(cls, "HW"[dim - 1] if rank == 3 else "L", sizes, given))
        return " x ".join(parts)

    @staticmethod
    def _int_params(generated: ClassDef) -> list[tuple[str, list[int]]]:
        out = []
        for index, param in enumerate(generated.params):
            values = [inst.values[index] for inst in generated.instances]
            if all(type(v) is int or isinstance(v, ParamInt) for v in values):
                out.append((param.name, [int(v) for v in values]))
        return out

    def _channels(self, cls: ClassDef, sizes: list[int], given: list[int]) -> str:
        """`planes`, `in_channels`, `(in_channels + growth_rate)`, a number, or C."""
        params = self._int_params(cls)
        for name, values in params:
            if values == sizes:
                return name
        if sizes == given:
            return "in_channels"
        if all(size == sizes[0] for size in sizes):
            return str(sizes[0])
        for name, values in params:
            if all(g + v == size for v, g, size in zip(values, given, sizes)):
                return f"(in_channels + {name})"
        return "C"

    def _spatial(self, cls: ClassDef, symbol: str, sizes: list[int], given: list[int]) -> str:
        """`H`, `H/stride`, `H/2`, or `H'` for a size that differs between instances."""
        if sizes == given:
            return symbol
        for name, values in self._int_params(cls):
            if all(v > 0 and size == -(-g // v) for v, g, size in zip(values, given, sizes)):
                return f"{symbol}/{name}"
        if all(size == -(-g // 2) for size, g in zip(sizes, given)):
            return f"{symbol}/2"
        return f"{symbol}'"


def _is_width(value: Any) -> bool:
    return type(value) is int and value >= _NAMED_CONSTANT_MIN


# -- names of a block's structural variants -----------------------------------------------------------


def _variant_names(block: str, variants: list[ClassDef]) -> list[str]:
    """One name per structure of one block. Structures are grouped by their named submodules and
    shortcut: the simplest group (then the most used) keeps the block's name, the others add what sets
    them apart (`Residual`, `Downsample`). Within a group, the most used structure keeps that name and
    each other one adds an argument only it takes (`Stride2`, `NoAct`, `Expand1`)."""
    name = camel(block)
    features = [_features(cls.instances[0].scope) for cls in variants]
    groups: dict[tuple, list[int]] = {}
    for index, feature in enumerate(features):
        groups.setdefault(tuple(feature), []).append(index)
    used = {key: sum(len(variants[i].instances) for i in members) for key, members in groups.items()}
    base = min(groups, key=lambda key: (len(key), -used[key]))
    names = [""] * len(variants)
    for key, members in groups.items():
        suffix = "" if key == base else _structure_word(block, list(key), list(base))
        main = max(members, key=lambda i: len(variants[i].instances))
        for index in members:
            word = "" if index == main else _argument_word(members.index(index), [variants[i] for i in members])
            if index != main and not word:
                word = f"Variant{index + 1}"
            names[index] = name + word + suffix
    return names


def _features(scope: ScopeNode) -> list[str]:
    """The named submodules of a scope, and `+add` when it adds a shortcut inline."""
    out = [item.name for item in scope.items if item.name is not None and not item.name.isdigit()]
    if any(isinstance(item, OpNode) and item.name is None and item.op == "add" for item in scope.items):
        out.append("+add")
    return out


def _argument_word(index: int, variants: list[ClassDef]) -> str:
    """`Stride2` when this variant, and only it, is used with stride=2; the argument with the fewest
    values over all variants wins (stride or an activation, rather than a width)."""

    def values(cls: ClassDef, arg: str) -> set:
        return {_key(untag(inst.args.get(arg), frozenset())) for inst in cls.instances}

    best: tuple | None = None
    for order, arg in enumerate(variants[index].instances[0].args):
        mine = values(variants[index], arg)
        others = set().union(*(values(cls, arg) for i, cls in enumerate(variants) if i != index))
        if len(mine) != 1 or mine & others:
            continue
        word = _word(arg, next(iter(mine))[1])
        if word and (best is None or (len(mine | others), order) < best[:2]):
            best = (len(mine | others), order, word)
    return best[2] if best else ""


def _word(arg: str, value: Any) -> str:
    if value is None or value is False or value == "none":
        return "No" + camel(arg)
    if value is True:
        return camel(arg)
    if type(value) is int and value >= 0:
        return f"{camel(arg)}{value}"
    if isinstance(value, str) and value.isidentifier():
        return camel(arg) + camel(value)
    return ""


def _structure_word(block: str, features: list[str], base: list[str]) -> str:
    extra = [name for name in features if name not in base]
    if "+add" in extra:
        return "Shortcut" if "Residual" in block else "Residual"
    if extra:
        return camel(extra[0])
    missing = [name for name in base if name not in features]
    return "No" + camel(missing[0].lstrip("+")) if missing else ""
