"""`isocost submit`: save a spec as an architecture and submit jobs for it, over the REST API."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from typing import Any

import httpx

from app.arch.notation import format_spec
from app.arch.source import load_spec
from app.cli.common import UsageError
from app.jobs.params import DEFAULT_EPOCHS
from app.jobs.status import FINISHED, JobStatus
from app.settings import get_settings


def _client(args: argparse.Namespace) -> httpx.Client:
    settings = get_settings()
    url = args.url or os.environ.get("ISOCOST_URL") or f"http://{settings.host}:{settings.port}"
    token = args.token or os.environ.get("ISOCOST_TOKEN")
    if not token and settings.local_token_file.exists():
        token = settings.local_token_file.read_text().strip()
    if not token:
        raise UsageError("no token: pass --token, set ISOCOST_TOKEN, or run `isocost serve` once")
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def _call(client: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """The response, or a UsageError naming the status and the API's `detail`. A 409 is returned:
    the caller decides what a conflict means."""
    try:
        response = client.request(method, path, **kwargs)
    except httpx.HTTPError as error:
        raise UsageError(f"cannot reach {client.base_url}: {error}") from None
    if response.status_code >= 400 and response.status_code != 409:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        raise UsageError(f"{method} {path}: {response.status_code}: {detail}")
    return response


def _dataset(text: str) -> dict[str, str]:
    kind, _, path = text.partition(":")
    return {"kind": kind, "path": path} if path else {"kind": kind}


def _architecture(client: httpx.Client, args: argparse.Namespace) -> int:
    spec = load_spec(args.spec, args.input, args.channels)
    notation = format_spec(spec)
    digest = hashlib.sha256(f"{notation}|{spec.input}".encode()).hexdigest()[:8]
    name = args.name or spec.name or f"cli-{digest}"
    body = {"name": name, "spec": spec.model_dump(mode="json")}
    response = _call(client, "POST", "/api/v1/architectures", json=body)
    if response.status_code == 201:
        return int(response.json()["id"])
    # The name is taken: reuse it if it is this very spec.
    found = _call(client, "GET", "/api/v1/architectures", params={"q": name, "per_page": 100}).json()
    for item in found["items"]:
        if (
            item["name"] == name
            and item["notation"] == notation
            and item["spec"]["input"] == spec.input.model_dump()
        ):
            return int(item["id"])
    raise UsageError(f"your team has another architecture named {name!r}; pass --name")


def _params(args: argparse.Namespace) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if args.batch_size:
        params["batch_size"] = args.batch_size
    if args.benchmark:
        return params
    params["dataset"] = _dataset(args.dataset)
    if args.seconds:
        params["time_budget_s"] = args.seconds
    else:
        params["epochs"] = args.epochs or DEFAULT_EPOCHS
    if args.lr:
        params["lr"] = args.lr
    return params


def submit(args: argparse.Namespace) -> int:
    try:
        seeds = [int(seed) for seed in args.seeds.split(",")]
    except ValueError:
        raise UsageError(f"--seeds {args.seeds!r}: expected comma-separated integers") from None
    with _client(args) as client:
        body: dict[str, Any] = {
            "architecture_id": _architecture(client, args),
            "kind": "benchmark" if args.benchmark else "train",
            "params": _params(args),
        }
        if args.train:
            body["seeds"] = seeds
        if args.queue:
            body["queue"] = args.queue
        jobs = _call(client, "POST", "/api/v1/jobs", json=body).json()["jobs"]
        for job in jobs:
            print(
                f"job {job['id']}: {job['kind']} {job['architecture_name']} ({job['protocol']}), {job['status']}"
            )
        if args.wait:
            jobs = [_follow(client, job["id"]) for job in jobs]
        if args.json:
            print(json.dumps(jobs, indent=2))
    return 0 if all(job["status"] != JobStatus.failed for job in jobs) else 1


def _follow(client: httpx.Client, job_id: int) -> dict[str, Any]:
    from tqdm import tqdm

    with tqdm(
        total=100, desc=f"job {job_id}", unit="%", bar_format="{desc}: {percentage:3.0f}%|{bar}| {postfix}"
    ) as bar:
        while True:
            job: dict[str, Any] = _call(client, "GET", f"/api/v1/jobs/{job_id}").json()
            bar.n = round(100 * job["progress"])
            last = job["metrics"][-1] if job["metrics"] else None
            bar.set_postfix_str(
                job["status"]
                + (f", epoch {last['epoch']} top-1 error {last['top1_error']:.1f}%" if last else "")
            )
            if JobStatus(job["status"]) in FINISHED:
                break
            time.sleep(0.5)
    _report(job)
    return job


def _report(job: dict[str, Any]) -> None:
    """One line: the result of a job that succeeded, else its status and error."""
    result = job.get("result")
    if job["status"] != JobStatus.succeeded or not result:
        print(f"job {job['id']}: {job['status']}: {job['error'] or ''}")
    elif result["kind"] == "train":
        print(
            f"job {job['id']}: top-1 error {result['top1_error']:.2f}%, "
            f"top-5 {result['top5_error']:.2f}% on {result['device']}"
        )
    else:
        print(
            f"job {job['id']}: latency {result['latency_ms']:.3f} ms (batch 1), "
            f"{result['throughput']:.1f} images/s on {result['device']}"
        )
