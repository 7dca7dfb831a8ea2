"""CUDA-graph replay of a diffusers UNet's ``forward``, one graph per input signature.

Eager SDXL steps on a fast GPU are bound by kernel launches (the same step measured 55 to
85 ms on different hosts); a captured graph replays the whole forward with one launch. The
pipeline keeps calling ``unet(...)`` as before: :func:`enable` replaces the module's
``forward`` by a :class:`GraphedForward`, which copies the call's tensors into static
buffers and replays, and runs the eager forward whenever it cannot replay safely:

- gradients enabled, a plain number or an unknown object among the arguments (a graph
  would freeze it), ``return_dict`` not False, or a parameter not on the GPU (offloading);
- after any capture failure (logged; the graphs stay off for this module).

The graphs read the weights where they were at capture: the weights' addresses are checked
on every call (about 1,700 pointers for SDXL) and a change (LoRA fused or unfused, weights
moved) drops the graphs, which are then captured again; so does a change of
:attr:`GraphedForward.token`, which the owner sets to whatever else the forward reads.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

log = logging.getLogger(__name__)

_SCALARS = (type(None), bool, str)


def _signature(value: Any) -> Any:
    """A hashable description of one argument, or raise TypeError when it is unsupported."""
    import torch

    if torch.is_tensor(value):
        return ("t", tuple(value.shape), str(value.dtype), str(value.device))
    if isinstance(value, _SCALARS):
        return ("v", value)
    if isinstance(value, dict):
        return ("d", tuple((k, _signature(v)) for k, v in sorted(value.items())))
    raise TypeError(type(value).__name__)


def _clone(value: Any, device: Any) -> Any:
    """A static buffer for ``value`` on the GPU (a CPU tensor, e.g. a timestep, would
    otherwise be copied to the device inside the capture, which CUDA refuses)."""
    import torch

    if torch.is_tensor(value):
        return value.to(device, copy=True)
    if isinstance(value, dict):
        return {k: _clone(v, device) for k, v in value.items()}
    return value


def _copy_into(static: Any, value: Any) -> None:
    import torch

    if torch.is_tensor(static):
        static.copy_(value)
    elif isinstance(static, dict):
        for k, v in static.items():
            _copy_into(v, value[k])


class _Graph:
    def __init__(self, graph: Any, args: Any, kwargs: Any, out: Any, weights: Any) -> None:
        self.graph, self.args, self.kwargs = graph, args, kwargs
        self.out, self.weights = out, weights

    def replay(self, args: tuple, kwargs: dict) -> Any:
        for static, value in zip(self.args, args, strict=True):
            _copy_into(static, value)
        for name, static in self.kwargs.items():
            _copy_into(static, kwargs[name])
        self.graph.replay()
        return tuple(o.clone() for o in self.out)  # the next replay overwrites the buffers


class GraphedForward:
    """Callable that stands in for ``module.forward`` (see the module docstring)."""

    def __init__(self, module: Any, max_graphs: int = 2, warmup: int = 2) -> None:
        import weakref

        # A weak reference and the class's function: no reference cycle through the
        # module's __dict__, so an evicted UNet is freed at once, not at the next gc.
        self._module = weakref.ref(module)
        self._forward = type(module).forward
        self.max_graphs, self.warmup = max_graphs, warmup
        self.graphs: OrderedDict[Any, _Graph] = OrderedDict()
        self.failed: str | None = None
        # Whatever else the forward reads besides weights and arguments (e.g. which LoRA
        # adapters are active): the owner sets it; a change drops the graphs like new weights.
        self.token: Any = None
        self.replays = self.eager_calls = self.captures = 0
        self._pool: Any = None

    @property
    def module(self) -> Any:
        module = self._module()
        if module is None:
            raise RuntimeError("the UNet of this graph was freed")
        return module

    def eager(self, *args: Any, **kwargs: Any) -> Any:
        """The module's own forward."""
        return self._forward(self.module, *args, **kwargs)

    def _weights(self) -> tuple | None:
        ptrs = []
        for p in self.module.parameters():
            if not p.is_cuda:
                return None
            ptrs.append(p.data_ptr())
        return (self.token, tuple(ptrs))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        import torch

        key = weights = None
        replayable = kwargs.get("return_dict") is False and not torch.is_grad_enabled()
        if self.failed is None and replayable:
            try:
                key = (
                    tuple(_signature(a) for a in args),
                    tuple((k, _signature(v)) for k, v in sorted(kwargs.items())),
                )
            except TypeError:
                key = None
            weights = self._weights() if key is not None else None
        if key is None or weights is None:
            self.eager_calls += 1
            return self.eager(*args, **kwargs)
        graph = self.graphs.get(key)
        if graph is not None and graph.weights != weights:
            self.graphs.clear()  # new weights: every graph reads the old ones
            graph = None
        if graph is None:
            try:
                graph = self._capture(args, kwargs, weights)
            except Exception as exc:  # noqa: BLE001 - eager computes the same thing
                log.warning("UNet CUDA graph capture failed, running eager: %r", exc)
                self.failed = f"{type(exc).__name__}: {exc}"
                self.graphs.clear()
                self.eager_calls += 1
                return self.eager(*args, **kwargs)
            self.graphs[key] = graph
            while len(self.graphs) > self.max_graphs:
                self.graphs.popitem(last=False)
        self.graphs.move_to_end(key)
        self.replays += 1
        return graph.replay(args, kwargs)

    def _capture(self, args: tuple, kwargs: dict, weights: tuple) -> _Graph:
        import torch

        device = next(self.module.parameters()).device
        static_args = tuple(_clone(a, device) for a in args)
        static_kwargs = {k: _clone(v, device) for k, v in kwargs.items()}
        with torch.cuda.device(device):
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):  # cuDNN/cuBLAS choose their kernels before capture
                for _ in range(self.warmup):
                    self.eager(*static_args, **static_kwargs)
            torch.cuda.current_stream().wait_stream(side)
            if self._pool is None:
                self._pool = torch.cuda.graph_pool_handle()  # graphs share one memory pool
            graph = torch.cuda.CUDAGraph()
            # thread_local: a live stream on another thread may keep using the GPU meanwhile
            with torch.cuda.graph(graph, pool=self._pool, capture_error_mode="thread_local"):
                out = self.eager(*static_args, **static_kwargs)
        if not isinstance(out, tuple) or not all(torch.is_tensor(o) for o in out):
            raise TypeError(f"unexpected UNet output {type(out).__name__}")
        self.captures += 1
        return _Graph(graph, static_args, static_kwargs, out, weights)

    def stats(self) -> dict[str, Any]:
        """What ran: replays, eager calls, captures and any capture failure."""
        return {
            "replays": self.replays,
            "eager_calls": self.eager_calls,
            "captures": self.captures,
            "failed": self.failed,
        }


def installed(module: Any) -> GraphedForward | None:
    """The module's :class:`GraphedForward`, if :func:`enable` installed one."""
    forward = module.__dict__.get("forward")
    return forward if isinstance(forward, GraphedForward) else None


def enable(module: Any) -> GraphedForward | None:
    """Replay ``module``'s forward from CUDA graphs from now on (idempotent). None, and
    nothing changed, inside :func:`suspended` or when something else (an offload hook)
    already replaced the forward."""
    current = installed(module)
    if current is None:
        if module.__dict__.get("_studio_graphs_suspended") or "forward" in module.__dict__:
            return None
        current = GraphedForward(module)
        module.forward = current
    return current


def disable(module: Any) -> None:
    """Back to the plain eager forward; the graphs and their memory are released."""
    current = installed(module)
    if current is not None:
        current.graphs.clear()
        del module.forward


@contextmanager
def suspended(module: Any) -> Iterator[None]:
    """Eager forward inside the block (the graphs are kept for afterwards)."""
    current = installed(module)
    if current is not None:
        del module.forward
    module.__dict__["_studio_graphs_suspended"] = True  # enable() leaves it eager meanwhile
    try:
        yield
    finally:
        module.__dict__.pop("_studio_graphs_suspended", None)
        if current is not None and "forward" not in module.__dict__:
            module.forward = current
