"""Optional dependencies: the heavy packages behind an extra, imported on first use.

The core install (``pip install fracfire``) is the generator, the loader, the
realism scorecard, the setups and the backtester. Three groups of features
need more, each behind an extra of the package:

=============  =====================================  ===========================
extra          packages                               needed by
=============  =====================================  ===========================
``neural``     ``torch``                              ``backend="neural"`` models
``scale``      ``dask[distributed]``                  ``dataset build --scheduler``
``tracking``   ``mlflow-skinny``                      ``train``, ``transfer``, the pipeline
=============  =====================================  ===========================

``all`` installs the three. :func:`require` imports a module of one of these
packages or raises :class:`~fracfire.exceptions.MissingExtraError` naming the
extra to install.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from fracfire.exceptions import MissingExtraError

__all__ = ["EXTRAS", "require"]

EXTRAS = {
    "torch": ("neural", "torch"),
    "dask": ("scale", "dask[distributed]"),
    "distributed": ("scale", "dask[distributed]"),
    "mlflow": ("tracking", "mlflow-skinny"),
}
"""Top-level module -> (extra of fracfire, distribution that provides it)."""


def require(module: str, purpose: str) -> ModuleType:
    """Import ``module`` (e.g. ``"torch.nn"``) or say which extra provides it.

    Parameters
    ----------
    module : str
        Dotted module name; its top-level package must be a key of :data:`EXTRAS`.
    purpose : str
        What needs it, for the message (e.g. ``"the neural backend"``).

    Raises
    ------
    MissingExtraError
        The package is not installed (an ``ImportError``).
    """
    top = module.partition(".")[0]
    extra, distribution = EXTRAS[top]
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if exc.name is not None and exc.name.partition(".")[0] != top:
            raise  # the package is there but one of its own dependencies is broken
        raise MissingExtraError(
            f"{purpose} needs {distribution}, which is not installed: "
            f"pip install 'fracfire[{extra}]' (or 'fracfire[all]')"
        ) from exc
