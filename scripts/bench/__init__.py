"""Benchmarks of the production pipelines: ``python -m scripts.bench <workspace> [--smoke]``.

One harness (:mod:`scripts.bench.harness`), one module per workspace, shared model builders
(:mod:`scripts.bench.models`, shapes in :mod:`scripts.bench.configs`) and a memory soak of the
inference service (:mod:`scripts.bench.soak`). Each prints one JSON object on stdout.
"""
