"""Interchange on the paper-scale presets: isocost's ONNX export (built from the spec, no torch)
and import, against `torch.onnx.export` of the same model (worker/build.py's) in the same run.

Per preset: the export of the architecture alone (weights as graph inputs), the export with the
model's weights as initializers (the file torch writes too), the import of each of those files,
and torch.onnx.export to a single file; the ratio column is torch's time over isocost's export
with weights. `python -m bench interchange`.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

from app.arch.presets import of_scale
from app.interchange.onnx_export import onnx_bytes
from app.interchange.onnx_import import ImportLimits, import_onnx
from bench.timing import Timing, measure, save

LIMITS = ImportLimits(max_bytes=2**31 - 1, max_nodes=100_000, max_params=10**10)


def main() -> None:
    import logging

    import torch

    from worker.build import build_model
    from worker.weights import plain_state_dict

    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    torch.manual_seed(0)
    rows = []
    header = f"{'model':6} {'export':>10} {'+weights':>10} {'import':>10} {'+weights':>10} {'torch':>10} {'torch/ours':>10}"
    print(header)
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "model.onnx"
        for preset in of_scale("paper"):
            spec = preset.spec
            model = build_model(spec).eval()
            weights = {name: t.numpy() for name, t in plain_state_dict(model).items()}
            bare, full = onnx_bytes(spec), onnx_bytes(spec, weights)
            x = torch.randn(1, 3, spec.input.height, spec.input.width)
            timings: dict[str, Timing] = {
                "export": measure(lambda spec=spec: onnx_bytes(spec), runs=20),
                "export_weights": measure(lambda spec=spec, w=weights: onnx_bytes(spec, w), runs=3, warmup=1),
                "import": measure(lambda data=bare: import_onnx(data, LIMITS), runs=20),
                "import_weights": measure(lambda data=full: import_onnx(data, LIMITS), runs=3, warmup=1),
                "torch_onnx_export": measure(
                    lambda m=model, x=x: torch.onnx.export(
                        m, (x,), target, external_data=False, verbose=False
                    ),
                    runs=3,
                    warmup=1,
                ),
            }
            ratio = timings["torch_onnx_export"].median_s / timings["export_weights"].median_s
            rows.append(
                {
                    "model": preset.name,
                    "bytes": len(bare),
                    "bytes_weights": len(full),
                    "ratio": ratio,
                    **timings,
                }
            )
            cells = [f"{timings[key].median_s * 1e3:8.1f}ms" for key in timings]
            print(f"{preset.name:6} {' '.join(cells)} {ratio:9.1f}x", flush=True)
    save("interchange", {"rows": rows, "torch": torch.__version__})
