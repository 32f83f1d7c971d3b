"""Benchmarking a spec on the worker's device: inference latency (batch 1), throughput (at the job's
batch, halved on out-of-memory), one training step, and the time of every layer beside its share
of the paper's C (Eqn. (1)).

Method (as timm's benchmark.py and torch.utils.benchmark do it): eval mode under inference_mode
for inference, `warmup` untimed calls, then `repeats` timed runs. A run repeats the call enough
times to last at least `MIN_RUN_S` (so a 20 us layer is not timed by a clock that ticks in us),
and reports the time per call; on CUDA the device is synchronised before and after each run.
Each result gives the median and the 10th/90th percentiles over runs. The thread count is
recorded, not changed: compare numbers only within one device and thread count.
"""

from __future__ import annotations

import math
import statistics
import time
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
from worker.build import build_model
from worker.device import device_provenance, is_out_of_memory, resolve_device
from worker.errors import Cancelled, OutOfMemory

MIN_RUN_S = 2e-3  # each timed run lasts at least this long
MAX_CALLS_PER_RUN = 1000
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
) -> BenchmarkOutcome:
    """Time `spec` as built by `worker.build.build_model` (random weights and inputs, seed 0).

    `should_stop()` is polled before every warm-up call and timed run; True raises Cancelled.
    Out-of-memory halves the batch (recorded in `batch_used` / `train_batch_used`); at batch 1
    it raises OutOfMemory.
    """
    target = resolve_device(device)
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
    return BenchmarkOutcome(
        latency=latency,
        throughput=throughput,
        train_step=train_step,
        layers=layers,
        conv_time_share=sum(row.time_share for row in layers if row.kind == "conv") if layers else None,
        layers_total_s=sum(row.median_s for row in layers) if layers else None,
        layers_batch_used=layers_batch,
        conv_macs=analysis.conv_macs,
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
        self.timer = _Timer(
            params, (lambda: torch.cuda.synchronize(device)) if cuda else (lambda: None), should_stop
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
                f"median and p10/p90 over {params.repeats} timed runs after {params.warmup} warm-up calls; "
                f"each run repeats the call to last >= {MIN_RUN_S * 1e3:g} ms"
                + ("; CUDA synchronised around each run" if cuda else "")
            ),
        }


def compare_layers(
    analysis: Analysis, times: dict[str, Timing], batch: int, flag_factor: float
) -> list[LayerTiming]:
    """Measured layer times beside Eqn. (1): each conv layer's share of the conv layers' time
    against its share of C, flagged when the ratio leaves [1/flag_factor, flag_factor]. Non-conv
    layers are outside Eqn. (1); they get only their share of the total time."""
    total = sum(times[layer.name].median_s for layer in analysis.layers)
    conv_total = sum(times[layer.name].median_s for layer in analysis.layers if layer.kind == "conv")
    rows = []
    for layer in analysis.layers:
        timing = times[layer.name]
        conv = layer.kind == "conv"
        conv_share = timing.median_s / conv_total if conv else None
        ratio = conv_share / layer.share if conv_share is not None and layer.share > 0 else None
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
                flagged=ratio is not None and (ratio > flag_factor or ratio < 1 / flag_factor),
            )
        )
    return rows


class _Timer:
    def __init__(
        self, params: BenchmarkParams, sync: Callable[[], None], should_stop: Callable[[], bool]
    ) -> None:
        self.warmup, self.repeats = params.warmup, params.repeats
        self.sync, self.should_stop = sync, should_stop

    def _check(self) -> None:
        if self.should_stop():
            raise Cancelled("benchmark cancelled")

    def measure(self, call: Callable[[], object], batch: int) -> Timing:
        for _ in range(self.warmup):
            self._check()
            call()
        self.sync()
        start = time.perf_counter()
        call()
        self.sync()
        once = time.perf_counter() - start
        calls = min(MAX_CALLS_PER_RUN, max(1, math.ceil(MIN_RUN_S / max(once, 1e-9))))
        samples = []
        for _ in range(self.repeats):
            self._check()
            self.sync()
            start = time.perf_counter()
            for _ in range(calls):
                call()
            self.sync()
            samples.append((time.perf_counter() - start) / calls)
        return _timing(samples, batch, calls)


def _timing(samples: list[float], batch: int, calls: int) -> Timing:
    # "inclusive" interpolates between observed samples: p10 <= median <= p90, all observed-range.
    deciles = statistics.quantiles(samples, n=10, method="inclusive")
    median, p10, p90 = statistics.median(samples), deciles[0], deciles[-1]
    return Timing(
        batch=batch,
        median_s=median,
        p10_s=p10,
        p90_s=p90,
        runs=len(samples),
        calls_per_run=calls,
        images_per_s=batch / median,
        images_per_s_p10=batch / p90,
        images_per_s_p90=batch / p10,
    )


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
