"""Every exercise: accepts its reference solution (the notebook's solution block), rejects ≥ 2
distinct wrong ones, detects stubs; and the specific wrong answers a learner actually wrote are
rejected, by name. Each wrong answer named below was accepted by the checker before it was fixed."""

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
def test_fresh_seeds_accept_the_solution_and_reject_the_wrong_ones(key):
    """The grader checks with seeds the notebook never used: the verdicts do not change."""
    exercise = EXERCISES[key]
    exercise.check(exercise.run_code(exercise.solution_code), seed=123457)
    for code in exercise.wrong_answers():
        with pytest.raises(CheckFailed):
            exercise.check(exercise.run_code(code), seed=123457)


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_wrong_solutions_are_rejected_with_a_named_quantity(key):
    exercise = EXERCISES[key]
    assert len(set(exercise.wrong_answers())) >= 2, (
        f"exercise {key} needs ≥ 2 distinct wrong solutions"
    )
    for code in exercise.wrong_answers():
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
    message = _rejects("04.2", EXERCISES["04.2"].wrong_answers()[0])
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
    code = next(c for c in EXERCISES["02.3"].wrong_answers() if "random_ids[s]\n" in c)
    assert "random" in _rejects("02.3", code)


SAMPLER_WRONG = {
    "per-token fates": "mixes fates",
    "clip instead of truncate": "differ from mask_batch",
    "sub-word anchors (no snap to the word start)": "middle of a word",
    "no rejection of masked anchors": "differ from mask_batch",
    "budget overshoot (finishes the span)": "budget is exact",
    "spans not merged": "overlap or touch",
}


def _mutated(key: str, old: str, new: str) -> str:
    code = EXERCISES[key].solution_code
    assert code.count(old) == 1, f"{key}: {old!r} is not in the notebook's solution once"
    return code.replace(old, new)


@pytest.mark.parametrize("name", sorted(SAMPLER_WRONG))
def test_span_sampler_checker_rejects_each_wrong_sampler(name):
    from spanbert_lab.course.exercises.span_sampler import SAMPLER_MUTATIONS

    code = _mutated("02.5", *SAMPLER_MUTATIONS[name])
    assert SAMPLER_WRONG[name] in _rejects("02.5", code)


def test_span_sampler_checker_rejects_fates_from_the_global_rng():
    code = _mutated(
        "02.5",
        "u = torch.rand(len(spans), generator=generator, dtype=torch.float64)",
        "u = torch.rand(len(spans), dtype=torch.float64)",
    )
    torch.manual_seed(0)
    assert "fates differ" in _rejects("02.5", code)


def test_span_sampler_reference_equals_mask_batch_on_course_blocks():
    """The exercise's reference draws exactly what mask_batch(scheme="span") draws, fates included."""
    from spanbert_lab.data import load_tokenizer
    from spanbert_lab.masking import MaskingConfig, mask_batch, mask_budget, vocab_info

    tokenizer = load_tokenizer()
    info = vocab_info(tokenizer)
    sampler = EXERCISES["02.5"].run_code(EXERCISES["02.5"].solution_code)
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
    code = next(c for c in EXERCISES["03.2"].wrong_answers() if "detach().clone()" in c)
    assert "tied" in _rejects("03.2", code)


def test_bert_layer_checker_rejects_pre_layernorm():
    from spanbert_lab.course.exercises import nb01b_bert_encoder as nb01b

    code = _mutated("01b.2", *nb01b._LAYER_MUTATIONS[0])
    assert "LayerNorm" in _rejects("01b.2", code)


# --- wrong answers that the checkers accepted before issue 24 (each was tried on the old one) ---

SOFTMAX_WITHOUT_MAX = (
    "def masked_softmax(scores, mask):\n"
    "    e = scores.exp() * mask\n"
    "    total = e.sum(-1, keepdim=True)\n"
    "    return torch.where(total > 0, e / total, torch.zeros_like(e))"
)
SOFTMAX_BY_BOOLEAN_INDEXING = (
    "def masked_softmax(scores, mask):\n"
    "    scores = scores.clone()\n"
    "    scores[~mask] = float('-inf')\n"
    "    return scores.softmax(-1).nan_to_num(0.0)"
)
EMBEDDINGS_BY_THE_MODULE = (
    "def bert_embeddings(input_ids, token_type_ids, emb):\n"
    "    return emb(input_ids=input_ids, token_type_ids=token_type_ids)"
)
# the additive (B, 1, 1, T) mask of transformers' BertLayer, which the checker used to pass
LAYER_BY_THE_MODULE = (
    "def bert_layer(x, keep, layer):\n"
    "    additive = (1.0 - keep[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min\n"
    "    out = layer(x, attention_mask=additive)\n"
    "    return out[0] if isinstance(out, tuple) else out"
)
LAYER_BY_THE_ATTENTION_MODULE = (
    "def bert_layer(x, keep, layer):\n"
    "    additive = (1.0 - keep[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min\n"
    "    a = layer.attention(x, attention_mask=additive)[0]\n"
    "    ffn = layer.output.dense(F.gelu(layer.intermediate.dense(a)))\n"
    "    return layer.output.LayerNorm(a + ffn)"
)
MAX_CONTEXT_WITHOUT_LENGTH_BONUS = (
    "def max_context_windows(windows, n_tokens):\n"
    "    score, best = [-1.0] * n_tokens, [-1] * n_tokens\n"
    "    for w, (start, length) in enumerate(windows):\n"
    "        for j in range(start, start + length):\n"
    "            s = min(j - start, start + length - 1 - j)\n"
    "            if s > score[j]:\n"
    "                score[j], best[j] = s, w\n"
    "    return best"
)
LABELS_WITH_INCLUSIVE_END = (
    "def answer_labels(offsets, start_char, end_char):\n"
    "    passage = [i for i, o in enumerate(offsets) if o is not None]\n"
    "    if offsets[passage[0]][0] > start_char or offsets[passage[-1]][1] < end_char:\n"
    "        return (0, 0)\n"
    "    start = next(i for i in passage if offsets[i][1] > start_char)\n"
    "    end = next(i for i in reversed(passage) if offsets[i][0] <= end_char)\n"
    "    return (start, end)"
)
F1_ARTICLES_BEFORE_PUNCTUATION = (
    "def token_f1(gold, pred):\n"
    "    def norm(s):\n"
    "        s = re.sub(r'\\b(a|an|the)\\b', ' ', s.lower())\n"
    "        return ''.join(c for c in s if c not in string.punctuation).split()\n"
    "    g, p = norm(gold), norm(pred)\n"
    "    overlap = sum((collections.Counter(g) & collections.Counter(p)).values())\n"
    "    if overlap == 0:\n"
    "        return 0.0\n"
    "    precision, recall = overlap / len(p), overlap / len(g)\n"
    "    return 2 * precision * recall / (precision + recall)"
)
MACRO_F1_OVER_PREDICTED_RELATIONS_TOO = (
    "def macro_f1(gold, pred):\n"
    "    f1s = []\n"
    "    for rel in sorted((set(gold) | set(pred)) - {'no_relation'}):\n"
    "        tp = sum(g == p == rel for g, p in zip(gold, pred))\n"
    "        n_pred, n_gold = sum(p == rel for p in pred), sum(g == rel for g in gold)\n"
    "        prec = tp / n_pred if n_pred else 0.0\n"
    "        rec = tp / n_gold if n_gold else 0.0\n"
    "        f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)\n"
    "    return sum(f1s) / len(f1s) if f1s else 0.0"
)
LAYER_WITH_A_FIXED_SCALE = ("/ D**0.5", "/ 2.0")  # right for heads of size 4 only

# (key, code, a word of the message): each of these passed the checker before issue 24
ONCE_ACCEPTED = {
    "softmax without max-subtraction (NaN at a float32 score of 100)": (
        "01.2",
        SOFTMAX_WITHOUT_MAX,
        "float32 scores near 100",
    ),
    "softmax by boolean indexing (crashes on a (B, 1, 1, T) mask)": (
        "01.2",
        SOFTMAX_BY_BOOLEAN_INDEXING,
        "broadcast",
    ),
    "embeddings by calling the module": ("01b.1", EMBEDDINGS_BY_THE_MODULE, "rebuild"),
    "layer by calling the module": ("01b.2", LAYER_BY_THE_MODULE, "rebuild"),
    "layer by calling its attention sub-module": (
        "01b.2",
        LAYER_BY_THE_ATTENTION_MODULE,
        "layer.attention",
    ),
    "max-context without the 0.01 x length bonus": (
        "04.2",
        MAX_CONTEXT_WITHOUT_LENGTH_BONUS,
        "window",
    ),
    "answer labels with an inclusive end": ("05.1", LABELS_WITH_INCLUSIVE_END, "[4, 13)"),
    "SQuAD F1 removing articles before punctuation": (
        "05.3",
        F1_ARTICLES_BEFORE_PUNCTUATION,
        "A.I.",
    ),
    "macro-F1 over predicted-only relations too": (
        "06.2",
        MACRO_F1_OVER_PREDICTED_RELATIONS_TOO,
        "employer",
    ),
}


@pytest.mark.parametrize("name", sorted(ONCE_ACCEPTED))
def test_checker_rejects_a_once_accepted_wrong_answer(name):
    key, code, word = ONCE_ACCEPTED[name]
    assert word in _rejects(key, code)


def test_bert_layer_checker_rejects_a_hard_coded_scale():
    message = _rejects("01b.2", _mutated("01b.2", *LAYER_WITH_A_FIXED_SCALE))
    assert "heads of size 5" in message


def test_bert_checkers_compare_with_the_course_trunk():
    from spanbert_lab.course.exercises import nb01b_bert_encoder as nb01b

    assert nb01b.BertLayer.__module__ == "spanbert_lab.model.trunk"
    assert nb01b.BertEmbeddings.__module__ == "spanbert_lab.model.trunk"


def test_sample_lengths_rejects_the_global_rng_and_an_off_by_one():
    wrong = EXERCISES["02.4"].wrong_answers()
    global_rng = next(c for c in wrong if "torch.rand(n, dtype" in c)
    assert "generator" in _rejects("02.4", global_rng)
    off_by_one = next(c for c in wrong if "clamp(min=1" in c)
    assert "differ" in _rejects("02.4", off_by_one)


def test_length_means_are_the_papers_numbers():
    means = EXERCISES["02.1"].run_code(EXERCISES["02.1"].solution_code)(0.2, 10)
    assert round(means[0], 3) == 3.797 and round(means[1], 3) == 4.463, means


def test_replace_per_span_rejects_the_hard_coded_80_10_10():
    code = next(c for c in EXERCISES["02.3"].wrong_answers() if "d < 0.8" in c)
    assert "mask_prob = 0.5" in _rejects("02.3", code)


# --- one source for each solution: the notebook's solution block --------------------------------


def _notebook_block(path: Path, answer_name: str) -> str:
    """The solution of ``answer_name`` read straight from a notebook source: the code cell that
    checks it, from its first solution statement's line to its last, marker lines dropped."""
    import ast
    import textwrap

    text = path.read_text(encoding="utf-8")
    cells = re.split(r"^# %%.*$", text, flags=re.MULTILINE)
    cell = next(c for c in cells if re.search(rf"\.check\(\s*{answer_name}\s*\)", c))
    lines = cell.splitlines()
    marked = [i + 1 for i, line in enumerate(lines) if "### BEGIN SOLUTION" in line]
    spans = [
        (n.lineno, n.end_lineno)
        for n in ast.parse(cell).body
        if any(n.lineno <= m <= n.end_lineno for m in marked)
    ]
    body = lines[spans[0][0] - 1 : spans[-1][1]]
    kept = [
        line for line in body if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line
    ]
    return textwrap.dedent("\n".join(kept)).strip()


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_solution_is_the_notebooks_solution_block(key):
    exercise = EXERCISES[key]
    (path,) = SOURCES.glob(f"{key.split('.')[0]}_*.py")
    block = _notebook_block(path, exercise.answer_name)
    assert exercise.solution().body == f"```python\n{block}\n```"
    assert f"def {exercise.answer_name}" in block or f"class {exercise.answer_name}" in block


def test_no_exercises_module_keeps_a_second_copy_of_a_solution():
    """No solution appears, line for line, as code in the exercises package (wrong variants
    share lines with it, but none is the whole solution)."""
    import spanbert_lab.course.exercises as package

    files = sorted(Path(package.__file__).parent.glob("*.py"))
    library = [line.strip() for p in files for line in p.read_text().splitlines()]
    for key, exercise in EXERCISES.items():
        lines = [line.strip() for line in exercise.solution_code.splitlines() if line.strip()]
        assert not any(
            library[j : j + len(lines)] == lines for j in range(len(library) - len(lines) + 1)
        ), f"{key}: the exercises package repeats the notebook's solution"


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


def test_a_missing_return_on_one_path_is_a_wrong_answer_not_a_stub():
    """None after real answers to other inputs (06.3's empty ``relevant``) is named as a missing
    ``return``, not reported as "not attempted"."""
    from spanbert_lab.course.exercises import nb06_applications as ex06

    def rr(scores, relevant):
        order = torch.argsort(scores, descending=True).tolist()
        for rank, p in enumerate(order, start=1):
            if p in relevant:
                return 1.0 / rank

    with pytest.raises(CheckFailed, match="is a `return` missing on one path"):
        ex06.reciprocal_rank.check(rr)
