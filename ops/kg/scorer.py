"""The edge scorer: a log-linear model of the next directed relation (or STOP) given the question and the hop.

    score(q, hop t, previous relation p, relation a) = phi(q) . W[:, t, a] + B[t, p, a]

`phi(q)` are the question's n-gram features with the topic entity masked (optionally plus MiniLM sentence
embeddings), `W` maps text features to each hop's relation scores, and `B` is the graph-side term: a learned
transition score between consecutive directed relations. Relations that do not leave the current entity
set are masked out (the graph constraint), so the softmax is over the edges that exist.

Trained by L-BFGS on weak supervision (the relation paths that reach the gold answers, see paths.py), with
one round of hard EM to resolve ties between equally good paths. Pure numpy/scipy: trains in seconds to a
minute on MetaQA on 2 cores.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize

from .features import Vocabulary

NEG = -1e9


@dataclass
class TrainingRows:
    """One row per (question, step of a labelled path): the question row, the hop, the previous action,
    the target action, the weight of the path, and which actions were valid there."""

    q: np.ndarray
    t: np.ndarray
    prev: np.ndarray
    action: np.ndarray
    weight: np.ndarray
    valid: np.ndarray  # bool (rows, K)
    path_of_row: np.ndarray  # index of the (question, path) pair of each row


@dataclass
class EdgeScorer:
    relations: list[str]
    max_hops: int
    vocab: Vocabulary
    W: np.ndarray  # (features, T, K) float32
    B: np.ndarray  # (T, K, K) float32: hop, previous action (K-1: none), action
    dense: str | None = None  # "minilm" when sentence embeddings are appended to the n-gram features
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def n_actions(self) -> int:
        return 2 * len(self.relations) + 1

    @property
    def stop(self) -> int:
        return 2 * len(self.relations)

    def text_scores(self, X: sp.csr_matrix | np.ndarray) -> np.ndarray:
        """(questions, T, K) text part of the scores."""
        T, K = self.max_hops + 1, self.n_actions
        return np.asarray(X @ self.W.reshape(self.W.shape[0], T * K)).reshape(-1, T, K)

    def describe(self) -> str:
        return (f"EdgeScorer({len(self.relations)} relations, {self.max_hops} hops, {len(self.vocab)} n-grams"
                + (f" + {self.dense}" if self.dense else "") + ")")

    def __repr__(self) -> str:
        return self.describe()


def log_softmax_valid(logits: np.ndarray, valid: np.ndarray) -> np.ndarray:
    z = np.where(valid, logits, NEG)
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def fit(X: sp.csr_matrix | np.ndarray, rows: TrainingRows, T: int, K: int, l2: float, max_iter: int,
        init: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """Minimise the weighted cross-entropy of the target actions (softmax over valid actions) + L2."""
    V = X.shape[1]
    n_w = V * T * K
    Xt = X.T.tocsr() if sp.issparse(X) else X.T
    total_weight = float(rows.weight.sum())

    def loss_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
        W = theta[:n_w].reshape(V, T * K)
        B = theta[n_w:].reshape(T, K, K)
        Z = np.asarray(X @ W).reshape(-1, T, K)
        logits = Z[rows.q, rows.t] + B[rows.t, rows.prev]
        logp = log_softmax_valid(logits, rows.valid)
        picked = logp[np.arange(len(rows.q)), rows.action]
        loss = -float((rows.weight * picked).sum()) / total_weight
        G = np.exp(logp) * rows.valid
        G[np.arange(len(rows.q)), rows.action] -= 1.0
        G *= (rows.weight / total_weight)[:, None]
        dZ = np.zeros((X.shape[0], T, K))
        np.add.at(dZ, (rows.q, rows.t), G)
        dB = np.zeros((T, K, K))
        np.add.at(dB, (rows.t, rows.prev), G)
        dW = np.asarray(Xt @ dZ.reshape(-1, T * K))
        loss += 0.5 * l2 * float(theta @ theta)
        grad = np.concatenate([dW.ravel(), dB.ravel()]) + l2 * theta
        return loss, grad

    theta0 = (np.concatenate([init[0].ravel(), init[1].ravel()]).astype(np.float64) if init is not None
              else np.zeros(n_w + T * K * K))
    res = minimize(loss_grad, theta0, jac=True, method="L-BFGS-B", options={"maxiter": max_iter})
    W = res.x[:n_w].reshape(V, T, K).astype(np.float32)
    B = res.x[n_w:].reshape(T, K, K).astype(np.float32)
    return W, B, float(res.fun)


def path_log_probs(model: EdgeScorer, Z: np.ndarray, rows: TrainingRows, n_paths: int) -> np.ndarray:
    """Log-probability of each labelled (question, path) pair under the model (sum over its rows)."""
    logits = Z[rows.q, rows.t] + model.B[rows.t, rows.prev]
    logp = log_softmax_valid(logits, rows.valid)[np.arange(len(rows.q)), rows.action]
    out = np.zeros(n_paths)
    np.add.at(out, rows.path_of_row, logp)
    return out
