"""Study commands: `isocost study create|show|wait`, clients of the REST API (docs/api.md,
"Studies"). httpx and tqdm are imported only when a command runs."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from app.cli.common import UsageError, table


def _numbers(text: str, kind: type, flag: str) -> list[Any]:
    try:
        return [kind(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise UsageError(f"{flag} {text!r}: expected comma-separated numbers") from None


def _body(args: argparse.Namespace) -> dict[str, Any]:
    from app.arch.source import load_spec

    models: Any
    if args.figure:
        figure: int | str = args.figure if args.figure == "all" else int(args.figure)
        models = {"figure": figure, "scale": args.scale}
    elif args.replacements_of:
        models = {"replacements_of": {"spec": load_spec(args.replacements_of).model_dump(mode="json")}}
    else:
        try:
            with open(args.models) as file:
                models = json.load(file)
        except (OSError, ValueError) as error:
            raise UsageError(f"--models {args.models}: {error}") from None
    protocol: dict[str, Any] = json.loads(args.protocol) if args.protocol else {}
    if args.epochs:
        protocol["epochs"] = args.epochs
    if args.lr:
        protocol["lr"] = args.lr
    body: dict[str, Any] = {
        "name": args.name,
        "models": models,
        "seeds": _numbers(args.seeds, int, "--seeds"),
    }
    if protocol:
        body["protocol"] = protocol
    if args.lr_sweep:
        body["lr_sweep"] = _numbers(args.lr_sweep, float, "--lr-sweep")
    return body


def cmd_create(args: argparse.Namespace) -> int:
    from app.cli.submit import _call, _client

    with _client(args) as client:
        study = _call(client, "POST", "/api/v1/studies", json=_body(args)).json()
        print(f"study {study['id']}: {len(study['models'])} models, {study['progress']['total']} jobs queued")
        if args.wait:
            study = _wait(client, study["id"])
        _print(study, args.json)
    return 0 if study["status"] != "failed" else 1


def cmd_show(args: argparse.Namespace) -> int:
    from app.cli.submit import _call, _client

    with _client(args) as client:
        _print(_call(client, "GET", f"/api/v1/studies/{args.id}").json(), args.json)
    return 0


def cmd_wait(args: argparse.Namespace) -> int:
    from app.cli.submit import _client

    with _client(args) as client:
        study = _wait(client, args.id)
    _print(study, args.json)
    return 0 if study["status"] != "failed" else 1


def _wait(client: Any, study_id: int) -> dict[str, Any]:
    """Follow the study with a progress bar (jobs finished out of all) until none is active."""
    from tqdm import tqdm

    from app.cli.submit import _call

    study: dict[str, Any] = _call(client, "GET", f"/api/v1/studies/{study_id}").json()
    with tqdm(total=study["progress"]["total"], desc=f"study {study_id}", unit="job") as bar:
        while True:
            p = study["progress"]
            bar.n = p["succeeded"] + p["failed"] + p["cancelled"]
            bar.set_postfix_str(f"{p['running']} running, {p['queued']} queued, {p['failed']} failed")
            bar.refresh()
            if study["status"] not in ("queued", "running"):
                return study
            time.sleep(1.0)
            study = _call(client, "GET", f"/api/v1/studies/{study_id}").json()


def _number(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _print(study: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(study, indent=2))
        return
    p = study["progress"]
    print(
        f"study {study['id']} {study['name']!r}: {study['status']}, {p['succeeded']}/{p['total']} jobs succeeded"
    )
    print(f"protocol: {study['protocol_text']}; seeds {study['seeds']}\n")
    rows = [["model", "depth", "conv MACs", "lr", "runs", "top-1 error %", "95% CI", "learned"]]
    for m in study["models"]:
        ci = m["top1_error_ci95"]
        rows.append([
            m["name"], str(m["depth"]), f"{m['conv_macs']:,}", _number(m["lr"], 3) if m["lr"] else "-",
            f"{m['n']}/{len(m['runs'])}",
            f"{_number(m['top1_error_mean'])} +- {_number(m['top1_error_std'])}",
            f"[{_number(ci[0])}, {_number(ci[1])}]" if ci else "-",
            {True: "yes", False: "no", None: "-"}[m["learned"]],
        ])  # fmt: skip
    print(table(rows, right={1, 2, 3, 4}))
    if study["comparisons"]:
        rows = [["edge", "figure", "tradeoff", "difference", "95% CI", "p", "verdict", "paper", "supports"]]
        for c in study["comparisons"]:
            ci, claim = c["ci95"], c["claim"]
            rows.append([
                f"{c['source']} -> {c['target']}", str(c["figure"] or "-"), c["tradeoff"],
                _number(c["difference"]), f"[{_number(ci[0])}, {_number(ci[1])}]" if ci else "-",
                _number(c["p_value"], 3), c["verdict"] or "-", claim["expects"] or claim["basis"],
                {True: "yes", False: "no", None: "-"}[claim["supported"]],
            ])  # fmt: skip
        print("\n" + table(rows, right={1, 3, 5}))


def _connection(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print the study as the API's JSON")
    p.add_argument("--url", help="server URL (default ISOCOST_URL or http://127.0.0.1:8000)")
    p.add_argument("--token", help="team token (default ISOCOST_TOKEN, else the local team's)")


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    study = commands.add_parser("study", help="the paper's controlled experiments: create, show, wait")
    actions = study.add_subparsers(dest="action", required=True, metavar="ACTION")

    create = actions.add_parser("create", help="create a study and queue its jobs")
    models = create.add_mutually_exclusive_group(required=True)
    models.add_argument("--figure", choices=["1", "2", "3", "all"], help="the paper's models of a figure")
    models.add_argument(
        "--replacements-of", metavar="SPEC", help="a design and its replacements at equal cost"
    )
    models.add_argument(
        "--models", metavar="FILE", help="a JSON list of {name, preset|notation|spec|architecture_id}"
    )
    create.add_argument(
        "--scale", choices=["s36", "paper"], default="s36", help="with --figure (default s36)"
    )
    create.add_argument("--name", default="study", help="the study's name")
    create.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (default 0,1,2)")
    create.add_argument("--epochs", type=int, help="epochs (default: the default protocol's)")
    create.add_argument("--lr", type=float, help="learning rate (default: the default protocol's)")
    create.add_argument("--lr-sweep", metavar="RATES", help="comma-separated rates; each model at its best")
    create.add_argument("--protocol", metavar="JSON", help="more training parameters, as JSON")
    create.add_argument("--wait", action="store_true", help="follow it with a progress bar until it finishes")
    _connection(create)
    create.set_defaults(handler=cmd_create)

    show = actions.add_parser("show", help="a study's results and comparisons")
    show.add_argument("id", type=int)
    _connection(show)
    show.set_defaults(handler=cmd_show)

    wait = actions.add_parser("wait", help="follow a study with a progress bar until it finishes")
    wait.add_argument("id", type=int)
    _connection(wait)
    wait.set_defaults(handler=cmd_wait)
