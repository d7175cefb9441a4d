"""The neural tilt model: how far the rest of a session will travel, and how sure that is.

A small PyTorch network (CPU) maps the scale-free features of a history at
a cut (:data:`fracfire.scenarios.conditioning.FEATURE_NAMES`: activity
ratios over several look-backs, the move so far, the share of the session
left, the time of day) to three outputs:

* ``mean`` and ``log_var``: a Gaussian over the target, the log range still
  to come relative to its median at that time of day, trained by negative
  log-likelihood, so the model knows its own error per forecast
  (:meth:`TiltModel.predict_spread`);
* ``tilt``: the mean log volatility tilt over the rest of the session, an
  auxiliary target known only on synthetic libraries (where the tilts were
  drawn; :func:`fracfire.scenarios.library.tilt_library`), trained by
  squared error when it is given;
* with ``states`` given to :meth:`TiltModel.fit`, the probabilities of the
  market state in force at the cut (:meth:`TiltModel.predict_state_proba`),
  trained by cross-entropy on the library's true states and fine-tuned on
  the states inferred on real bars.

It is pre-trained on a synthetic library (:meth:`TiltModel.fit` with
``aux``) and fine-tuned on real examples (:meth:`TiltModel.fine_tune`) by
maximum a posteriori around the pre-trained weights (L2-SP, Li, Grandvalet
& Davoudi 2018): the loss adds ``anchor / n * sum((w - w_pretrained)**2)``,
a Gaussian prior that keeps a month of real sessions from overwriting what
a library of hundreds taught, and lets a year move the weights further.
After each stage one factor rescales the predicted spread so that the
standardised errors on the validation rows have unit root mean square: a
network pre-trained where the noise is smaller than the market's would
otherwise keep its too-narrow spread through an anchored fine-tuning.
Weights are stored as numpy arrays in the model's skops file.
"""

from __future__ import annotations

import numpy as np
from scipy.special import softmax
from sklearn.base import RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from fracfire._optional import require
from fracfire._typing import Features
from fracfire.models.base import BaseModel, check_validation_fraction, validation_cut
from fracfire.schema import TICK_SIZE

__all__ = ["TiltModel"]

MIN_VALIDATION_EXAMPLES = 50
"""Fewer validation examples than this (either side) and training runs all its epochs."""
_MIN_LOG_VAR, _MAX_LOG_VAR = np.log(1e-3), np.log(25.0)


def _network(n_features: int, hidden: int, seed: int, n_states: int = 0):
    torch = require("torch", "The neural tilt model")
    nn = torch.nn
    with torch.random.fork_rng(devices=[]):  # deterministic initialisation, the caller's torch state untouched
        torch.manual_seed(seed)
        return nn.Sequential(
            nn.Linear(n_features, hidden),
            nn.Tanh(),
            nn.Linear(hidden, hidden),
            nn.Tanh(),
            nn.Linear(hidden, 3 + n_states),
        ).double()  # float64: a row's answer never depends on its batch


class TiltModel(RegressorMixin, BaseModel):  # mixin first: scikit-learn reads its tags
    """Gaussian forecast of the log range to come (see the module notes).

    Parameters
    ----------
    hidden : int, default 32
        Width of the two hidden layers.
    epochs : int, default 400
        Full-batch Adam steps of :meth:`fit` (pre-training).
    learning_rate : float, default 0.01
        Adam's rate in :meth:`fit`.
    fine_tune_epochs : int, default 200
        Adam steps of :meth:`fine_tune`.
    fine_tune_rate : float, default 0.003
        Adam's rate in :meth:`fine_tune`.
    anchor : float, default 20.0
        Strength of the prior around the pre-trained weights in
        :meth:`fine_tune` (0: plain fine-tuning).
    validation_fraction : float, default 0.2
        Last share of the (time-ordered) examples held out to stop training
        early (best validation loss, ``patience`` epochs without progress).
    patience : int, default 30
    random_state : int, default 0
        Seed of the initial weights (training itself draws nothing).

    Attributes
    ----------
    network_ : dict of numpy.ndarray
        The weights.
    x_mean_, x_scale_ : numpy.ndarray
        Standardisation of the inputs, fixed at pre-training.
    pretrained_ : bool
        Whether :meth:`fit` was given the auxiliary tilt target.
    fine_tuned_examples_ : int
        Real examples of the last :meth:`fine_tune` (0 before).
    tick_size_ : float
        Tick size of the bars the examples came from.
    spread_scale_ : float
        Factor on the network's spread, set after each training stage so
        that standardised errors on the validation rows (all rows when
        there are too few) have unit root mean square.
    state_classes_ : numpy.ndarray
        The states of :meth:`predict_state_proba`'s columns (empty when
        :meth:`fit` was given no ``states``).
    """

    def __init__(
        self,
        hidden: int = 32,
        epochs: int = 400,
        learning_rate: float = 0.01,
        fine_tune_epochs: int = 200,
        fine_tune_rate: float = 0.003,
        anchor: float = 20.0,
        validation_fraction: float = 0.2,
        patience: int = 30,
        random_state: int = 0,
    ) -> None:
        self.hidden = hidden
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.fine_tune_epochs = fine_tune_epochs
        self.fine_tune_rate = fine_tune_rate
        self.anchor = anchor
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.random_state = random_state

    # ------------------------------------------------------------------ training
    def fit(
        self, X: Features, y: np.ndarray, aux: np.ndarray | None = None, states: np.ndarray | None = None
    ) -> "TiltModel":
        """Train from scratch on features ``X`` and targets ``y`` (and the known tilts ``aux``, and the
        state in force at each example's cut ``states``, if given)."""
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
        if aux is not None:
            aux = np.asarray(aux, dtype=np.float64)
            if aux.shape != y.shape:
                raise ValueError(f"aux must have one value per example ({len(y)}); got shape {aux.shape}")
        self.state_classes_ = np.array([], dtype=str)
        if states is not None:
            states = self._state_labels(states, len(y))
            self.state_classes_ = np.unique(states)
        self.x_mean_ = X.mean(axis=0)
        scale = X.std(axis=0)
        self.x_scale_ = np.where(scale > 1e-12, scale, 1.0)
        net = _network(self.n_features_in_, self.hidden, self.random_state, len(self.state_classes_))
        codes = None if states is None else np.searchsorted(self.state_classes_, states)
        self._train(net, X, y, aux, self.epochs, self.learning_rate, anchor=None, codes=codes)
        self.tick_size_ = TICK_SIZE
        self.spread_scale_ = 1.0
        self.spread_scale_ = self._spread_scale(X, y)
        self.pretrained_ = aux is not None
        self.fine_tuned_examples_ = 0
        return self

    def fine_tune(self, X: Features, y: np.ndarray, states: np.ndarray | None = None) -> "TiltModel":
        """Continue training on real examples, anchored to the current weights (see the module notes);
        ``states`` (the state in force at each cut, among :attr:`state_classes_`) also fine-tune the
        state output."""
        check_is_fitted(self, "network_")
        self._check_tick_size()
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True, reset=False)
        codes = None
        if states is not None:
            states = self._state_labels(states, len(y))
            classes = self._state_classes()
            unknown = sorted(set(states) - set(classes))
            if unknown:
                raise ValueError(
                    f"fine_tune: states {unknown} are not among the states this TiltModel was pre-trained on "
                    f"({list(classes) or 'none: fit() was given no states'})"
                )
            codes = np.searchsorted(self.state_classes_, states)
        net = self._net()
        anchor = {k: v.detach().clone() for k, v in net.state_dict().items()}
        self._train(net, X, y, None, self.fine_tune_epochs, self.fine_tune_rate, anchor=anchor, codes=codes)
        self.spread_scale_ = 1.0
        self.spread_scale_ = self._spread_scale(X, y)
        self.fine_tuned_examples_ = len(y)
        return self

    def _state_classes(self) -> np.ndarray:
        """:attr:`state_classes_`, empty for a model without a state output (or saved before it existed)."""
        return getattr(self, "state_classes_", np.array([], dtype=str))

    @staticmethod
    def _state_labels(states, n: int) -> np.ndarray:
        """State names (``MarketState`` members become their values); missing labels are refused."""
        raw = list(states) if np.ndim(states) == 1 else None
        if raw is None or len(raw) != n:
            raise ValueError(f"states must have one label per example ({n}); got shape {np.shape(states)}")
        labels = [getattr(s, "value", s) for s in raw]
        missing = [i for i, s in enumerate(labels) if not isinstance(s, str) or not s]
        if missing:
            raise ValueError(
                f"states must be state names; example {missing[0]} has {raw[missing[0]]!r} "
                f"({len(missing)} such examples)"
            )
        return np.array(labels, dtype=str)

    def _train(self, net, X, y, aux, epochs: int, rate: float, anchor, codes=None) -> None:
        """Full-batch Adam; early-stopped on the last ``validation_fraction`` of the (time-ordered) examples."""
        torch = require("torch", "The neural tilt model")
        check_validation_fraction(self.validation_fraction)
        cut = validation_cut(len(y), self.validation_fraction, MIN_VALIDATION_EXAMPLES)
        x = torch.from_numpy((X - self.x_mean_) / self.x_scale_)
        target = torch.from_numpy(np.array(y, dtype=np.float64))
        known = None if aux is None else torch.from_numpy(np.array(aux, dtype=np.float64))
        labels = None if codes is None else torch.from_numpy(np.asarray(codes, dtype=np.int64))

        def loss_of(rows: slice, penalty: bool):
            out = net(x[rows])
            log_var = out[:, 1].clamp(_MIN_LOG_VAR, _MAX_LOG_VAR)
            loss = 0.5 * (log_var + (target[rows] - out[:, 0]) ** 2 / log_var.exp()).mean()
            if known is not None:
                loss = loss + ((out[:, 2] - known[rows]) ** 2).mean()
            if labels is not None and out.shape[1] > 3:
                loss = loss + torch.nn.functional.cross_entropy(out[:, 3:], labels[rows])
            if penalty and anchor is not None and self.anchor > 0:
                distance = sum(((p - anchor[k]) ** 2).sum() for k, p in net.named_parameters())
                loss = loss + self.anchor / cut * distance
            return loss

        optimiser = torch.optim.Adam(net.parameters(), lr=rate)
        best, best_state, stale = np.inf, None, 0
        for _ in range(int(epochs)):
            net.train()
            loss = loss_of(slice(0, cut), True)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            if cut < len(y):
                net.eval()
                with torch.no_grad():
                    score = float(loss_of(slice(cut, None), False))
                if score < best - 1e-5:
                    best, stale = score, 0
                    best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
                else:
                    stale += 1
                    if stale >= self.patience:
                        break
        if best_state is not None:
            net.load_state_dict(best_state)
        net.eval()
        self.network_ = {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}

    def _spread_scale(self, X: np.ndarray, y: np.ndarray) -> float:
        """Root mean square of the standardised errors on the validation rows (all rows when there are
        too few), clipped to [1/3, 3]: one factor that makes the predicted spread honest on data the
        weights were not fitted to (variance scaling, Levi et al. 2022)."""
        cut = validation_cut(len(y), self.validation_fraction, MIN_VALIDATION_EXAMPLES)
        rows = slice(cut, None) if cut < len(y) else slice(None)
        z = (y[rows] - self.predict(X[rows])) / self.predict_spread(X[rows])
        return float(np.clip(np.sqrt(np.mean(z**2)), 1 / 3, 3.0))

    # ------------------------------------------------------------------ prediction
    def _net(self):
        torch = require("torch", "The neural tilt model")
        net = _network(self.n_features_in_, self.hidden, self.random_state, len(self._state_classes()))
        net.load_state_dict({k: torch.from_numpy(v) for k, v in self.network_.items()})
        return net.eval()

    def _check_tick_size(self) -> None:
        if not np.isclose(self.tick_size_, TICK_SIZE):
            raise ValueError(
                f"this TiltModel was trained on bars with a tick size of {self.tick_size_}; FracFire's "
                f"bars use {TICK_SIZE}: re-train it on bars of this instrument"
            )

    def _outputs(self, X) -> np.ndarray:
        torch = require("torch", "The neural tilt model")
        check_is_fitted(self, "network_")
        self._check_tick_size()
        X = validate_data(self, X, dtype=np.float64, reset=False)
        with torch.no_grad():
            out = self._net()(torch.from_numpy((X - self.x_mean_) / self.x_scale_))
        return out.numpy().astype(np.float64)

    def predict(self, X: Features) -> np.ndarray:
        """Forecast mean of the target (log range to come relative to its median at that time)."""
        return self._outputs(X)[:, 0]

    def predict_spread(self, X: Features) -> np.ndarray:
        """Standard deviation the model expects of its own error, per example."""
        return self.spread_scale_ * np.exp(0.5 * np.clip(self._outputs(X)[:, 1], _MIN_LOG_VAR, _MAX_LOG_VAR))

    def predict_tilt(self, X: Features) -> np.ndarray:
        """The auxiliary output: the mean log volatility tilt expected over the rest of the session."""
        return self._outputs(X)[:, 2]

    def predict_state_proba(self, X: Features) -> np.ndarray:
        """Probabilities of the state in force at each cut, columns in :attr:`state_classes_` order."""
        check_is_fitted(self, "network_")
        if not len(self._state_classes()):
            raise ValueError("this TiltModel was fitted without states: pass states= to fit() to get them")
        return softmax(self._outputs(X)[:, 3:], axis=1)
