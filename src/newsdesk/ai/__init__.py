"""Adapters to models: sentence embedders (local ONNX or an OpenAI-compatible endpoint) and vector search.

Importing this package is cheap: onnxruntime and usearch are imported only when a model or an
index is first used.
"""
