"""The small PyTorch sequence encoder shared by the neural backends (CPU).

A window of bar features goes through two 1-D convolutions and global
average pooling into a 32-dimensional embedding; heads sit on top:
a state head (classes) and an auxiliary head predicting the next ``horizon``
bars' log range and direction, targets real data has too. Pre-training fits
both heads; fine-tuning on real bars fits the auxiliary head and, through
it, the shared encoder.
"""

from __future__ import annotations

import logging

import numpy as np

from fracfire._optional import require

__all__ = ["EMBEDDING", "build_network", "train_epochs"]

EMBEDDING = 32
log = logging.getLogger("fracfire.models")


def build_network(n_features: int, n_classes: int, seed: int):
    """Encoder, state head and auxiliary head (deterministic initialisation)."""
    torch = require("torch", "The neural backend")
    nn = torch.nn

    class Net(nn.Module):  # type: ignore[name-defined]  # torch is imported at run time
        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(
                nn.Conv1d(n_features, EMBEDDING, kernel_size=5, padding=2),
                nn.ReLU(),
                nn.Conv1d(EMBEDDING, EMBEDDING, kernel_size=5, padding=2),
                nn.ReLU(),
                nn.AdaptiveAvgPool1d(1),
                nn.Flatten(),
            )
            self.state_head = nn.Linear(EMBEDDING, n_classes)
            self.aux_head = nn.Linear(EMBEDDING, 2)

        def forward(self, x):
            z = self.encoder(x.transpose(1, 2))
            return self.state_head(z), self.aux_head(z)

    # Seed a forked generator state: the initialisation is deterministic and the caller's global
    # torch random state is left as it was.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return Net()


def _batch_loss(torch, net, windows, labels, aux, rows, losses):
    ce, mse, bce = losses
    state_logits, aux_out = net(torch.from_numpy(np.ascontiguousarray(windows[rows])))
    loss = torch.zeros(())
    if labels is not None:
        loss = loss + ce(state_logits, torch.from_numpy(labels[rows]))
    if aux is not None:
        target = aux[rows]
        ok = ~np.isnan(target).any(axis=1)
        if ok.any():
            t = torch.from_numpy(target[ok].astype(np.float32))
            out = aux_out[torch.from_numpy(ok)]
            loss = loss + mse(out[:, 0], t[:, 0]) + bce(out[:, 1], t[:, 1])
    return loss


def _loss_terms(nn) -> tuple:
    """Cross-entropy of the state head, MSE and binary cross-entropy of the auxiliary head."""
    return nn.CrossEntropyLoss(), nn.MSELoss(), nn.BCEWithLogitsLoss()


def _usable(windows: np.ndarray, labels, aux) -> np.ndarray:
    usable = np.arange(len(windows))
    if aux is not None and labels is None:
        usable = usable[~np.isnan(aux).any(axis=1)]
    return usable


Validation = tuple[np.ndarray, np.ndarray | None, np.ndarray | None]
"""Held-out windows, labels and auxiliary targets (as :func:`validation_loss` takes them)."""


def train_epochs(
    net,
    windows: np.ndarray,
    labels: np.ndarray | None,
    aux: np.ndarray | None,
    epochs: int,
    lr: float,
    batch_size: int,
    seed: int,
    progress=None,
    validation: Validation | None = None,
    patience: int = 2,
) -> list[float]:
    """Adam over minibatches of windows; return the mean loss of each epoch.

    ``labels`` (int) train the state head with cross-entropy; ``aux`` (n, 2:
    standardised log future range, up/down as 1/0) trains the auxiliary head
    with MSE + binary cross-entropy; rows whose aux targets are NaN are skipped.

    ``validation`` (``(windows, labels, aux)`` of held-out rows, either target
    None as for training) stops early: after each epoch the same loss is
    measured on them; training stops once it has not improved for
    ``patience`` epochs, and the network is left with the weights of its best
    epoch. The returned history then ends at the last epoch run.
    """
    torch = require("torch", "The neural backend")
    nn = torch.nn

    rng = np.random.default_rng(seed)  # minibatch order; the network itself draws no random numbers
    optimiser = torch.optim.Adam(net.parameters(), lr=lr)
    losses = _loss_terms(nn)
    usable = _usable(windows, labels, aux)
    history, best, best_state, stale = [], np.inf, None, 0
    net.train()
    for epoch in range(epochs):
        order = rng.permutation(usable)
        total, batches = 0.0, 0
        for start in range(0, len(order), batch_size):
            loss = _batch_loss(torch, net, windows, labels, aux, np.sort(order[start : start + batch_size]), losses)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss.detach())
            batches += 1
        history.append(total / max(batches, 1))
        log.info("epoch %d/%d loss %.4f", epoch + 1, epochs, history[-1])
        if progress is not None:
            progress(epoch + 1, epochs, history[-1])
        if validation is not None:
            score = validation_loss(net, *validation, batch_size=batch_size, losses=losses)
            net.train()
            log.info("epoch %d/%d validation loss %.4f", epoch + 1, epochs, score)
            if score < best:
                best, stale = score, 0
                best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
            else:
                stale += 1
                if stale >= patience:
                    break
    if best_state is not None:
        net.load_state_dict(best_state)
    net.eval()
    return history


def validation_loss(
    net, windows: np.ndarray, labels: np.ndarray | None, aux: np.ndarray | None, batch_size: int = 4096, losses=None
) -> float:
    """Mean training loss (same terms as :func:`train_epochs`) of the network on ``windows``, without learning."""
    torch = require("torch", "The neural backend")
    nn = torch.nn

    losses = losses or _loss_terms(nn)
    rows_all = _usable(windows, labels, aux)
    net.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(rows_all), batch_size):
            rows = rows_all[start : start + batch_size]
            total += float(_batch_loss(torch, net, windows, labels, aux, rows, losses)) * len(rows)
            count += len(rows)
    return total / max(count, 1)
