"""Benchmarks of the storage stores beside the raw calls they wrap and the peer libraries.

Not part of the test suite: run ``benchmarks/run`` (or ``python -m benchmarks --help``).
"""
