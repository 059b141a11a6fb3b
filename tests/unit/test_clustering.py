"""Speaker clustering and naming on synthetic embeddings."""

from __future__ import annotations

import numpy as np

from engines.clustering import ahc, centroids, cluster, letter_label, name_clusters


def _blobs(sizes: list[int], spread: float = 0.25, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = np.linalg.qr(rng.normal(size=(32, len(sizes))))[0].T  # orthonormal speaker directions
    points, truth = [], []
    for i, n in enumerate(sizes):
        x = centres[i] + spread * rng.normal(size=(n, 32)) / np.sqrt(32)
        points.append(x / np.linalg.norm(x, axis=1, keepdims=True))
        truth += [i] * n
    order = rng.permutation(len(truth))
    return np.concatenate(points)[order], np.array(truth)[order]


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    return all(len(set(b[a == label])) == 1 for label in set(a)) and len(set(a)) == len(set(b))


def test_threshold_estimates_the_number_of_speakers() -> None:
    for k in (1, 2, 3, 4):
        x, truth = _blobs([12] * k, seed=k)
        labels = cluster(x, threshold=0.6)
        assert _same_partition(labels, truth), k


def test_fixed_number_of_clusters() -> None:
    x, truth = _blobs([10, 10, 10])
    assert _same_partition(ahc(x, threshold=0.99, n_clusters=3), truth)
    assert len(set(ahc(x, threshold=0.0, n_clusters=2))) == 2


def test_tiny_clusters_are_folded_into_their_neighbours() -> None:
    x, _ = _blobs([20, 20])
    outlier = x[0] + 0.6 * np.eye(32)[5]
    x = np.vstack([x, outlier / np.linalg.norm(outlier)])
    labels = cluster(x, threshold=0.9, min_size=3)
    assert len(set(labels)) == 2


def test_labels_in_order_of_first_appearance() -> None:
    x, _ = _blobs([5, 5], seed=3)
    labels = cluster(x, threshold=0.6)
    assert labels[0] == 0
    assert set(labels) == {0, 1}


def test_letter_labels() -> None:
    assert [letter_label(i) for i in (0, 1, 25, 26, 27)] == ["A", "B", "Z", "AA", "AB"]


def test_known_speaker_names_and_letters_for_the_rest() -> None:
    x, truth = _blobs([8, 8, 8], spread=0.1)
    labels = cluster(x, threshold=0.6)
    cents = centroids(x, labels)
    # References for the speakers of clusters 2 and 0 only, given in that order.
    refs = np.stack([cents[2], cents[0]])
    assert name_clusters(cents, refs, ["agent", "customer"]) == ["customer", "A", "agent"]
    assert name_clusters(cents) == ["A", "B", "C"]
    # A reference unlike every cluster names none of them.
    other = np.zeros(32)
    other[31] = 1.0
    assert name_clusters(cents, other[None], ["nobody"]) == ["A", "B", "C"]


def test_known_name_that_looks_like_a_letter_is_not_reused() -> None:
    x, _ = _blobs([8, 8], spread=0.1)
    cents = centroids(x, cluster(x, threshold=0.6))
    assert name_clusters(cents, cents[:1], ["A"]) == ["A", "B"]
