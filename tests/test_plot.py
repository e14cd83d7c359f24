"""``rectifier plot``: the PNG grid, overwrite protection, atomic output, missing matplotlib."""

from __future__ import annotations

import sys

import pytest

from rectifier import cli
from rectifier.commands import plot

pytest.importorskip("matplotlib")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_writes_a_png_with_every_function(tmp_path, capsys):
    out = tmp_path / "family.png"
    assert cli.main(["plot", "-o", str(out)]) == 0
    data = out.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 50_000
    assert "19 functions" in capsys.readouterr().out
    # an existing file is refused (exit 2, one line) unless --force
    assert cli.main(["plot", "-o", str(out)]) == 2
    assert "exists; pass --force" in capsys.readouterr().err
    assert out.read_bytes() == data
    assert cli.main(["plot", "-o", str(out), "--force"]) == 0


def test_every_kink_is_marked_at_the_derivatives_value():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plot.figure(plt)
    try:
        titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
        notes = [t.get_text() for ax in fig.axes for t in ax.texts]
    finally:
        plt.close(fig)
    assert titles == list(plot.REGISTRY)
    assert "f'(3) = 1" in notes and "f'(-3) = 0" in notes  # hardswish's outer pieces
    assert "f'(6) = 0" in notes and "f'(0) = 0.01" in notes


def test_missing_matplotlib_is_a_usage_error_naming_the_extra(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    out = tmp_path / "f.png"
    assert cli.main(["plot", "-o", str(out)]) == 2
    assert 'pip install "rectifier[plot]"' in capsys.readouterr().err
    assert not out.exists()


def test_a_failure_leaves_no_file(tmp_path, monkeypatch):
    def boom(plt):
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(plot, "figure", boom)
    out = tmp_path / "f.png"
    with pytest.raises(RuntimeError):
        cli.main(["plot", "-o", str(out)])
    assert list(tmp_path.iterdir()) == []


def test_missing_directory_is_a_usage_error(tmp_path, capsys):
    assert cli.main(["plot", "-o", str(tmp_path / "no" / "f.png")]) == 2
    assert "does not exist" in capsys.readouterr().err
