"""Interchange: specs out as ONNX and PyTorch source, trained weights out as .pt and ONNX, and
networks in from ONNX (and, on the worker side, from PyTorch through torch.fx).

docs/design.md, "Interchange". The package's modules are pure (no torch, no FastAPI) except
`router` and `service`, so the worker and the CLI can import the converters without the web stack.
"""
