"""Speaker clustering of unit-norm embeddings (numpy only): average-linkage AHC, refinement, naming."""

from __future__ import annotations

import string

import numpy as np

MAX_AHC_POINTS = 1200  # above this, cluster a uniform subsample and assign the rest to the centroids


def ahc(embeddings: np.ndarray, threshold: float, n_clusters: int | None = None) -> np.ndarray:
    """Average-linkage agglomerative clustering on cosine similarity.

    Merges the two most similar clusters until ``n_clusters`` remain (when given) or no pair is more
    similar than ``threshold``. Returns a label per row, numbered by first appearance.
    """
    n = len(embeddings)
    if n == 0:
        return np.zeros(0, dtype=int)
    sim = (embeddings @ embeddings.T).astype(np.float64)
    np.fill_diagonal(sim, -np.inf)
    sizes = np.ones(n)
    active = np.ones(n, dtype=bool)
    members = np.arange(n)
    target = max(1, n_clusters) if n_clusters else 1
    count = n
    while count > target:
        flat = int(np.argmax(sim))
        a, b = divmod(flat, n)
        if n_clusters is None and sim[a, b] < threshold:
            break
        merged = (sizes[a] * sim[a] + sizes[b] * sim[b]) / (sizes[a] + sizes[b])
        sim[a, :] = merged
        sim[:, a] = merged
        sim[a, a] = -np.inf
        sim[b, :] = -np.inf
        sim[:, b] = -np.inf
        sizes[a] += sizes[b]
        active[b] = False
        members[members == b] = a
        count -= 1
    return renumber(members)


def renumber(labels: np.ndarray) -> np.ndarray:
    """Relabel to 0..k-1 in order of first appearance."""
    order: dict[int, int] = {}
    return np.array([order.setdefault(int(x), len(order)) for x in labels], dtype=int)


def centroids(embeddings: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Unit-norm mean embedding of each label 0..max."""
    k = int(labels.max()) + 1 if len(labels) else 0
    out = np.stack([embeddings[labels == i].mean(axis=0) for i in range(k)]) if k else np.zeros((0, 1))
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def refine(embeddings: np.ndarray, labels: np.ndarray, min_size: int, iterations: int = 3) -> np.ndarray:
    """Fold clusters smaller than ``min_size`` into their nearest neighbour, then reassign every
    point to its nearest centroid (a few k-means steps starting from the AHC result)."""
    labels = renumber(labels)
    for _ in range(iterations):
        counts = np.bincount(labels)
        if len(counts) > 1 and counts.min() < min_size and counts.max() >= min_size:
            keep = np.flatnonzero(counts >= min_size)
            cents = centroids(embeddings, labels)[keep]
            labels = keep[np.argmax(embeddings @ cents.T, axis=1)]
            labels = renumber(labels)
        cents = centroids(embeddings, labels)
        new = renumber(np.argmax(embeddings @ cents.T, axis=1))
        if np.array_equal(new, labels):
            break
        labels = new
    return labels


def cluster(
    embeddings: np.ndarray, threshold: float, n_clusters: int | None = None, min_size: int = 2
) -> np.ndarray:
    """Cluster embeddings into speakers: AHC (on a subsample when long), then refinement."""
    n = len(embeddings)
    if n <= 1:
        return np.zeros(n, dtype=int)
    if n > MAX_AHC_POINTS:
        pick = np.linspace(0, n - 1, MAX_AHC_POINTS).round().astype(int)
        seed = ahc(embeddings[pick], threshold, n_clusters)
        cents = centroids(embeddings[pick], seed)
        labels = np.argmax(embeddings @ cents.T, axis=1)
    else:
        labels = ahc(embeddings, threshold, n_clusters)
    if n_clusters is None:
        labels = refine(embeddings, labels, min_size)
    return renumber(labels)


def letter_label(index: int) -> str:
    """``A``, ``B``, … ``Z``, ``AA``, ``AB``, … as OpenAI names unknown speakers."""
    letters = string.ascii_uppercase
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = letters[rem] + name
    return name


def name_clusters(
    cluster_centroids: np.ndarray,
    references: np.ndarray | None = None,
    names: list[str] | None = None,
    min_similarity: float = 0.75,
    share_similarity: float = 0.85,
) -> list[str]:
    """A speaker name per cluster (clusters in order of first appearance).

    With references, clusters and references are paired one to one, most similar pair first, when
    the cosine similarity is at least ``min_similarity``; a further cluster still takes a name
    already given when it is at least ``share_similarity`` alike (an over-split speaker). The others
    are ``A``, ``B``, … in order of appearance, skipping letters already used as known names.
    """
    k = len(cluster_centroids)
    labels: list[str | None] = [None] * k
    if references is not None and names and len(references):
        sims = cluster_centroids @ references.T
        used: set[int] = set()
        for flat in np.argsort(-sims, axis=None):
            i, j = divmod(int(flat), sims.shape[1])
            if sims[i, j] < min_similarity:
                break
            if labels[i] is None and j not in used:
                labels[i] = names[j]
                used.add(j)
        for i in range(k):
            j = int(np.argmax(sims[i]))
            if labels[i] is None and sims[i, j] >= share_similarity:
                labels[i] = names[j]
    taken = {x for x in labels if x is not None}
    next_letter = 0
    out: list[str] = []
    for label in labels:
        if label is None:
            while letter_label(next_letter) in taken:
                next_letter += 1
            label = letter_label(next_letter)
            taken.add(label)
        out.append(label)
    return out
