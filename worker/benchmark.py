"""Benchmarking a spec on the worker's device: inference latency (batch 1), throughput (at the job's
batch, halved on out-of-memory), one training step, and the time of every layer beside its share
of the paper's C (Eqn. (1)).

Method: eval mode under inference_mode for inference; each number is timed by `worker.timer`
(warm-up, runs of >= 2 ms, runs added until the median's 95% interval is within the job's
precision or a cap), and carries its median, p10/p90, coefficient of variation and interval. The
host's load over the whole benchmark is recorded (`worker.hostload`), and the result is flagged
`noisy` when the spread or the load is high (docs/design.md, "Benchmark results"). The thread
count is recorded, not changed: compare numbers only within one device and thread count.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from functools import partial
from typing import Any, TypeVar

import torch
from pydantic import Field
from torch.nn import functional

from app.arch.analysis import Analysis, analyse
from app.arch.spec import Spec
from app.jobs.params import BenchmarkParams
from app.jobs.results import BenchmarkDetails, LayerTiming, Timing
from app.jobs.spread import DEFAULT_NOISY_CV, DEFAULT_NOISY_LOAD, noise_reasons
from worker.build import build_model
from worker.device import device_provenance, is_out_of_memory, resolve_device
from worker.errors import OutOfMemory
from worker.hostload import LoadProbe
from worker.timer import MIN_RUN_S, Plan, Timer

T = TypeVar("T")


class BenchmarkOutcome(BenchmarkDetails):
    """What `benchmark` returns: the stored details, and the provenance stored beside them."""

    provenance: dict[str, Any] = Field(default_factory=dict)


def benchmark(
    spec: Spec,
    params: BenchmarkParams,
    *,
    should_stop: Callable[[], bool],
    device: str = "auto",
    max_cv: float = DEFAULT_NOISY_CV,
    max_load: float = DEFAULT_NOISY_LOAD,
) -> BenchmarkOutcome:
    """Time `spec` as built by `worker.build.build_model` (random weights and inputs, seed 0).

    `should_stop()` is polled before every warm-up call and timed run; True raises Cancelled.
    Out-of-memory halves the batch (recorded in `batch_used` / `train_batch_used`); at batch 1
    it raises OutOfMemory. `max_cv` and `max_load` are the server's limits of a quiet result
    (app.jobs.spread.noise_reasons).
    """
    target = resolve_device(device)
    probe = LoadProbe().start()
    analysis = analyse(spec)
    session = _Session(spec, params, target, should_stop)
    latency = _halving(1, session.inference)[0]
    throughput, batch_used = _halving(params.batch_size, session.inference)
    layers: list[LayerTiming] = []
    layers_batch = 0
    if params.per_layer:
        layer_times, layers_batch = _halving(batch_used, session.layers)
        layers = compare_layers(analysis, layer_times, layers_batch, params.flag_factor)
    train_step, train_batch_used = _halving(batch_used, session.training_step)  # last: it moves the weights
    batches = {
        "batch_requested": params.batch_size,
        "batch_used": batch_used,
        "train_batch_used": train_batch_used,
    }
    load = probe.stop()
    timings = {"latency": latency, "throughput": throughput, "training step": train_step}
    reasons = noise_reasons(timings, load, max_cv, max_load)
    return BenchmarkOutcome(
        latency=latency,
        throughput=throughput,
        train_step=train_step,
        layers=layers,
        conv_time_share=sum(row.time_share for row in layers if row.kind == "conv") if layers else None,
        layers_total_s=sum(row.median_s for row in layers) if layers else None,
        layers_batch_used=layers_batch,
        conv_macs=analysis.conv_macs,
        load=load,
        noisy=bool(reasons),
        noisy_reasons=reasons,
        provenance={**session.provenance(), **batches, "layers_batch_used": layers_batch},
        **batches,
    )


class _Session:
    """One model on one device, with the inputs, precision, layout and timer of a benchmark."""

    def __init__(
        self, spec: Spec, params: BenchmarkParams, device: torch.device, should_stop: Callable[[], bool]
    ) -> None:
        self.spec, self.params, self.device = spec, params, device
        self.layout = torch.channels_last if params.channels_last else torch.contiguous_format
        torch.manual_seed(0)
        # torch's stubs omit Module.to's memory_format keyword
        self.model = build_model(spec).to(device, memory_format=self.layout).eval()  # type: ignore[call-overload]
        cuda = device.type == "cuda"
        if cuda:
            torch.backends.cudnn.benchmark = True  # fixed shapes: cuDNN picks its kernels during warm-up
        plan = Plan(params.warmup, params.repeats, params.run_cap(), params.precision)
        self.timer = Timer(
            plan, (lambda: torch.cuda.synchronize(device)) if cuda else (lambda: None), should_stop
        )

    def amp(self) -> AbstractContextManager[Any]:
        """bfloat16 = autocast (weights stay float32), as training runs it; else full precision."""
        if self.params.dtype == "bfloat16":
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return nullcontext()

    def inputs(self, batch: int) -> torch.Tensor:
        shape = (batch, self.spec.input.channels, self.spec.input.height, self.spec.input.width)
        images = torch.randn(shape, generator=torch.Generator().manual_seed(batch))
        return images.to(self.device).contiguous(memory_format=self.layout)

    def inference(self, batch: int) -> Timing:
        images = self.inputs(batch)
        with torch.inference_mode(), self.amp():
            return self.timer.measure(lambda: self.model(images), batch)

    def layers(self, batch: int) -> dict[str, Timing]:
        """Record each named child's real input in one forward pass, then time each child alone."""
        recorded: dict[str, torch.Tensor] = {}
        hooks = [
            child.register_forward_pre_hook(
                lambda _module, args, name=name: recorded.__setitem__(name, args[0])
            )
            for name, child in self.model.named_children()
        ]
        try:
            with torch.inference_mode(), self.amp():
                self.model(self.inputs(batch))
        finally:
            for hook in hooks:
                hook.remove()
        times = {}
        with torch.inference_mode(), self.amp():
            for name, child in self.model.named_children():
                times[name] = self.timer.measure(partial(child, recorded[name]), batch)
        return times

    def training_step(self, batch: int) -> Timing:
        """zero_grad, forward, cross-entropy, backward, SGD step (a tiny lr keeps weights sane)."""
        model = self.model.train()
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
        images = self.inputs(batch)
        with torch.no_grad():
            classes = model(images[:1]).flatten(1).shape[1]
        labels = torch.randint(0, classes, (batch,), generator=torch.Generator().manual_seed(0)).to(
            self.device
        )

        def step() -> None:
            optimizer.zero_grad(set_to_none=True)
            with self.amp():
                loss = functional.cross_entropy(model(images).flatten(1).float(), labels)
            torch.autograd.backward(loss)
            optimizer.step()

        return self.timer.measure(step, batch)

    def provenance(self) -> dict[str, Any]:
        params, cuda = self.params, self.device.type == "cuda"
        return {
            **device_provenance(self.device),
            "dtype": params.dtype if params.dtype == "float32" else "bfloat16 autocast (float32 weights)",
            "channels_last": params.channels_last,
            "protocol": params.protocol(),
            "spec": self.spec.name,
            "method": (
                f"median, p10/p90, CV and the median's 95% interval (order statistics) over "
                f"{params.repeats} to {params.run_cap()} timed runs (added until the interval is within "
                f"+-{params.precision:.0%}) after {params.warmup} warm-up calls; each run repeats the "
                f"call to last >= {MIN_RUN_S * 1e3:g} ms"
                + ("; CUDA synchronised around each run" if cuda else "")
            ),
        }


def compare_layers(
    analysis: Analysis, times: dict[str, Timing], batch: int, flag_factor: float
) -> list[LayerTiming]:
    """Measured layer times beside Eqn. (1): each conv layer's share of the conv layers' time
    against its share of C. A layer is flagged when the ratio leaves [1/flag_factor, flag_factor]
    by more than its measured spread: even its fast end (p10) is too slow, or even its slow end
    (p90) too fast. Non-conv layers are outside Eqn. (1); they get only their share of the time."""
    total = sum(times[layer.name].median_s for layer in analysis.layers)
    conv_total = sum(times[layer.name].median_s for layer in analysis.layers if layer.kind == "conv")
    rows = []
    for layer in analysis.layers:
        timing = times[layer.name]
        conv = layer.kind == "conv"
        conv_share = timing.median_s / conv_total if conv else None
        ratio = conv_share / layer.share if conv_share is not None and layer.share > 0 else None
        flagged = False
        if ratio is not None:
            per_second = ratio / timing.median_s  # the ratio of one second of this layer's time
            fast, slow = timing.p10_s * per_second, timing.p90_s * per_second
            flagged = fast > flag_factor or slow < 1 / flag_factor
        rows.append(
            LayerTiming(
                name=layer.name,
                kind=layer.kind,
                median_s=timing.median_s,
                p10_s=timing.p10_s,
                p90_s=timing.p90_s,
                time_share=timing.median_s / total,
                macs=layer.macs,
                theoretical_share=layer.share if conv else None,
                conv_time_share=conv_share,
                share_ratio=ratio,
                macs_per_s=layer.macs * batch / timing.median_s if layer.macs else None,
                flagged=flagged,
                cv=timing.cv,
            )
        )
    return rows


def _halving(batch: int, attempt: Callable[[int], T]) -> tuple[T, int]:
    """`attempt(batch)`, halving the batch on out-of-memory; (result, batch that worked)."""
    while True:
        try:
            return attempt(batch), batch
        except RuntimeError as error:
            if not is_out_of_memory(error):
                raise
            if batch == 1:
                raise OutOfMemory(f"out of memory at batch 1: {error}") from error
        if torch.cuda.is_initialized():
            torch.cuda.empty_cache()
        batch //= 2
