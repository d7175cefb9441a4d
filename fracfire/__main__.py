"""``python -m fracfire`` is the ``fracfire`` command."""

from fracfire.cli import main

main()
