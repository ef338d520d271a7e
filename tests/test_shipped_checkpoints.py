"""The checkpoints shipped in ``data/checkpoints/``: cards complete, sizes small, numbers true.

Each shipped folder holds the final model, the tokenizer and a model card (``README.md`` +
``metrics.json``) written by ``python -m spanbert_lab.pretrain``. The dev numbers of the card are
re-measured here from the shipped weights: same dev blocks, same masks (seeded with the recorded
mask seed), same evaluation code.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spanbert_lab.runtime import data_dir

ROOT = data_dir() / "checkpoints"
FOLDERS = (
    sorted(p for p in ROOT.glob("*") if (p / "metrics.json").is_file()) if ROOT.is_dir() else []
)
IDS = [p.name for p in FOLDERS]


def metrics(folder: Path) -> dict:
    return json.loads((folder / "metrics.json").read_text())


def test_the_study_encoders_are_shipped_with_the_same_budget():
    by_objective = {metrics(p)["objective"]: metrics(p) for p in FOLDERS}
    assert {"subword", "span", "span_sbo"} <= set(by_objective), f"shipped: {sorted(by_objective)}"
    bert = by_objective["subword"]
    for other in (by_objective["span"], by_objective["span_sbo"]):
        for key in ("preset", "steps", "block_size", "seed", "max_train_blocks", "tokens_seen"):
            assert bert[key] == other[key], f"{key}: BERT {bert[key]} vs {other[key]}"
        for key in ("batch_size", "lr", "warmup_steps", "max_steps", "weight_decay"):
            assert bert["train_config"][key] == other["train_config"][key], key
        assert bert["data_fingerprint"] == other["data_fingerprint"]
    assert bert["tokens_seen"] >= 20_000_000, "the study gives every encoder 20M real tokens"
    assert (ROOT / "random-tiny" / "model.safetensors").is_file(), "the untrained control"


@pytest.mark.parametrize("folder", FOLDERS, ids=IDS)
def test_card_and_contents(folder: Path):
    m = metrics(folder)
    card = (folder / "README.md").read_text()
    for needle in (m["command"], f"| seed | {m['seed']} |", f"{m['wall_time_s']} s", m["machine"],
                   "| train |", "| dev |"):  # fmt: skip
        assert needle in card, f"{folder.name}/README.md lacks {needle!r}"
    names = {p.name for p in folder.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= names, names
    assert "trainer_state.pt" not in names, "ship the model only, not the optimiser state"
    size = (folder / "model.safetensors").stat().st_size
    assert size < 8 * 2**20, f"{folder.name}: {size / 2**20:.1f} MiB is not 'a few MB'"


@pytest.mark.slow
@pytest.mark.parametrize("folder", FOLDERS, ids=IDS)
def test_dev_metrics_are_reproduced_from_the_shipped_weights(folder: Path):
    import torch

    from spanbert_lab.data import load_tokenizer
    from spanbert_lab.model.pretraining import SpanBertForPreTraining
    from spanbert_lab.pretrain.evaluation import evaluate_pretraining
    from spanbert_lab.pretrain.export import data_fingerprint
    from spanbert_lab.pretrain.recipes import EVAL_MASK_SEED, OBJECTIVES, prepare_data

    m = metrics(folder)
    assert m["data_fingerprint"] == data_fingerprint(), (
        f"data/ changed since {folder.name} was trained; retrain it with the command in its "
        "README.md (see data/checkpoints/README.md)"
    )
    assert m["eval_mask_seed"] == EVAL_MASK_SEED
    tokenizer = load_tokenizer(folder)
    _, dev, _, dev_collator = prepare_data(
        OBJECTIVES[m["objective"]], tokenizer, block_size=m["block_size"], seed=m["seed"],
        max_train_blocks=m["max_train_blocks"], max_eval_blocks=m["max_eval_blocks"],
    )  # fmt: skip
    assert len(dev) == m["eval_blocks"]
    model = SpanBertForPreTraining.from_pretrained(folder)
    with torch.random.fork_rng():
        got = evaluate_pretraining(
            model, dev, dev_collator, batch_size=m["train_config"]["eval_batch_size"]
        )
    for key, want in m["dev"].items():
        if want is None or isinstance(want, int):
            assert got[key] == want, f"{folder.name} dev {key}: {got[key]} vs card {want}"
        else:
            assert got[key] == pytest.approx(want, abs=1e-4), (
                f"{folder.name} dev {key}: measured {got[key]:.6f}, card says {want:.6f}"
            )


SHIPPED = sorted(p for p in ROOT.iterdir() if p.is_dir()) if ROOT.is_dir() else []


@pytest.mark.parametrize("folder", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_shipped_checkpoint_has_a_card_naming_its_source(folder: Path):
    card_path = folder / "README.md"
    assert card_path.is_file(), f"{folder.name}/ ships without a model card (README.md)"
    card = card_path.read_text()
    if (folder / "metrics.json").is_file():  # a pretrained encoder: its exact command
        assert metrics(folder)["command"] in card, f"{folder.name}/README.md lacks its command"
        return
    if not (folder / "study.json").is_file():  # the untrained control: how it was initialised
        assert "randomly initialised" in card and "never trained" in card, card[:300]
        return
    study = json.loads((folder / "study.json").read_text())
    for needle in (f"fine-tuned from `{study['encoder']}`", f"../{study['encoder']}/README.md",
                   study["run"], f"{study['test_metrics']['f1']:.2f}"):  # fmt: skip
        assert needle in card, f"{folder.name}/README.md lacks {needle!r}"


@pytest.mark.parametrize(
    "folder", [p for p in SHIPPED if (p / "study.json").is_file()], ids=lambda p: p.name
)
def test_fine_tuned_cards_are_those_the_stored_results_give(folder: Path, monkeypatch):
    from spanbert_lab.tools.study.cards import model_card
    from spanbert_lab.tools.study.protocol import load_protocol

    monkeypatch.chdir(Path(__file__).resolve().parents[1])  # the protocol's paths are relative
    protocol = load_protocol("study/protocol.toml")
    expected = model_card(protocol, folder)
    assert (folder / "README.md").read_text() == expected, (
        f"{folder.name}/README.md differs from its stored results: run scripts/write_model_cards.py"
    )
