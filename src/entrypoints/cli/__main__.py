"""``python -m entrypoints.cli``: the same as the ``complaint`` script."""

from entrypoints.cli.main import main

main()
