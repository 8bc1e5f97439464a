"""Composition root, demo and (later) the complaint CLI."""
