"""``python -m packlife``: the ``packlife`` command."""

from packlife.cli.main import main

main()
