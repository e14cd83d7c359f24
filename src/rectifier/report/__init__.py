"""Reports for people: terminal tables (rich), figures (matplotlib) and self-contained HTML.

- :mod:`rectifier.report.terminal`: a :class:`~rectifier.torch.Report` as a rich table, progress
  bars on stderr.
- :mod:`rectifier.report.figures`: matplotlib figures (Agg, never a window) and PNG bytes.
- :mod:`rectifier.report.html`: one HTML page from sections, images inlined as data URIs, inline
  CSS, no script and no network access.

Importing this package imports neither rich nor matplotlib; each submodule imports what it needs.
"""
