"""Device profiles on the command line (docs/design.md, "Device profiles"): `calibrate` submits a
calibration job over the REST API (as `submit` does), and `complexity --device-profile` adds the
predicted times, reading the profile from this server's database (ISOCOST_DATABASE_URL), as the
service commands do. Nothing here imports torch or scikit-learn: the model is data (trees as arrays)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from app.cli.common import shape, table

if TYPE_CHECKING:
    from app.arch.analysis import Analysis
    from app.profiles.schemas import PredictedAnalysis


def predicted(analysis: Analysis, ref: str) -> PredictedAnalysis:
    """`analysis` with the times of the profile named `ref` (or of that id, when all digits)."""
    from app.db import session_scope
    from app.profiles.service import resolve, with_prediction
    from app.settings import get_settings

    with session_scope(get_settings().database_url) as session:
        profile = resolve(session, int(ref) if ref.isdigit() else ref, "--device-profile")
        return with_prediction(analysis, profile)


def print_predicted(out: PredictedAnalysis, title: str) -> None:
    """The per-layer table with predicted time beside C, and the totals."""
    assert out.device_profile is not None and out.predicted_ms is not None  # with_prediction sets both
    rows = [["layer", "kind", "in -> out", "MACs", "share of C", "predicted ms", "share of time"]]
    for layer in out.layers:
        conv = layer.kind == "conv"
        rows.append([
            layer.name,
            layer.kind + (f" {layer.kernel}x{layer.kernel}/{layer.stride}" if layer.kernel else ""),
            f"{shape(layer.in_channels, layer.in_hw)} -> {shape(layer.out_channels, layer.out_hw)}",
            f"{layer.macs:,}",
            f"{layer.share:.1%}" if conv else "-",
            f"{layer.predicted_ms:.4f}" if layer.predicted_ms is not None else "-",
            f"{layer.time_share:.1%}" if layer.time_share is not None else "-",
        ])  # fmt: skip
    profile = out.device_profile
    inp = out.input
    print(f"{title}  (input {inp.channels}x{inp.height}x{inp.width})\n")
    print(table(rows, right={3, 4, 5, 6}))
    print()
    print(f"conv MACs (C, Eqn. 1)  {out.conv_macs:,}")
    print(
        f"predicted latency      {out.predicted_ms:.3f} ms at batch {profile.batch_size} "
        f"(layers + {out.overhead_ms or 0:.3f} ms per network; MACs-only baseline {out.baseline_ms or 0:.3f} ms)"
    )
    layout = ", channels_last" if profile.channels_last else ""
    print(f"device profile         #{profile.id} {profile.name}: {profile.device}, {profile.dtype}{layout}")


def cmd_calibrate(args: argparse.Namespace) -> int:
    from app.cli.submit import _call, _client, _follow
    from app.jobs.status import JobStatus

    params: dict[str, Any] = {"grid": args.grid, "dtype": args.dtype}
    if args.name:
        params["name"] = args.name
    if args.channels_last:
        params["channels_last"] = True
    body: dict[str, Any] = {"kind": "calibrate", "params": params}
    if args.queue:
        body["queue"] = args.queue
    with _client(args) as client:
        (job,) = _call(client, "POST", "/api/v1/jobs", json=body).json()["jobs"]
        print(f"job {job['id']}: {job['kind']} ({job['protocol']}), {job['status']}")
        if not args.wait:
            return 0
        job = _follow(client, job["id"])
        found = _call(client, "GET", "/api/v1/device-profiles", params={"job_id": job["id"]}).json()["items"]
    if job["status"] != JobStatus.succeeded or not found:
        return 1
    profile = found[0]
    if args.json:
        print(json.dumps(profile, indent=2))
        return 0
    fit = profile["fit"]
    print(
        f"device profile #{profile['id']} {profile['name']!r}: {profile['device']}, {profile['dtype']}; "
        f"{fit['layers']} layers, {fit['layer_within_10']:.0%} within +-10% (cross-validated), "
        f"{fit['calibration_s']:.0f} s"
    )
    if fit["noisy"]:
        print(f"noisy: the host's speed moved during the calibration (rounds at {_rounds(fit['round_times'])} of "
              "their median time); calibrate again on a quieter host")  # fmt: skip
    return 0


def _rounds(times: list[float]) -> str:
    return ", ".join(f"{ratio:.2f}x" for ratio in times)


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "calibrate",
        help="time a grid of layers on a worker's device and store its device profile",
        description="Submit a calibration job: a worker of the queue times, at batch 1, the layers of "
        "about 150 networks inside their passes and a grid of single layers, in five rounds through "
        "all of them; fits a per-layer latency model and stores it as a device profile (GET "
        "/device-profiles), noisy if the host's speed moved between rounds.",
    )
    p.add_argument("--queue", choices=["cpu", "gpu"], help="queue (default: the server's)")
    p.add_argument(
        "--grid", choices=["standard", "tiny"], default="standard", help="layers to time (default standard)"
    )
    p.add_argument("--name", help="profile name (default: the device's name, dtype and layout)")
    p.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32")
    p.add_argument("--channels-last", action="store_true", help="time in the channels_last layout")
    p.add_argument("--wait", action="store_true", help="follow the job until it finishes; print the profile")
    p.add_argument("--json", action="store_true", help="with --wait: print the profile as JSON")
    p.add_argument("--url", help="server URL (default ISOCOST_URL or http://127.0.0.1:8000)")
    p.add_argument("--token", help="team token (default ISOCOST_TOKEN, else the local team's)")
    p.set_defaults(handler=cmd_calibrate)
