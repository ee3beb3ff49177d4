"""MinHash without Spark: normalisation, shingles, the compiled kernel, LSH parameters."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pyarrow as pa
import pytest
from conftest import C4_SAMPLE, CC_SAMPLE
from datasketch import MinHash
from datasketch.lsh import _optimal_param
from winnow.minhash.lsh import Banding, optimal_banding
from winnow.minhash.shingles import jaccard, normalize_for_shingles, shingles
from winnow.minhash.signatures import Permutations, band_keys, fnv1a64, signatures


def _texts(path, n=None):
    with gzip.open(path, "rt") as f:
        return [json.loads(line)["text"] for line in f][:n]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello, World!  It's 2024...", "hello world it s 0000"),
        ("  — leading and trailing —  ", "leading and trailing"),
        ("snake_case\tand\nnew\u00a0lines", "snake case and new lines"),
        ("ÉCOLE Straße İstanbul", "école straße istanbul"),
        ("हिन्दी भाषा", "हिन्दी भाषा"),  # combining vowel signs stay inside the word
        ("Ｆｕｌｌ１２ ٣٤", "ｆｕｌｌ00 00"),  # digits of any script fold to 0
        ("中文，日本語。", "中文 日本語"),
        ("", ""),
        ("!!! ...", ""),
    ],
)
def test_normalisation(text, expected):
    assert normalize_for_shingles(text) == expected


def test_word_and_char_shingles():
    assert shingles("A b, c. D e f", ngram=5) == ["a b c d e", "b c d e f"]
    assert shingles("one two three four", ngram=5) == []
    assert shingles("中文 字符", ngram=3, unit="char") == ["中文字", "文字符"]
    with pytest.raises(ValueError):
        shingles("x", unit="byte")


@pytest.mark.parametrize(("unit", "ngram"), [("word", 5), ("char", 4)])
def test_kernel_matches_reference_and_datasketch(unit, ngram):
    """Same shingle counts as the Python definition; bit-identical to datasketch's
    affine64 MinHash given our base hash and permutations (multilingual texts)."""
    texts = _texts(CC_SAMPLE, 120) + ["", "a b c", "İ ½ x² Ⅻ 𠀀𠀁 \U000f0000 ok"]
    arr = pa.array(texts + [None])
    perms = Permutations.from_seed(64, seed=3)
    sigs, counts = signatures(arr, perms, ngram, unit)
    assert counts[-1] == 0
    checked = 0
    for i, text in enumerate(texts):
        sh = shingles(text, ngram, unit)
        assert counts[i] == len(sh), i
        if not sh:
            continue
        ref = MinHash(num_perm=64, scheme="affine64", hashfunc=fnv1a64,
                      permutations=(perms.a, perms.b))
        ref.update_batch([s.encode() for s in sh])
        assert np.array_equal(ref.hashvalues, sigs[i]), i
        checked += 1
    assert checked > 100


def test_large_string_arrays_and_slices():
    texts = _texts(C4_SAMPLE, 20)
    perms = Permutations.from_seed(16, seed=1)
    whole, _ = signatures(pa.array(texts), perms)
    large, _ = signatures(pa.array(texts, pa.large_string()), perms)
    sliced, _ = signatures(pa.array(texts).slice(5, 10), perms)
    assert np.array_equal(whole, large)
    assert np.array_equal(whole[5:15], sliced)


def _letters(n: int) -> str:
    """A token for integer ``n`` without digits (digits would fold together)."""
    out = ""
    while True:
        n, r = divmod(n, 26)
        out += chr(97 + r)
        if n == 0:
            return out


def test_signature_agreement_estimates_jaccard_without_bias():
    """The fraction of agreeing values is an unbiased Jaccard estimate (checks the
    permutation family, not only parity)."""
    rng = np.random.default_rng(5)
    perms = Permutations.from_seed(256, seed=11)
    errors, z = [], []
    for pair in range(120):
        n = int(rng.integers(50, 400))
        shift = int(rng.integers(0, n))
        base = 10_000 * pair
        a = " ".join(_letters(base + i) for i in range(n))
        b = " ".join(_letters(base + i) for i in range(shift, n + shift))
        true = jaccard(set(shingles(a, 1)), set(shingles(b, 1)))
        sigs, _ = signatures(pa.array([a, b]), perms, ngram=1)
        est = float(np.mean(sigs[0] == sigs[1]))
        errors.append(est - true)
        z.append((est - true) / max(np.sqrt(true * (1 - true) / 256), 1e-9))
    assert abs(np.mean(errors)) < 0.01
    assert np.max(np.abs(z)) < 5


def test_band_keys_equal_exactly_when_bands_equal():
    rng = np.random.default_rng(0)
    sigs = rng.integers(0, 2**63, (3, 12), dtype=np.uint64)
    sigs[1] = sigs[0]
    sigs[1, 5] += np.uint64(1)  # differs in band 1 (rows 4..7) only
    sigs[2, :4] = sigs[0, :4]  # shares band 0 only
    keys = band_keys(sigs, bands=3, rows=4)
    assert (keys[0] == keys[1]).tolist() == [True, False, True]
    assert (keys[0] == keys[2]).tolist() == [True, False, False]
    with pytest.raises(ValueError):
        band_keys(sigs, bands=4, rows=4)


@pytest.mark.parametrize(("threshold", "num_perm"),
                         [(0.5, 128), (0.7, 112), (0.8, 112), (0.9, 256), (0.85, 64)])
def test_optimal_banding_matches_datasketch(threshold, num_perm):
    b, r = _optimal_param(threshold, num_perm, 0.5, 0.5)
    assert optimal_banding(threshold, num_perm) == Banding(b, r)


def test_s_curve():
    fineweb = Banding(14, 8)
    assert fineweb.num_perm == 112
    assert fineweb.threshold == pytest.approx((1 / 14) ** (1 / 8))
    assert fineweb.candidate_probability(0.8) == pytest.approx(1 - (1 - 0.8**8) ** 14)
    assert fineweb.candidate_probability(0.0) == 0.0
    assert fineweb.candidate_probability(1.0) == 1.0
