"""Calibrating the worker's device (docs/design.md, "Device profiles"): time, at batch 1, every
layer of whole networks inside their forward passes (presets and seeded random networks of the
sizes the editor's users draw), and a grid of single layers for range (convs over filter sizes
1-7, strides 1 and 2, channel counts and map sizes; max and average pools; SPP; global average
pooling; fc); fit the latency model (`worker.latency_fit`) and return the profile.

The grid and the networks are fixed and seeded, so two calibrations time the same layers. Each
layer is built by `worker.build` exactly as it is inside a network (conv + ReLU, pools, fc), and
timed by `worker.timer` (`Timer.passes`) in rounds: every source a few passes per round, all of
them in every round, so a slow spell of a shared host is spread over all of them.
"""

from __future__ import annotations

import itertools
import random
import statistics
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import torch

from app.arch.analysis import analyse
from app.arch.errors import SpecError
from app.arch.latency import ELEMENT_BYTES
from app.arch.presets import presets
from app.arch.spec import FC, SPP, Conv, GlobalAvgPool, InputShape, Pool, Spec
from app.jobs.params import CalibrateParams
from app.profiles.data import ProfileData
from worker.build import build_model
from worker.device import device_name, device_provenance, resolve_device
from worker.latency_fit import Timed, fit
from worker.timer import Pass, Plan, Timer, medians

AnyLayer = Conv | Pool | SPP | GlobalAvgPool | FC
# (input channels, output channels) and map sides the conv grid draws from: from the paper's conv1
# (3 channels) to 256-channel stages, from 2 px maps to 128 px inputs.
CHANNELS = [(3, 16), (3, 64), (16, 16), (16, 32), (32, 32), (32, 64), (64, 64), (64, 128), (128, 128),
            (128, 256), (256, 256), (24, 48), (48, 96), (96, 96)]  # fmt: skip
SIDES = [2, 4, 6, 9, 12, 18, 24, 36, 48, 64, 96, 128]
MAX_GRID_MACS = 600_000_000  # a grid layer over this is drawn again: it would only add time
CONVS_PER_SHAPE = {"standard": 10, "tiny": 0}  # per (filter size, stride)
# whole networks: presets, and random ones (seeded) of the sizes the editor's users draw
NETWORKS = {"standard": ["A-s36", "B-s36", "C-s36", "E-s36", "F-s36", "J-s36"], "tiny": ["A-s36"]}
RANDOM_NETWORKS = {"standard": 150, "tiny": 0}  # about 2,000 conv layers in context
NETWORK_SEED = 7
MAX_NETWORK_MACS = 1_500_000_000  # keeps one network's timing to seconds on a CPU
ROUNDS = 5  # each source's passes are split over this many rounds through all of them


@dataclass(frozen=True)
class Built:
    model: torch.nn.Sequential
    images: torch.Tensor


@dataclass(frozen=True)
class GridItem:
    input: InputShape
    layer: AnyLayer


def _conv_grid(rng: random.Random, per_shape: int) -> list[GridItem]:
    items = []
    for size in range(1, 8):
        for stride in (1, 2):
            drawn = 0
            while drawn < per_shape:
                (cin, cout), side = rng.choice(CHANNELS), rng.choice(SIDES)
                macs = cin * cout * size * size * (side // stride) ** 2
                if side < size or macs > MAX_GRID_MACS:
                    continue
                items.append(
                    GridItem(
                        InputShape(channels=cin, height=side, width=side),
                        Conv(filters=cout, size=size, stride=stride),
                    )
                )
                drawn += 1
    return items


def random_network(rng: random.Random, name: str) -> Spec:
    """One random valid network: s36 or a 64-128 px input, 3-20 convs of sizes 1-7 (pools, SPP
    or global pooling, fc), under MAX_NETWORK_MACS."""
    while True:
        side = 36 if rng.random() < 0.5 else rng.randint(64, 128)
        depth = rng.randint(3, 20)
        width = rng.choice([8, 16, 24, 32])
        stride = 2 if side >= 64 and rng.random() < 0.6 else 1
        layers: list[AnyLayer] = [Conv(filters=width, size=rng.choice([3, 5, 7]), stride=stride)]
        current, convs, pools = -(-side // stride), 1, 0
        while convs < depth:
            if current >= 8 and pools < 3 and rng.random() < 0.2:
                size = rng.choice([2, 3])
                layers.append(Pool(type=rng.choice(["maxpool", "maxpool", "avgpool"]), size=size, stride=2))
                current, pools, width = (current - size) // 2 + 1, pools + 1, min(width * 2, 256)
            else:
                layers.append(Conv(filters=width, size=rng.randint(1, min(7, current)), stride=1))
                convs += 1
        if rng.random() < 0.5 and current >= 2:
            layers.append(SPP(levels=(2, 1) if current < 4 else rng.choice([(2, 1), (4, 2, 1), (3, 2, 1)])))
        else:
            layers.append(GlobalAvgPool())
        if rng.random() < 0.5:
            layers.append(FC(units=rng.choice([128, 256, 512])))
        layers.append(FC(units=10))
        spec = Spec(name=name, input=InputShape(channels=3, height=side, width=side), layers=layers)
        try:
            if analyse(spec).conv_macs <= MAX_NETWORK_MACS:
                return spec
        except SpecError:
            continue


def networks(name: str) -> list[Spec]:
    """The whole networks a calibration times: presets, then seeded random ones."""
    rng = random.Random(NETWORK_SEED)
    return [presets()[n].spec for n in NETWORKS[name]] + [
        random_network(rng, f"calibration{i}") for i in range(RANDOM_NETWORKS[name])
    ]


def grid(name: str) -> list[GridItem]:
    """The layers a calibration times; every layer kind appears in every grid."""
    rng = random.Random(0)
    items = _conv_grid(rng, CONVS_PER_SHAPE[name])
    shape = lambda c, side: InputShape(channels=c, height=side, width=side)  # noqa: E731
    if name == "tiny":
        return [
            GridItem(shape(3, 16), Conv(filters=8, size=3)),
            GridItem(shape(8, 16), Conv(filters=16, size=3, stride=2)),
            GridItem(shape(8, 8), Conv(filters=8, size=1)),
            GridItem(shape(3, 12), Conv(filters=8, size=5)),
            GridItem(shape(8, 16), Pool(type="maxpool", size=2)),
            GridItem(shape(8, 16), Pool(type="avgpool", size=2)),
            GridItem(shape(16, 6), SPP(levels=(2, 1))),
            GridItem(shape(16, 6), GlobalAvgPool()),
            GridItem(shape(80, 1), FC(units=10)),
            GridItem(shape(64, 1), FC(units=32)),
        ]
    for _ in range(24):
        kind = rng.choice(["maxpool", "maxpool", "avgpool"])
        size, stride = rng.choice([(2, 2), (3, 3), (3, 2), (3, 1), (2, 1)])
        side, channels = rng.choice(SIDES[3:]), rng.choice([16, 32, 64, 128, 256])
        items.append(GridItem(shape(channels, side), Pool(type=kind, size=size, stride=stride)))
    for levels in [(2, 1), (4, 2, 1), (6, 3, 2, 1), (3, 2, 1), (2, 1), (6, 3, 2, 1), (4, 2, 1), (1,)]:
        side, channels = rng.choice([3, 4, 6, 9, 12, 18]), rng.choice([32, 64, 128, 256])
        items.append(GridItem(shape(channels, max(side, levels[0])), SPP(levels=levels)))
    for _ in range(6):
        items.append(
            GridItem(shape(rng.choice([32, 64, 128, 256]), rng.choice([2, 6, 12, 24])), GlobalAvgPool())
        )
    for features, units in [(64, 10), (256, 10), (320, 512), (512, 512), (1280, 512), (512, 10), (2304, 1024),
                            (4096, 1000), (1024, 4096), (4096, 4096), (8192, 512), (128, 100), (16384, 10)]:  # fmt: skip
        items.append(GridItem(shape(features, 1), FC(units=units)))
    return items


class DeviceTimer:
    """Inputs, precision and layout of the profile on the worker's device."""

    def __init__(self, params: CalibrateParams, should_stop: Callable[[], bool]) -> None:
        self.device = resolve_device("auto")
        self.params = params
        self.layout = torch.channels_last if params.channels_last else torch.contiguous_format
        cuda = self.device.type == "cuda"
        if cuda:
            torch.backends.cudnn.benchmark = True
        plan = Plan(params.warmup, params.repeats, params.max_repeats, params.precision)
        self.timer = Timer(
            plan, (lambda: torch.cuda.synchronize(self.device)) if cuda else (lambda: None), should_stop
        )

    def amp(self) -> AbstractContextManager[Any]:
        if self.params.dtype == "bfloat16":
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return nullcontext()

    def build(self, spec: Spec) -> Built:
        """`spec`'s network on the device, in the profile's layout, and its batch-1 input."""
        torch.manual_seed(0)
        model = build_model(spec).to(self.device, memory_format=self.layout).eval()  # type: ignore[call-overload]
        shape = (1, spec.input.channels, spec.input.height, spec.input.width)
        return Built(model, torch.randn(shape).to(self.device).contiguous(memory_format=self.layout))

    def seconds(self, spec: Spec) -> float:
        """The median batch-1 time of `spec`'s network."""
        built = self.build(spec)
        with torch.inference_mode(), self.amp():
            return self.timer.measure(lambda: built.model(built.images), 1).median_s

    def passes(self, built: Built, count: int, warmup: int) -> list[Pass]:
        """`count` batch-1 passes through the network, each layer timed inside them (`Timer.passes`)."""
        with torch.inference_mode(), self.amp():
            return self.timer.passes(list(built.model), built.images, count, warmup)


def round_times(passes: list[list[list[Pass]]], pass_s: list[float]) -> list[float]:
    """How slow the host ran in each round (`passes` per source, per round): the median over the
    sources of the round's median pass over the source's median pass of all rounds (`pass_s`)."""
    ratios: list[list[float]] = [[] for _ in passes[0]]
    for by_round, overall in zip(passes, pass_s, strict=True):
        for ratio, round_ in zip(ratios, by_round, strict=True):
            ratio.append(statistics.median(total for _, total in round_) / overall)
    return [statistics.median(ratio) for ratio in ratios]


def calibrate(
    params: CalibrateParams,
    should_stop: Callable[[], bool],
    on_progress: Callable[[float], None] = lambda _: None,
) -> ProfileData:
    """Time the grid and the networks on this worker's device, fit the model, name the profile.
    `should_stop()` is polled before every timed run (True raises Cancelled)."""
    started = time.monotonic()
    target = DeviceTimer(params, should_stop)
    items = grid(params.grid)
    specs = networks(params.grid)
    sources = [
        (Spec(name=f"grid{i}", input=item.input, layers=[item.layer]), False) for i, item in enumerate(items)
    ]
    sources += [(spec, True) for spec in specs]
    built = [target.build(spec) for spec, _ in sources]
    # Every source in every round: a slow spell of the host is shared by all of them, and each
    # median (over all rounds) outvotes it, instead of a few sources timed during it being off.
    rounds = min(ROUNDS, params.max_repeats)
    per_round, extra = divmod(params.max_repeats, rounds)  # the first `extra` rounds take one more
    passes: list[list[list[Pass]]] = [[] for _ in sources]  # per source, per round
    for done, (round_, i) in enumerate(itertools.product(range(rounds), range(len(sources))), start=1):
        # one untimed pass brings a network back into cache after the others ran
        count = per_round + (round_ < extra)
        passes[i].append(target.passes(built[i], count, params.warmup if round_ == 0 else 1))
        on_progress(done / (rounds * len(sources)))
    timed = [
        Timed(analyse(spec), *medians([one for round_ in mine for one in round_]), network=network)
        for (spec, network), mine in zip(sources, passes, strict=True)
    ]
    model, quality = fit(timed, ELEMENT_BYTES[params.dtype], time.monotonic() - started)
    steadiness = round_times(passes, [t.pass_s for t in timed])
    provenance = device_provenance(target.device)
    name = device_name(target.device)
    layout = "-channels_last" if params.channels_last else ""
    return ProfileData(
        name=params.name or f"{name} {params.dtype}{layout}",
        device=name,
        device_type=target.device.type,
        torch_version=torch.__version__,
        dtype=params.dtype,
        channels_last=params.channels_last,
        threads=provenance.get("threads"),
        model=model,
        fit=quality.model_copy(
            update={
                "calibration_s": time.monotonic() - started,
                "round_times": steadiness,
                "noisy": any(abs(ratio - 1) > params.precision for ratio in steadiness),
            }
        ),
        provenance={
            **provenance,
            "grid": params.grid,
            "protocol": params.protocol(),
            "networks": [spec.name for spec in specs],
        },
    )
