"""Any model, addressed by its unit map as funcspec's VGG is by its layer names.

Every step that ranks, lesions or reads units asks a network for the same few things, which the
VGG builder answers from its chain of named blocks and `Mapped` answers for any other model:
`layer_names` (the unit layers, then the class layer), `units(layer)`, `head` (the class layer),
`penultimate`, `lesion_point(layer)`, `forward(x, stop=layer)` (the layer's activations, at its
read point), and a cut of the forward pass at a layer (`below`, `through`, `above`), so that
what a lesion of the layer cannot change is computed once and shared by every lesion.

The cut comes from the model's traced graph (torch.fx): `below` computes every value that does
not depend on the lesion point and that something after it needs (the lesion point's own inputs,
a skip connection's tensor, the other branch), `through` runs the lesion point, `above` the rest.
`above` takes lesioned copies stacked along the batch (candidate-major), repeating what `below`
gave for each copy. Each cut is checked against the model on noise images before it is used: a
layer whose cut fails (a model torch.fx cannot trace, an in-place change it does not see) runs
whole, lesioned by hooks: exact, but nothing is shared; and where stacked copies do not give each
copy's own result (batch statistics, a batch size read from the input), only the reference
engine ranks it (`unstacked`).
"""

from __future__ import annotations

import torch
from torch import fx, nn

from .errors import FuncspecError
from .units import UnitLayer, class_layer, unit_map


class _Stop(Exception):
    def __init__(self, value):
        self.value = value


def _stop(value):
    """End the forward pass with a copy of `value` (an in-place op after it would change it)."""
    raise _Stop(value.clone())


class Mapped(nn.Module):
    def __init__(self, build, input_size: int, blocks: tuple[type, ...] = ()):
        """`build()` makes the model; `blocks`: see `units.unit_map`."""
        super().__init__()
        self.net, self.input_size = build(), input_size
        layers = unit_map(build, input_size, blocks)
        self.unit_layers = {layer.name: layer for layer in layers}
        self._head = class_layer(build, input_size)
        self._cuts, self._unstacked, self._sizes = {}, {}, {}

    @property
    def layer_names(self) -> list[str]:
        return [*self.unit_layers, self._head]

    @property
    def penultimate(self) -> str:
        return self.layer_names[-2]

    @property
    def head(self) -> nn.Module:
        return self.net.get_submodule(self._head)

    def units(self, layer: str) -> int:
        return self._layer(layer).channels

    def lesion_point(self, layer: str) -> nn.Module:
        return self.net.get_submodule(self._layer(layer).lesion)

    def _layer(self, layer: str) -> UnitLayer:
        if layer not in self.unit_layers:
            raise FuncspecError(f"unknown layer {layer!r} (layers: {', '.join(self.unit_layers)})")
        return self.unit_layers[layer]

    def forward(self, x, stop: str | None = None):
        """The class scores; with `stop`, that layer's activations (a copy of its read point's
        output: an in-place ReLU or residual sum after it would overwrite it)."""
        if stop is None or stop == self._head:
            return self.net(x)
        module = self.net.get_submodule(self._layer(stop).read)
        return self._read(x, module.register_forward_hook(lambda _m, _i, out: _stop(out)))

    def features(self, x):
        """What the class layer reads, one row per image."""
        hook = self.head.register_forward_pre_hook(lambda _m, inputs: _stop(inputs[0].flatten(1)))
        return self._read(x, hook)

    def _read(self, x, handle):
        """Run the model until the hook `handle` stops it with the value it reads."""
        try:
            self.net(x)
        except _Stop as stopped:
            return stopped.value
        finally:
            handle.remove()
        raise FuncspecError("the layer read did not run")

    def below(self, x, layer: str) -> tuple:
        """What a lesion of `layer` cannot change, for images x."""
        return self._cut(layer)[0](x)

    def through(self, state: tuple, layer: str) -> torch.Tensor:
        """The lesion point's output (lesioned, inside `ablation.ablated`)."""
        return self._cut(layer)[1](*_copies(state, 1))

    def above(self, a: torch.Tensor, state: tuple, layer: str) -> torch.Tensor:
        """The class scores from the lesion point's output `a`: copies stacked along the batch
        run with `state` repeated for each."""
        n = next(v.shape[0] for v in state if isinstance(v, torch.Tensor))
        if a.is_leaf and a.requires_grad:  # the graph's in-place ReLU would refuse it
            a = a.clone()
        return self._cut(layer)[2](a, *_copies(state, a.shape[0] // n))

    def above_elements(self, a: torch.Tensor, state: tuple, layer: str) -> int:
        """Elements of every value `above` computes for one copy of `a`'s images: a stacked
        chunk of copies holds at most this many per copy (measured once per batch size)."""
        key = (layer, a.shape[0])
        if key not in self._sizes:
            sizes = _Sizes(self._cut(layer)[2])
            with torch.no_grad():
                sizes.run(a.clone(), *_copies(state, 1))
            self._sizes[key] = sizes.elements
        return self._sizes[key]

    def unstacked(self, layer: str) -> str | None:
        """Why lesioned copies of `layer` cannot be stacked (the fast and pruned engines), or
        None where they can."""
        self._cut(layer)
        return self._unstacked[layer]

    def _cut(self, layer: str):
        if layer not in self._cuts:
            point = self._layer(layer).lesion
            try:
                parts = cut(self.net, point)
                problem, self._unstacked[layer] = _check(self.net, parts, point, self.input_size)
            except FuncspecError as exc:
                problem = str(exc)
            if problem:
                # The whole model is `through`: a lesion's loss is still exact, but nothing is
                # shared and no lesioned copy can be stacked (the reference engine).
                parts, self._unstacked[layer] = (_alone, self.net, _first), problem
            self._cuts[layer] = parts
        return self._cuts[layer]


class _Sizes(fx.Interpreter):
    """Runs a graph, summing the elements of every tensor it computes."""

    elements = 0

    def run_node(self, n: fx.Node):
        out = super().run_node(n)
        if isinstance(out, torch.Tensor) and n.op != "placeholder":
            self.elements += out.numel()
        return out


def _copies(state: tuple, copies: int) -> list:
    """`state` for `copies` stacked inputs, always new tensors: the graph may add to a skip
    connection's tensor in place (`out += identity`), and the state serves every lesion."""
    n = next(v.shape[0] for v in state if isinstance(v, torch.Tensor))
    return [
        (v.repeat(copies, *[1] * (v.dim() - 1)) if v.dim() and v.shape[0] == n else v.clone())
        if isinstance(v, torch.Tensor)
        else v
        for v in state
    ]


def _check(net, parts, point: str, size: int) -> tuple[str | None, str | None]:
    """(why the cut does not compute the model, why stacked copies do not), each None where
    they do: on two noise images, the cut against the model, then two stacked copies (one with
    channel 0 silenced) against the model with and without that lesion. Catches what tracing
    gets wrong (an alias changed in place, which fx does not see), batch statistics that mix
    the copies, and a batch size read from the input."""
    param = next(net.parameters())
    x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(0))
    x = x.to(param.device, param.dtype)
    below, through, above = parts
    module, was_training = net.get_submodule(point), net.training
    net.eval()
    try:
        with torch.no_grad(), torch.autocast(param.device.type, enabled=False):
            expected = net(x)
            state = below(x)
            a = through(*_copies(state, 1))
            if not _close(above(a.clone(), *_copies(state, 1)), expected):
                return f"the traced graph cut at {point} does not compute the model", None
            handle = module.register_forward_hook(lambda _m, _i, out: out.index_fill(1, _ZERO, 0))
            try:
                lesioned = net(x)
            finally:
                handle.remove()
            copies = torch.cat([a, a.index_fill(1, _ZERO.to(a.device), 0)])
            try:
                stacked = above(copies, *_copies(state, 2))
            except Exception as exc:  # noqa: BLE001 - a shape read from the input, say
                return None, f"stacked copies fail at {point}: {type(exc).__name__}: {exc}"
            if not _close(stacked, torch.cat([expected, lesioned])):
                return None, f"stacked copies at {point} are not independent (batch statistics?)"
    finally:
        net.train(was_training)
    return None, None


_ZERO = torch.tensor([0])


def _close(a, b) -> bool:
    return a.shape == b.shape and torch.allclose(a, b, rtol=1e-4, atol=1e-5 * (1 + b.abs().max()))


def _alone(x):
    return (x,)


def _first(a, *_state):
    return a


def _mutated(traced: fx.GraphModule, n: fx.Node) -> fx.Node | None:
    """The value node `n` changes in place (x.add_(y), torch.relu_(x), ReLU(inplace=True)):
    the graph's edges do not show that later readers of it see the change."""
    if n.op == "call_module":
        inplace = getattr(traced.get_submodule(n.target), "inplace", False)
    elif n.op in ("call_method", "call_function"):
        name = _name(n)
        inplace = (
            n.kwargs.get("inplace") is True
            or (name.endswith("_") and not name.startswith("_"))
            or name.startswith("__i")
        )
    else:
        inplace = False
    target = n.args[0] if n.args else None
    while isinstance(target, fx.Node) and _name(target) in _VIEWS and target.args:
        target = target.args[0]  # a change to a view changes what it views
    return target if inplace and isinstance(target, fx.Node) else None


_VIEWS = {
    "getitem",
    "view",
    "view_as",
    "narrow",
    "select",
    "transpose",
    "permute",
    "expand",
    "squeeze",
    "unsqueeze",
    "flatten",
    "unflatten",
    "reshape",
    "t",
    "as_strided",
    "chunk",
    "split",
    "unbind",
    "diagonal",
    "movedim",
    "swapaxes",
}


def _name(n: fx.Node) -> str:
    if n.op not in ("call_method", "call_function"):
        return ""
    return n.target if isinstance(n.target, str) else getattr(n.target, "__name__", "")


class _Tracer(fx.Tracer):
    """Traces into every module but torch's own and the lesion point (a ResNet block is one)."""

    def __init__(self, point: str):
        super().__init__()
        self.point = point

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return qualname == self.point or super().is_leaf_module(m, qualname)


def cut(net: nn.Module, point: str) -> tuple[fx.GraphModule, fx.GraphModule, fx.GraphModule]:
    """(below, through, above) of `net` at the module `point`: below(x) -> state,
    through(*state) -> a, above(a, *state) -> the output. Raises FuncspecError where the model
    cannot be traced or runs `point` other than once."""
    try:
        traced = fx.GraphModule(net, _Tracer(point).trace(net))
    except Exception as exc:  # noqa: BLE001 - tracing fails in many ways, all meaning the same
        raise FuncspecError(
            f"{type(net).__name__} cannot be traced by torch.fx ({exc}); rank it with "
            "--engine reference"
        ) from exc
    nodes = list(traced.graph.nodes)
    calls = [n for n in nodes if n.op == "call_module" and n.target == point]
    if len(calls) != 1:
        raise FuncspecError(f"{point} runs {len(calls)} times in one forward pass, not once")
    (at,) = calls
    from_input, after, changed = set(), {at}, set()
    for i, n in enumerate(nodes):
        if n.op == "placeholder" or any(a in from_input for a in n.all_input_nodes):
            from_input.add(n)
        if n is not at and any(a in after or a in changed for a in n.all_input_nodes):
            after.add(n)
        target = _mutated(traced, n)
        if target is None or target in after:
            continue
        if n in after:  # the lesion reaches whatever reads the target from here on
            changed.add(target)
        elif any(u in after and nodes.index(u) < i for u in target.users):
            raise FuncspecError(
                f"{n.format_node()} changes in place a value read after {point} before it: "
                "the layers below a lesion cannot be computed once; rank with --engine reference"
            )
    # Values of the images that the lesion cannot change and that the lesion point or anything
    # after it reads: computed once. Weights and constants are copied wherever they are read.
    state = [
        n for n in nodes if n in from_input and n not in after and any(u in after for u in n.users)
    ]

    def graph(inputs, body, outputs):
        g, env = fx.Graph(), {}
        for i, n in enumerate(inputs):
            env[n] = g.placeholder(f"v{i}")
        for n in nodes:
            if n in body or (n not in from_input and n.op != "output"):
                env[n] = g.node_copy(n, env.__getitem__)
        g.output(outputs(env))
        module = fx.GraphModule(traced, g)
        # Kept, though nothing reads them: what changes a value in place.
        module.graph.eliminate_dead_code(lambda n: n.is_impure() or _mutated(module, n) is not None)
        module.recompile()
        return module

    output = nodes[-1]
    before = [n for n in nodes if n in from_input and n not in after and n.op != "placeholder"]
    placeholders = [n for n in nodes if n.op == "placeholder"]
    return (
        graph(placeholders, before, lambda env: tuple(env[n] for n in state)),
        graph(state, [at], lambda env: env[at]),
        graph(
            [at, *state],
            [n for n in after if n is not at and n is not output],
            lambda env: fx.node.map_arg(output.args[0], env.__getitem__),
        ),
    )
