"""Interchange commands: `export` (a spec as ONNX or PyTorch source) and `import` (an ONNX file,
or a PyTorch module traced with torch.fx, as a spec). docs/design.md, "Interchange"."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.cli.common import UsageError, load, macs

if TYPE_CHECKING:
    from app.arch.spec import Spec


def cmd_export(args: argparse.Namespace) -> int:
    from app.interchange.onnx_export import onnx_bytes
    from app.interchange.pytorch_source import pytorch_source

    spec = load(args)
    data = onnx_bytes(spec) if args.format == "onnx" else pytorch_source(spec).encode()
    try:
        Path(args.output).write_bytes(data)
    except OSError as error:
        raise UsageError(f"cannot write {args.output}: {error.strerror}") from None
    print(f"wrote {args.output} ({len(data):,} bytes, {args.format})", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from app.arch.analysis import analyse

    source: str = args.source
    if source.rpartition(":")[0].endswith(".py"):
        spec = _traced(args)
    else:
        if args.input is not None or args.channels is not None:
            raise UsageError(
                "--input and --channels apply to PyTorch modules; an ONNX file has its input shape"
            )
        spec = _onnx(Path(source))
    analysis = analyse(spec)
    if args.json:
        print(analysis.model_dump_json(indent=2))
        return 0
    inp = analysis.input
    print(analysis.notation)
    print(
        f"\ninput {inp.channels}x{inp.height}x{inp.width}; conv MACs (C, Eqn. 1) {macs(analysis.conv_macs)}"
    )
    print(f"params {analysis.params:,}; layers {len(analysis.layers)}")
    return 0


def _onnx(path: Path) -> Spec:
    from app.interchange.onnx_import import import_onnx
    from app.interchange.service import import_limits
    from app.settings import get_settings

    limits = import_limits(get_settings())
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:  # refused before it is read (README, "Limits")
            raise UsageError(
                f"{path} has {size:,} bytes; the limit is {limits.max_bytes:,} (ISOCOST_MAX_IMPORT_BYTES)"
            )
        data = path.read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror}") from None
    return import_onnx(data, limits)


def _traced(args: argparse.Namespace) -> Spec:
    """A PyTorch module traced with torch.fx (worker side: imported only here, when asked for)."""
    from pydantic import ValidationError

    from app.arch.spec import InputShape

    try:
        from worker.fx_import import import_module, load_factory
    except ImportError as error:
        raise UsageError(f"importing PyTorch modules needs torch: {error}") from None
    side = {"height": args.input, "width": args.input} if args.input is not None else {}
    channels = {"channels": args.channels} if args.channels is not None else {}
    try:
        shape = InputShape(**side, **channels)
    except ValidationError as error:
        raise UsageError(f"--input/--channels: {error.errors()[0]['msg']}") from None
    return import_module(load_factory(args.source)(), shape)


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "export",
        help="write a spec as ONNX or as PyTorch source",
        description="ONNX: the graph built from the spec (weights are graph inputs). PyTorch: one "
        "readable .py file defining an nn.Module with the paper's layer names.",
    )
    p.add_argument(
        "spec",
        metavar="SPEC",
        help="a preset name (A ... J', A-s36 ...), a notation string, or a .json/.yaml file",
    )
    p.add_argument("--format", required=True, choices=["onnx", "pytorch"], help="what to write")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the file to write")
    p.add_argument("--input", type=int, metavar="N", help="input side in pixels (overrides the spec's)")
    p.add_argument("--channels", type=int, metavar="C", help="input channels (overrides the spec's)")
    p.set_defaults(handler=cmd_export)

    p = commands.add_parser(
        "import",
        help="read an ONNX file or a PyTorch module as a spec",
        description="FILE.onnx, or FILE.py:FACTORY (a function or class building an nn.Module, traced "
        "with torch.fx). Prints the spec's notation and cost; anything a spec cannot hold is refused "
        "naming the node.",
    )
    p.add_argument("source", metavar="SOURCE", help="FILE.onnx or FILE.py:FACTORY")
    p.add_argument("--json", action="store_true", help="print the analysis JSON (as POST /api/v1/import)")
    p.add_argument("--input", type=int, metavar="N", help="PyTorch only: input side (default 224)")
    p.add_argument("--channels", type=int, metavar="C", help="PyTorch only: input channels (default 3)")
    p.set_defaults(handler=cmd_import)
