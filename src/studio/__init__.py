"""Studio: local generative image and video pipelines on your own GPU."""

__version__ = "0.1.0"
