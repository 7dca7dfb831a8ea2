"""Qt-free pipelines: ``run(request, ctx) -> result``; torch is imported inside functions."""
