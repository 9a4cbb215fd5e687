"""Two-sample tests on real all-MiniLM-L6-v2 embeddings of real template biographies."""

import numpy as np
import pytest

from biasinherit.analyze import Embedder, c2st, embed_texts, mmd_test
from biasinherit.analyze._distribution import _sq_dists, median_bandwidth
from biasinherit.data import template_bios

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bios():
    return [r["text"] for r in template_bios(per_group=8, split="train", seed=3)]


@pytest.fixture(scope="module")
def emb(bios, tmp_path_factory):
    return embed_texts(bios, cache_dir=tmp_path_factory.mktemp("emb"))


def test_embeddings_are_unit_vectors_and_meaningful():
    e = Embedder().encode(
        [
            "She cares for patients on a hospital ward.",
            "He looks after patients in a clinic.",
            "The stock market fell sharply on Tuesday.",
        ]
    )
    assert e.shape == (3, 384)
    assert np.allclose(np.linalg.norm(e, axis=1), 1, atol=1e-5)
    assert e[0] @ e[1] > e[0] @ e[2] + 0.2


def test_embedding_cache_roundtrip(bios, tmp_path):
    first = embed_texts(bios[:10], cache_dir=tmp_path)
    files = list(tmp_path.glob("emb-*.npy"))
    assert len(files) == 1
    again = embed_texts(bios[:10], cache_dir=tmp_path)
    assert np.array_equal(first, again)
    # A changed corpus gets its own file, never the stale one.
    embed_texts(bios[:9], cache_dir=tmp_path)
    assert len(list(tmp_path.glob("emb-*.npy"))) == 2


def test_two_halves_of_one_corpus_do_not_differ(emb):
    idx = np.random.default_rng(0).permutation(len(emb))
    a, b = emb[idx[: len(emb) // 2]], emb[idx[len(emb) // 2 :]]
    m = mmd_test(a, b, n_perm=500, seed=0)
    c = c2st(a, b, seed=0)
    assert m["p_value"] > 0.1, m
    assert c["p_value"] > 0.1 and c["auc"] < 0.7, c


def test_planted_difference_is_found(bios, emb):
    half = len(bios) // 2
    idx = np.random.default_rng(0).permutation(len(bios))
    planted = [
        bios[i] + " In the evenings this person cooks for the family and looks after the children."
        for i in idx[half:]
    ]
    a = emb[idx[:half]]
    b = embed_texts(planted)
    m = mmd_test(a, b, n_perm=500, seed=0)
    c = c2st(a, b, seed=0)
    assert m["p_value"] < 0.01, m
    assert c["p_value"] < 0.01 and c["auc"] > 0.8, c


def test_vectorised_permutations_match_the_definition(emb):
    x, y = emb[:20].astype(np.float64), emb[20:45].astype(np.float64)
    r = mmd_test(x, y, n_perm=100, seed=1)
    bw = median_bandwidth(np.vstack([x, y]), seed=1)

    def k(a, b):
        return np.exp(-_sq_dists(a, b) / (2 * bw * bw))

    direct = k(x, x).mean() + k(y, y).mean() - 2 * k(x, y).mean()
    assert r["mmd2"] == pytest.approx(direct, rel=1e-9)
    assert 1 / 101 <= r["p_value"] <= 1


def test_per_group_tests_face_all_original_rows_when_the_original_has_no_groups():
    """Culture: real reviews carry no group, so a group's generated rows face all of them."""
    from biasinherit.analyze._audit import distribution_tests

    rng = np.random.default_rng(0)
    orig, aug = rng.normal(size=(40, 8)), rng.normal(size=(20, 8)) + 1.0
    original = [{"group": None} for _ in range(40)]
    augmented = [{"group": ["a", "b"][i % 2], "bias_type": "x"} for i in range(20)]
    res = distribution_tests(
        orig, aug, original, augmented, groups=("a", "b"), n_perm=200, max_per_side=100, seed=0
    )["x"]
    assert res["a"]["n_original"] == 40 and res["a"]["original_side"] == "all"
    assert res["a"]["n_augmented"] == 10 and res["a"]["mmd"]["p_value"] < 0.05
    grouped = [{"group": ["a", "b"][i % 2]} for i in range(40)]  # gender: same-group rows
    res = distribution_tests(
        orig, aug, grouped, augmented, groups=("a", "b"), n_perm=200, max_per_side=100, seed=0
    )["x"]
    assert res["a"]["n_original"] == 20 and res["a"]["original_side"] == "group"
