"""``rectifier doctor``: find dead and dormant ReLUs in a PyTorch model, and say how to fix them.

    rectifier doctor                                      the built-in demo (no files needed)
    rectifier doctor --html doctor.html                   the demo, plus a self-contained report
    rectifier doctor --model mypkg.nets:make_net --weights net.pt --data val.npy
    rectifier doctor --model net.pt2 --data images/ --image-size 28
    rectifier doctor --model mypkg.nets:make_net --random-inputs 1x28x28    (born dead at init?)
    rectifier doctor --model net.ts --data mypkg.data:val_batches --json

The model runs in eval mode, without gradients, on every batch of the data (or ``--batches`` of
them) while a :class:`rectifier.torch.Monitor` counts, per unit, how often each rectifier fires.
The model is called as ``model(x)`` with one input tensor per batch.

Models: ``pkg.module:factory`` (with optional ``--weights`` state dict), a TorchScript file, a
``torch.export`` program (``.pt2``), or a pickled module with ``--trust-pickle`` only: without the
flag a pickle is never loaded (see :mod:`rectifier.torch.loading`).

Data: ``--data`` a ``.npy``/``.npz`` file (first axis: examples; memory-mapped), a folder of
images with one sub-folder per class (scaled to [0, 1], NCHW, channels from the model's first
convolution unless ``--channels``), or ``pkg.module:function`` returning an iterable of batches
(tensors, arrays or ``(x, y)`` tuples). Or ``--random-inputs SHAPE``: standard normal inputs of
``SHAPE``, one example's shape without the batch dimension (``1x28x28`` or ``1,28,28``), in
``--batches`` batches (default 8) of ``--batch-size`` (default 64), to check whether the network
is born dead at initialisation.

Without ``--model`` the doctor runs its demo (:mod:`rectifier.torch.demo`): the same small CNN is
trained on the bundled digits with a learning rate that kills ReLUs, then with LeakyReLU; it prints
the before/after table and, with ``--html``, writes the report. The demo writes no file unless
``--html`` is given, so it can be run any number of times.

Output: a table per site on stdout (``--json``: the report as JSON and nothing else on stdout;
``--quiet``: one summary line), advice when something is wrong, progress bars on stderr when it
is a terminal. ``--html FILE`` writes a self-contained page (inline images and CSS, no script, no
network); an existing file is refused unless ``--force``; it is written atomically.

Exit codes: 0 healthy (also: no rectifiers found, which is said in the output; and the demo),
1 problems found (born dead, or more dead / dormant units than ``--max-dead`` /
``--max-dormant``), 2 usage or input error (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rectifier._files import atomic_write, check_output_path
from rectifier.errors import UsageError

if TYPE_CHECKING:
    from rectifier.report.html import Section
    from rectifier.torch.demo import DemoResult
    from rectifier.torch.report import Report

DEFAULT_BATCH_SIZE = 64
DEFAULT_RANDOM_BATCHES = 8


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text!r}")
    return value


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "doctor",
        help="find dead and dormant ReLUs in a PyTorch model (no --model: a demo)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Run a PyTorch model on data and report, per rectifier, the units that never fire\n"
            "(dead) or barely do (tau-dormant, ReDo), whether the network is born dead, and how\n"
            "to fix it. Without --model: a demo that kills ReLUs on purpose and fixes them.\n\n"
            "Exit codes: 0 healthy (or no rectifiers found; the demo), 1 problems found,\n"
            "2 usage or input error."
        ),
        epilog=(
            "examples:\n"
            "  rectifier doctor                                   the demo\n"
            "  rectifier doctor --html doctor.html                the demo, with an HTML report\n"
            "  rectifier doctor --model mypkg.nets:make_net --weights net.pt --data val.npy\n"
            "  rectifier doctor --model net.pt2 --data images/ --image-size 28\n"
            "  rectifier doctor --model mypkg.nets:make_net --random-inputs 3x32x32 --json"
        ),
    )
    m = p.add_argument_group("model")
    m.add_argument(
        "--model",
        metavar="MODEL",
        help="pkg.module:factory, a TorchScript file, a torch.export .pt2 program, or a "
        "pickled module (with --trust-pickle); omit it to run the demo",
    )
    m.add_argument("--weights", metavar="FILE", help="state dict for --model pkg.module:factory")
    m.add_argument(
        "--trust-pickle",
        action="store_true",
        help="allow loading a pickled model: this runs code from the file, use it only for "
        "files you trust",
    )
    d = p.add_argument_group("data")
    src = d.add_mutually_exclusive_group()
    src.add_argument(
        "--data",
        metavar="DATA",
        help=".npy/.npz file, image folder (one sub-folder per class), or pkg.module:function "
        "returning batches",
    )
    src.add_argument(
        "--random-inputs",
        metavar="SHAPE",
        help="standard normal inputs of one example's SHAPE, e.g. 1x28x28 or 1,28,28 "
        "(the batch size is --batch-size): is the network born dead?",
    )
    d.add_argument(
        "--batches",
        type=_positive_int,
        metavar="N",
        help=f"use at most N batches (default: all the data; {DEFAULT_RANDOM_BATCHES} for "
        "--random-inputs; 100 for a function)",
    )
    d.add_argument(
        "--batch-size",
        type=_positive_int,
        default=DEFAULT_BATCH_SIZE,
        metavar="B",
        help="examples per batch for files, folders and random inputs (default: %(default)s)",
    )
    d.add_argument("--image-size", metavar="HxW", help="resize images to H x W (or N for N x N)")
    d.add_argument(
        "--channels",
        type=int,
        choices=(1, 3, 4),
        help="image channels (default: the model's first convolution's, else 3)",
    )
    d.add_argument(
        "--device", metavar="DEV",
        help="cpu (default), cuda, cuda:N or mps (with --model; the demo runs on the CPU)",
    )
    d.add_argument(
        "--seed", type=int, default=0, help="seed for --random-inputs and the demo (default: 0)"
    )
    v = p.add_argument_group("verdict and output")
    v.add_argument(
        "--tau",
        type=_fraction,
        default=0.1,
        help="ReDo dormancy threshold: a unit is dormant if its score <= tau (default: 0.1)",
    )
    v.add_argument(
        "--max-dead",
        type=_fraction,
        default=None,
        metavar="F",
        help="largest healthy fraction of dead units over all sites (default: 0.1)",
    )
    v.add_argument(
        "--max-dormant",
        type=_fraction,
        default=None,
        metavar="F",
        help="largest healthy fraction of dormant units (default: 0.2)",
    )
    v.add_argument(
        "--json", action="store_true", help="print the report as JSON (nothing else on stdout)"
    )
    v.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report")
    v.add_argument("--force", action="store_true", help="overwrite an existing --html file")
    v.add_argument(
        "--quiet", action="store_true", help="print one summary line; no table, no progress"
    )
    # The demo's length; tests shorten it.
    p.add_argument("--epochs", type=_positive_int, default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=run)


# --------------------------------------------------------------------------- entry point


def _require(module: str, extra: str) -> None:
    try:
        __import__(module)
    except ImportError:
        raise UsageError(
            f'rectifier doctor needs {module}: pip install "rectifier[{extra}]"'
        ) from None


def run(args: argparse.Namespace) -> int:
    """The ``doctor`` command; returns the exit code."""
    _require("torch", "torch")
    _require("rich", "cli")
    if args.html is not None:
        # Refuse a bad output path (or missing matplotlib) before any work is done.
        check_output_path(args.html, force=args.force)
        from rectifier.report.figures import require_matplotlib

        require_matplotlib()
    if args.model is None:
        given = [
            name
            for name, value in (
                ("--weights", args.weights),
                ("--data", args.data),
                ("--random-inputs", args.random_inputs),
                ("--trust-pickle", args.trust_pickle or None),
                # the demo trains on the CPU: a silently ignored --device cuda would mislead
                ("--device", None if args.device in (None, "cpu") else args.device),
            )
            if value is not None
        ]
        if given:
            raise UsageError(f"{given[0]} needs --model (without --model the doctor runs its demo, "
                             "on the CPU)")
        return _run_demo(args)
    if args.epochs is not None:
        raise UsageError("--epochs is for the demo (no --model)")
    return _run_model(args)


def _thresholds(args: argparse.Namespace) -> dict[str, float]:
    from rectifier.torch.report import MAX_DEAD, MAX_DORMANT

    return {
        "max_dead": MAX_DEAD if args.max_dead is None else args.max_dead,
        "max_dormant": MAX_DORMANT if args.max_dormant is None else args.max_dormant,
    }


def _stdout_console():
    from rectifier.report.terminal import make_console

    return make_console(sys.stdout)


# --------------------------------------------------------------------------- a user's model


def _run_model(args: argparse.Namespace) -> int:
    import torch

    from rectifier import __version__
    from rectifier.report.terminal import progress
    from rectifier.torch import loading
    from rectifier.torch.monitor import Monitor

    if args.data is None and args.random_inputs is None:
        raise UsageError(
            "give --data (a .npy/.npz file, an image folder or pkg.module:function), or "
            "--random-inputs SHAPE to check the network at initialisation"
        )
    if (args.image_size or args.channels) and not (args.data and Path(args.data).is_dir()):
        raise UsageError(
            "--image-size and --channels apply to an image folder (--data FOLDER) only"
        )
    shape = loading.parse_shape(args.random_inputs) if args.random_inputs else None
    image_size = loading.parse_image_size(args.image_size) if args.image_size else None
    device = loading.resolve_device(args.device)
    loaded = loading.load_model(
        args.model, weights=args.weights, trust_pickle=args.trust_pickle, device=device
    )
    dtype = loading.model_dtype(loaded.module)
    if shape is not None:
        source = loading.random_inputs(
            shape,
            batch_size=args.batch_size,
            batches=args.batches or DEFAULT_RANDOM_BATCHES,
            seed=args.seed,
            dtype=dtype,
        )
    else:
        channels = args.channels or loading.guess_channels(loaded.module) or 3
        source = loading.load_data(
            args.data,
            batch_size=args.batch_size,
            batches=args.batches,
            image_size=image_size,
            channels=channels,
            dtype=dtype,
        )
    first, batches = loading.peek(source.batches())
    if first is None:
        raise UsageError(f"no data: {source.description} gave no batches")
    if first.dim() == 0 or first.shape[0] == 0:
        raise UsageError(f"no data: the first batch has shape {tuple(first.shape)}")
    module, unit_dims = loading.prepare_for_monitoring(loaded, first.to(device))

    thresholds = _thresholds(args)
    monitor = Monitor(module, tau=args.tau, unit_dims=unit_dims)
    n_batches = n_examples = 0
    start = time.perf_counter()
    with progress(not args.quiet) as bar, torch.no_grad(), monitor:
        task = bar.add_task("running the model", total=source.total) if bar else None
        for i, x in enumerate(batches):
            x = x.to(device)
            if x.is_floating_point() and not bool(torch.isfinite(x).all()):
                raise UsageError(
                    f"data batch {i + 1} holds NaN or infinite values: clean the data first"
                )
            try:
                module(x)
            except Exception as exc:
                raise _forward_error(exc, i, x, loaded) from None
            n_batches += 1
            n_examples += int(x.shape[0])
            if bar is not None:
                bar.advance(task)
    report = monitor.report(**thresholds)
    _check_finite(report)
    meta = {
        "rectifier": __version__,
        "model": loaded.source,
        "model_kind": loaded.kind,
        "weights": loaded.weights,
        "data": source.description,
        "batches": n_batches,
        "examples": n_examples,
        "input_shape": list(first.shape[1:]),
        "device": str(device),
        "seconds": round(time.perf_counter() - start, 3),
    }
    page = _diagnosis_page(report, meta) if args.html else None

    if args.json:
        print(json.dumps({**report.to_dict(), "meta": meta}, indent=2))
    elif args.quiet:
        from rectifier.report.terminal import summary_line

        print(summary_line(report))
    else:
        _print_diagnosis(report, meta)
    if page is not None:
        _write_html(args.html, page, force=args.force, quiet=args.quiet or args.json)
    return 0 if report.healthy else 1


def _check_finite(report: Report) -> None:
    import numpy as np

    bad = [s.name for s in report.sites if not np.all(np.isfinite(s.mean_abs))]
    if bad:
        raise UsageError(
            f"the model produced NaN or infinite activations at {', '.join(bad[:3])}: the counts "
            "would mean nothing; check its weights (NaN after a diverged training?)"
        )


def _forward_error(exc: BaseException, index: int, x: Any, loaded: Any) -> UsageError:
    from rectifier.torch.loading import format_exception

    if isinstance(exc, UsageError):
        return exc
    shape = tuple(x.shape)
    hint = ""
    if loaded.kind in ("export", "torchscript"):
        hint = (
            " (an exported program accepts only the shapes it was exported for: check "
            "--batch-size, and that it divides the number of examples, or use --batches)"
        )
    if index == 0:
        hint = hint or " (check --random-inputs / --image-size / --channels)"
        return UsageError(
            f"the model {loaded.source!r} does not accept the data: a batch of shape {shape} "
            f"raised {format_exception(exc, 240)}{hint}"
        )
    return UsageError(
        f"the model {loaded.source!r} failed on batch {index + 1} (shape {shape}): "
        f"{format_exception(exc, 240)}{hint}"
    )


def advice(report: Report) -> list[str]:
    """What to try, for an unhealthy report; empty when healthy."""
    if report.healthy or not report.sites:
        return []
    tips = []
    if report.born_dead:
        dead_sites = [s.name for s in report.sites if s.all_dead]
        tips.append(
            f"Born dead: every unit of {', '.join(dead_sites[:3])} is zero on all inputs, so the "
            "output is constant and no gradient flows. Re-initialise: He (Kaiming) init, or "
            "Randomised Asymmetric Initialisation: rectifier.torch.rai_init_(model); check the "
            "input scaling and any large negative biases."
        )
    if report.dead_fraction > report.max_dead and not report.born_dead:
        tips.append(
            "Lower the learning rate (or warm it up): large early updates push pre-activations "
            "below zero for every input, and a ReLU that never fires gets no gradient."
        )
    tips.append(
        "Start well: He (Kaiming) initialisation, or RAI: rectifier.torch.rai_init_(model)."
    )
    tips.append(
        "Let dead units recover: swap ReLU for LeakyReLU, "
        "rectifier.torch.replace_activations(model, lambda old: torch.nn.LeakyReLU(0.01))."
    )
    if report.dormant_fraction > report.max_dormant or report.dead:
        tips.append(
            "Recycle dead and dormant units while training (ReDo): every few epochs, "
            "rectifier.torch.recycle(model, monitor.report(), optimizer=optimizer)."
        )
    functional = [s.name for s in report.sites if s.functional and s.dead]
    if functional:
        tips.append(
            f"Functional calls ({', '.join(functional[:3])}) cannot be swapped from outside: "
            "edit the forward to change them."
        )
    return tips


def _print_diagnosis(report: Report, meta: dict[str, Any]) -> None:
    from rectifier.report.terminal import bullet_list, report_table, summary_line

    console = _stdout_console()
    console.print(f"model: {meta['model']} ({meta['model_kind']}), device {meta['device']}")
    console.print(f"data:  {meta['data']}; {meta['batches']} batches, {meta['examples']} examples")
    if not report.sites:
        console.print(summary_line(report))
        return
    console.print(report_table(report))
    console.print(summary_line(report))
    tips = advice(report)
    if tips:
        console.print("\nWhat to try:")
        console.print(bullet_list(tips))


# --------------------------------------------------------------------------- the demo


def _run_demo(args: argparse.Namespace) -> int:
    from rectifier import __version__
    from rectifier.report.terminal import progress
    from rectifier.torch.demo import DemoConfig, run_demo

    epochs = args.epochs or DemoConfig.epochs
    if not args.quiet and not args.json:
        print(
            f"rectifier doctor demo: a small CNN learns the 8x8 digits twice ({epochs} epochs, "
            f"seed {args.seed}), with a learning rate that kills ReLUs, then with LeakyReLU.",
            flush=True,
        )
    with progress(not args.quiet) as bar:
        task = bar.add_task("training", total=2 * epochs) if bar else None
        result = run_demo(
            epochs=epochs,
            seed=args.seed,
            tau=args.tau,
            on_epoch=(lambda: bar.advance(task)) if bar is not None else None,
        )
    page = _demo_page(result) if args.html else None
    if args.json:
        print(json.dumps({"demo": result.to_dict(), "meta": {"rectifier": __version__}}, indent=2))
    elif args.quiet:
        print(_demo_summary(result))
    else:
        _print_demo(result)
    if page is not None:
        _write_html(args.html, page, force=args.force, quiet=args.quiet or args.json)
    elif not args.quiet and not args.json:
        print(
            "For plots: rectifier doctor --html doctor.html   To check your model: "
            "rectifier doctor --model pkg.module:factory --data FILE"
        )
    return 0


def _demo_rows(result: DemoResult) -> list[tuple[str, Any, dict[str, str]]]:
    from rectifier.report.terminal import percent

    return [
        (run.label, run.report, {"test accuracy": percent(run.accuracy)})
        for run in (result.before, result.after)
    ]


def _demo_summary(result: DemoResult) -> str:
    from rectifier.report.terminal import percent

    b, a = result.before, result.after
    return (
        f"demo: dead units {percent(b.report.dead_fraction)} -> {percent(a.report.dead_fraction)}, "
        f"dormant {percent(b.report.dormant_fraction)} -> {percent(a.report.dormant_fraction)}, "
        f"test accuracy {percent(b.accuracy)} -> {percent(a.accuracy)} "
        f"({result.seconds:.1f} s)"
    )


def _print_demo(result: DemoResult) -> None:
    from rectifier.report.terminal import comparison_table, report_table

    console = _stdout_console()
    for run in (result.before, result.after):
        console.print(f"\n{run.label}: {run.description}", markup=False)
        console.print(report_table(run.report, title=None))
    console.print()
    console.print(
        comparison_table(
            _demo_rows(result),
            title=f"before / after ({result.train_examples} training images, tau "
            f"{result.config.tau:g})",
            extra_columns=("test accuracy",),
        )
    )
    console.print(_demo_summary(result), markup=False)
    console.print(
        "Dead ReLUs never fire, so they get no gradient and never recover: capacity lost for "
        "good. LeakyReLU keeps a small gradient for negative inputs, so units come back. Other "
        "remedies: a lower learning rate, He or RAI init (rectifier.torch.rai_init_), recycling "
        "dormant units (rectifier.torch.recycle).",
        markup=False,
    )


# --------------------------------------------------------------------------- HTML


def _write_html(path: str, page: str, *, force: bool, quiet: bool) -> None:
    with atomic_write(path, "w", force=force) as f:
        f.write(page)
    if not quiet:
        print(f"wrote {path}")


def _sites_table_html(report: Report):
    from rectifier.report import html
    from rectifier.report.terminal import percent, site_verdict

    rows, classes = [], []
    for s in report.sites:
        verdict = site_verdict(s, report)
        rows.append(
            [
                s.name,
                s.kind + (" (functional)" if s.functional else ""),
                s.units,
                percent(s.dead_fraction),
                percent(s.dormant_fraction),
                percent(float(s.activation_rate.mean()) if s.units else 0.0),
                verdict,
            ]
        )
        classes.append({"ok": None, "no data": None, "dormant": "warn"}.get(verdict, "bad"))
    return html.table(
        ["site", "kind", "units", "dead %", "dormant %", "activation rate", "verdict"],
        rows,
        row_classes=classes,
    )


def _figures_for(report: Report, label: str = "", *, history: bool = True) -> list[Any]:
    from rectifier.report import figures, html

    if not report.sites:
        return []
    prefix = f"{label}: " if label else ""
    blocks = [
        html.image(
            figures.png(figures.dead_dormant_bars(report, title=f"{prefix}dead and dormant units")),
            alt=f"{prefix}dead and dormant units per site",
        ),
        html.image(
            figures.png(
                figures.activation_histograms(report, title=f"{prefix}activation rate per unit")
            ),
            alt=f"{prefix}histograms of per-unit activation rates",
            caption="A bar at 0 (red) is dead units; healthy units fire on a good share of inputs.",
        ),
    ]
    hist = figures.history_plot(report.history) if history else None
    if hist is not None:
        blocks.append(html.image(figures.png(hist), alt=f"{prefix}dead and dormant over time"))
    return blocks


_DEFINITIONS = [
    "dead: never positive on any of the data seen (a dead ReLU passes no gradient).",
    "dormant (ReDo, Sokar et al. 2023): score s_i = E|h_i| / mean_k E|h_k| <= tau; "
    "dead units are dormant too.",
    "activation rate: the fraction of a unit's outputs that are > 0.",
    "born dead (Lu et al. 2019): some ReLU layer is dead for every input, so the output is "
    "constant.",
    "unit: a feature; the channel of an N x C x H x W activation, the last dimension of N x F.",
]


def _diagnosis_page(report: Report, meta: dict[str, Any]) -> str:
    from rectifier.report import html
    from rectifier.report.terminal import summary_line

    info = html.table(
        ["", "value"],
        [
            ["model", f"{meta['model']} ({meta['model_kind']})"],
            ["weights", meta["weights"] or "-"],
            ["data", meta["data"]],
            ["batches / examples", f"{meta['batches']} / {meta['examples']}"],
            ["input shape", "x".join(str(d) for d in meta["input_shape"])],
            ["device", meta["device"]],
            [
                "tau / max dead / max dormant",
                f"{report.tau:g} / {report.max_dead:g} / {report.max_dormant:g}",
            ],
        ],
    )
    sections: list[Section] = [
        html.Section("Verdict", [summary_line(report), info]),
    ]
    if report.sites:
        sections.append(html.Section("Sites", [_sites_table_html(report)]))
        sections.append(html.Section("Figures", _figures_for(report)))
    tips = advice(report)
    if tips:
        sections.append(html.Section("What to try", [html.bullets(tips)]))
    sections.append(html.Section("Definitions", [html.bullets(_DEFINITIONS)]))
    return html.render_page(
        "rectifier doctor report",
        sections,
        subtitle=f"{meta['model']} on {meta['data']}",
        footer=f"rectifier {meta['rectifier']}",
    )


def _demo_page(result: DemoResult) -> str:
    from rectifier import __version__
    from rectifier.report import figures, html
    from rectifier.report.terminal import percent

    b, a = result.before, result.after
    comparison = html.table(
        ["run", "units", "dead", "dead %", "dormant %", "test accuracy", "training"],
        [
            [
                run.label,
                run.report.units,
                run.report.dead,
                percent(run.report.dead_fraction),
                percent(run.report.dormant_fraction),
                percent(run.accuracy),
                run.description,
            ]
            for run in (b, a)
        ],
        row_classes=["bad" if not b.report.healthy else None, "good" if a.report.healthy else None],
    )
    curves = figures.training_curves(
        {b.label: b.curves(), a.label: a.curves()},
        title="measured after every epoch on the training images",
    )
    cfg = result.config
    sections = [
        html.Section(
            "What the demo did",
            [
                f"A small CNN (two 3x3 convolutions, max-pool, two linear layers) learned the "
                f"8x8 handwritten digits ({result.train_examples} training and "
                f"{result.test_examples} test images) for {cfg.epochs} epochs with Adam at "
                f"learning rate {cfg.lr:g}, about ten times too large, twice from the same "
                f"initial weights and batch order (seed {cfg.seed}).",
                "After every epoch a rectifier.torch.Monitor watched one pass over the training "
                "images and counted, per unit, how often it fired.",
                comparison,
                _demo_summary(result),
            ],
        ),
        html.Section(
            "Over training",
            [html.image(figures.png(curves), alt="dead units and accuracy per epoch")],
        ),
    ]
    for run in (b, a):
        sections.append(
            html.Section(
                run.label,
                [
                    run.description,
                    _sites_table_html(run.report),
                    *_figures_for(run.report, history=False),
                ],
            )
        )
    sections.append(
        html.Section(
            "Why",
            [
                "A ReLU unit whose pre-activation is negative for every input outputs 0 and gets "
                "zero gradient, so nothing can revive it: it is dead. A large learning rate "
                "makes such updates likely early in training.",
                html.bullets(
                    [
                        "LeakyReLU keeps a small slope for negative inputs, so a unit still "
                        "gets gradient and can come back: "
                        "rectifier.torch.replace_activations(model, lambda old: "
                        "nn.LeakyReLU(0.1)).",
                        "A lower learning rate or a warm-up avoids the large early updates.",
                        "He or RAI initialisation (rectifier.torch.rai_init_) starts deep, "
                        "narrow networks alive.",
                        "ReDo recycling (rectifier.torch.recycle) gives dormant units fresh "
                        "incoming weights during training.",
                    ]
                ),
            ],
        )
    )
    sections.append(html.Section("Definitions", [html.bullets(_DEFINITIONS)]))
    sections.append(html.Section("Data", [result.attribution]))
    return html.render_page(
        "rectifier doctor: demo",
        sections,
        subtitle="dead ReLUs, before and after the remedy",
        footer=f"rectifier {__version__}",
    )
