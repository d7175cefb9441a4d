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

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(
                nn.Conv1d(n_features, EMBEDDING, kernel_size=5, padding=2), nn.ReLU(),
                nn.Conv1d(EMBEDDING, EMBEDDING, kernel_size=5, padding=2), nn.ReLU(),
                nn.AdaptiveAvgPool1d(1), nn.Flatten(),
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


def train_epochs(net, windows: np.ndarray, labels: np.ndarray | None, aux: np.ndarray | None, epochs: int,
                 lr: float, batch_size: int, seed: int, progress=None) -> list[float]:
    """Adam over minibatches of windows; return the mean loss of each epoch.

    ``labels`` (int) train the state head with cross-entropy; ``aux`` (n, 2:
    standardised log future range, up/down as 1/0) trains the auxiliary head
    with MSE + binary cross-entropy; rows whose aux targets are NaN are skipped.
    """
    torch = require("torch", "The neural backend")
    nn = torch.nn

    rng = np.random.default_rng(seed)  # minibatch order; the network itself draws no random numbers
    optimiser = torch.optim.Adam(net.parameters(), lr=lr)
    ce, mse, bce = nn.CrossEntropyLoss(), nn.MSELoss(), nn.BCEWithLogitsLoss()
    usable = np.arange(len(windows))
    if aux is not None and labels is None:
        usable = usable[~np.isnan(aux).any(axis=1)]
    history = []
    net.train()
    for epoch in range(epochs):
        order = rng.permutation(usable)
        total, batches = 0.0, 0
        for start in range(0, len(order), batch_size):
            rows = np.sort(order[start:start + batch_size])
            x = torch.from_numpy(np.ascontiguousarray(windows[rows]))
            state_logits, aux_out = net(x)
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
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss.detach())
            batches += 1
        history.append(total / max(batches, 1))
        log.info("epoch %d/%d loss %.4f", epoch + 1, epochs, history[-1])
        if progress is not None:
            progress(epoch + 1, epochs, history[-1])
    net.eval()
    return history
