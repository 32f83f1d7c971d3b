"""Where a spec comes from: a preset name, a notation string, or a .json/.yaml file."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from pydantic import ValidationError

from app.arch.errors import SpecError
from app.arch.notation import parse
from app.arch.presets import presets
from app.arch.spec import InputShape, Spec


def load_spec(source: str, side: int | None = None, channels: int | None = None) -> Spec:
    """Resolve `source` and override its input side and channels if given.

    A file holds either a spec ({"input": ..., "layers": [...]}) or {"notation": "...",
    "input": ..., "name": ...}.
    """
    if source in presets():
        spec = presets()[source].spec
    elif source.endswith((".json", ".yaml", ".yml")):
        spec = _from_file(Path(source))
    else:
        spec = parse(source)
    if side is not None or channels is not None:
        updates = {"height": side, "width": side} if side is not None else {}
        if channels is not None:
            updates["channels"] = channels
        try:
            new_input = InputShape(**(spec.input.model_dump() | updates))
        except ValidationError as error:
            raise SpecError(f"input: {error.errors()[0]['msg']}", ("input",)) from None
        spec = spec.model_copy(update={"input": new_input})
    return spec


def _from_file(path: Path) -> Spec:
    try:
        text = path.read_text()
    except OSError as error:
        raise SpecError(f"cannot read {path}: {error.strerror}", ("spec",)) from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise SpecError(f"{path} is not valid {path.suffix[1:].upper()}: {error}", ("spec",)) from None
    if not isinstance(data, dict):
        raise SpecError(f"{path} must hold an object with 'layers' or 'notation'", ("spec",))
    try:
        if "notation" in data:
            extra = set(data) - {"notation", "input", "name"}
            if extra:
                raise SpecError(f"{path}: unknown field {sorted(extra)[0]!r}", (sorted(extra)[0],))
            return parse(str(data["notation"]), InputShape(**data.get("input", {})), data.get("name"))
        return Spec.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise SpecError(f"{path}: {where}: {first['msg']}", tuple(first["loc"])) from None
