"""The ``complaint`` command line: a typer root app with one sub-app per area.

Importing this package (or ``entrypoints.cli.main``) imports only typer and the
standard library; the domain, storage and network libraries are imported inside
command bodies so ``complaint --help`` starts about as fast as ``import typer``.
"""
