"""Every exercise: accepts its reference solution, rejects ≥ 2 distinct wrong ones, detects stubs;
and the specific wrong answers a learner actually wrote are rejected, by name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from spanbert_lab.course.exercises import CheckFailed, NotAttempted, all_exercises
from spanbert_lab.course.exercises.core import Exercise, Feedback

EXERCISES = all_exercises()


def test_there_are_exercises_for_the_attention_lesson():
    assert sum(key.startswith("01.") for key in EXERCISES) >= 3


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_reference_solution_is_accepted(key):
    exercise = EXERCISES[key]
    feedback = exercise.check(exercise.run_code(exercise.solution_code))
    assert isinstance(feedback, Feedback) and "Correct" in feedback.title


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_wrong_solutions_are_rejected_with_a_named_quantity(key):
    exercise = EXERCISES[key]
    assert len(set(exercise.wrong_solutions)) >= 2, (
        f"exercise {key} needs ≥ 2 distinct wrong solutions"
    )
    for code in exercise.wrong_solutions:
        with pytest.raises(CheckFailed) as info:
            exercise.check(exercise.run_code(code))
        assert not isinstance(info.value, NotAttempted)
        assert key in str(info.value) and len(str(info.value)) > len(key) + 10


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_stubs_are_not_attempted(key):
    exercise = EXERCISES[key]
    for stub in (..., None, lambda *a, **k: None, lambda *a, **k: ...):
        with pytest.raises(NotAttempted, match="not attempted"):
            exercise.check(stub)

    def raises(*args, **kwargs):
        raise NotImplementedError

    with pytest.raises(NotAttempted):
        exercise.check(raises)


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_hints_and_solution_render(key):
    exercise = EXERCISES[key]
    assert exercise.hints, f"exercise {key} has no hint"
    assert exercise.hint(1).body == exercise.hints[0]
    assert "```python" in exercise.solution()._repr_markdown_()
    assert exercise.answer_name in exercise.solution().body
    with pytest.raises(ValueError, match="hints"):
        exercise.hint(len(exercise.hints) + 1)


def _rejects(key: str, code: str) -> str:
    """The checker's message for ``code`` (which must be rejected as wrong, not as a stub)."""
    with pytest.raises(CheckFailed) as info:
        EXERCISES[key].check(EXERCISES[key].run_code(code))
    assert not isinstance(info.value, NotAttempted)
    return str(info.value)


def test_failure_message_does_not_reveal_the_answer():
    message = _rejects("04.2", EXERCISES["04.2"].wrong_solutions[0])
    assert "window" in message
    with pytest.raises(CheckFailed) as info:
        EXERCISES["01.1"].check(lambda q, k: q @ k.transpose(-2, -1))
    assert "largest error" in str(info.value) and "tensor(" not in str(info.value)


# --- the specific wrong answers of issue 13 ---------------------------------------------------


def test_merge_spans_rejects_forgetting_max_on_nested_spans():
    forgets_max = (
        "def merge_spans(spans):\n"
        "    merged = []\n"
        "    for s, e in sorted(spans):\n"
        "        if merged and s <= merged[-1][1]:\n"
        "            merged[-1] = (merged[-1][0], e)\n"
        "        else:\n"
        "            merged.append((s, e))\n"
        "    return merged"
    )
    assert EXERCISES["02.2"].run_code(forgets_max)([(3, 9), (5, 6)]) == [(3, 6)]
    assert "[(3, 9), (5, 6)]" in _rejects("02.2", forgets_max)


@pytest.mark.parametrize(
    ("key", "code"),
    [
        (
            "01.1",
            "def scaled_scores(q, k):\n    return torch.bmm(q, k.transpose(1, 2)) / math.sqrt(q.shape[-1])",
        ),
        (
            "01.3",
            "def attention(q, k, v, mask):\n"
            "    s = torch.bmm(q, k.transpose(1, 2)) / math.sqrt(q.shape[-1])\n"
            "    w = s.masked_fill(~mask, -1e30).softmax(-1) * mask.any(-1, keepdim=True)\n"
            "    return torch.bmm(w, v)",
        ),
    ],
)
def test_attention_checkers_reject_3d_only_bmm_solutions(key, code):
    fn = EXERCISES[key].run_code(code)
    g = torch.Generator().manual_seed(0)
    q = torch.randn(2, 4, 8, generator=g, dtype=torch.float64)
    mask = torch.ones(2, 4, 4, dtype=torch.bool)
    fn(q, q) if key == "01.1" else fn(q, q, q, mask)  # fine on (B, T, d): the old checker passed it
    assert "(2, 3, 4, 8)" in _rejects(key, code)


def test_replace_per_span_rejects_one_random_token_per_span():
    code = next(c for c in EXERCISES["02.3"].wrong_solutions if "random_ids[s]\n" in c)
    assert "random" in _rejects("02.3", code)


SAMPLER_WRONG = {
    "per-token fates": "mixes fates",
    "clip instead of truncate": "differ from mask_batch",
    "sub-word anchors (no snap to the word start)": "middle of a word",
    "no rejection of masked anchors": "differ from mask_batch",
    "budget overshoot (finishes the span)": "budget is exact",
    "touching spans not merged": "overlap or touch",
}


@pytest.mark.parametrize("name", sorted(SAMPLER_WRONG))
def test_span_sampler_checker_rejects_each_wrong_sampler(name):
    from spanbert_lab.course.exercises import nb02_masking as nb02

    code = nb02._mutate(nb02._SAMPLER_SOLUTION, *nb02._SAMPLER_MUTATIONS[name])
    assert code != nb02._SAMPLER_SOLUTION
    assert SAMPLER_WRONG[name] in _rejects("02.4", code)


def test_span_sampler_reference_equals_mask_batch_on_course_blocks():
    """The exercise's reference draws exactly what mask_batch(scheme="span") draws, fates included."""
    from spanbert_lab.course.exercises import nb02_masking as nb02
    from spanbert_lab.data import load_tokenizer
    from spanbert_lab.masking import MaskingConfig, mask_batch, mask_budget, vocab_info

    tokenizer = load_tokenizer()
    info = vocab_info(tokenizer)
    sampler = nb02._reference_sampler()
    text = (
        "In June 1846, Hovesund hosted the Treaty of Hovesund. The treaty ended a long war "
        "between the northern kingdoms, and its signatories met again at Wexilmouth in 1851."
    )
    ids = tokenizer(text, return_tensors="pt")["input_ids"]
    n = ids.shape[1] - 2
    starts = [t for t in range(n) if not bool(info.is_continuation[ids[0, t + 1]])]
    checked_random = 0
    for seed in range(40):
        spans, fate = sampler(n, starts, mask_budget(n), torch.Generator().manual_seed(seed))
        lib = mask_batch(
            ids,
            tokenizer=tokenizer,
            config=MaskingConfig(random_token_source="uniform"),
            generator=torch.Generator().manual_seed(seed),
        )
        assert spans == [(s - 1, e - 1) for s, e in lib.spans[0]], f"seed {seed}"
        got_ids, labels = lib.input_ids[0, 1:-1], lib.labels[0, 1:-1]
        assert torch.equal(fate == 0, labels == -100), f"seed {seed}: selected tokens"
        assert torch.equal(fate == 1, got_ids == tokenizer.mask_token_id), f"seed {seed}: [MASK]"
        changed = (got_ids != ids[0, 1:-1]) & (fate != 1)
        assert bool((fate[changed] == 2).all()), f"seed {seed}: a changed token is not 'random'"
        checked_random += int((fate == 2).sum())
    assert checked_random > 0  # the random branch was exercised


def test_sbo_head_checker_rejects_an_untied_output_layer():
    code = next(c for c in EXERCISES["03.2"].wrong_solutions if "self.out(" in c)
    assert "tied" in _rejects("03.2", code)


def test_bert_layer_checker_rejects_pre_layernorm():
    from spanbert_lab.course.exercises import nb01b_bert_encoder as nb01b

    code = nb01b._mutate(*nb01b._LAYER_MUTATIONS[0])
    assert "LayerNorm" in _rejects("01b.2", code)


# --- numbering: exercises appear in order, each in exactly one notebook ------------------------

SOURCES = Path(__file__).resolve().parent.parent / "notebooks" / "source"


def _sort_key(key: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.findall(r"\d+|[a-z]+", key))


def _exercise_names(prefix: str) -> dict[str, str]:
    """Attribute name -> key for the exercises of notebook ``prefix`` (its ``nb<prefix>_*`` module)."""
    import importlib

    import spanbert_lab.course.exercises as package

    modules = list(Path(package.__file__).parent.glob(f"nb{prefix}_*.py"))
    assert len(modules) <= 1, f"notebook {prefix}: exercise modules {modules}"
    if not modules:
        return {}
    module = importlib.import_module(f"spanbert_lab.course.exercises.{modules[0].stem}")
    return {name: v.key for name, v in vars(module).items() if isinstance(v, Exercise)}


def _checked_keys(path: Path) -> list[str]:
    """Exercise keys in the order the notebook source checks them (``ex.<name>.check(``)."""
    names = _exercise_names(path.stem.split("_")[0])
    calls = re.findall(r"\bex\w*\.(\w+)\.check\(", path.read_text())
    return [names[name] for name in calls if name in names]


NOTEBOOK_SOURCES = sorted(SOURCES.glob("*.py"))


@pytest.mark.parametrize(
    "path",
    NOTEBOOK_SOURCES,
    ids=[p.stem for p in NOTEBOOK_SOURCES],
)
def test_exercises_appear_in_order(path):
    keys = _checked_keys(path)
    prefix = path.stem.split("_")[0]
    assert all(k.startswith(prefix + ".") for k in keys), f"{path.name}: {keys}"
    assert keys == sorted(keys, key=_sort_key), f"{path.name}: exercises out of order: {keys}"


def test_every_exercise_is_checked_in_a_notebook():
    seen = {key for path in NOTEBOOK_SOURCES for key in _checked_keys(path)}
    assert seen == set(EXERCISES), f"never checked in a notebook: {set(EXERCISES) - seen}"
