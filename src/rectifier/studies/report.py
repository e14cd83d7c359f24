"""The studies' HTML report, built with :mod:`rectifier.report.html` (self-contained, no network).

One page: a summary table (study, verdict, run time), a section per seed-article topic that lists
the studies testing it, then one section per study with its figure, its numbers against the
paper's, the criterion, the verdict and a short explanation linking back to the article.
"""

from __future__ import annotations

import datetime as _dt
import html as _html
from collections.abc import Sequence

from rectifier.report import html
from rectifier.studies._common import ARTICLE, StudyResult

__all__ = ["render_html"]


def _anchor(kind: str, key: str) -> str:
    return f"{kind}-{key}"


def _link(kind: str, key: str, text: str) -> str:
    # A small adapter: rectifier.report.html has no link helper; internal anchors only.
    return f'<a href="#{_anchor(kind, key)}">{_html.escape(text)}</a>'


def _target(kind: str, key: str) -> html.Markup:
    return html.Markup(f'<a id="{_anchor(kind, key)}"></a>')


def render_html(results: Sequence[StudyResult], *, generated: _dt.datetime | None = None) -> str:
    """The report as one HTML string (``generated`` fixes the footer's time, for tests)."""
    from rectifier.report.figures import png

    summary = html.table(
        ["study", "verdict", "claim", "mode", "seconds"],
        [
            [
                html.Markup(_link("study", r.name, r.name)),
                "reproduced" if r.reproduced else "NOT reproduced",
                r.claim,
                "quick" if r.settings.get("quick") else "full",
                f"{r.seconds:.1f}",
            ]
            for r in results
        ],
        row_classes=["good" if r.reproduced else "bad" for r in results],
    )
    done = sum(r.reproduced for r in results)
    sections = [
        html.Section(
            "Summary",
            [
                f"{done} of {len(results)} studies reproduced their paper's claim on this machine "
                "(seed "
                f"{results[0].settings.get('seed') if results else '-'}). Each criterion is "
                "stated with its study; 'quick' runs use small sizes, see docs/studies.md for "
                "the full runs.",
                summary,
            ],
        )
    ]
    topics = []
    for key, title in ARTICLE.items():
        which = [r for r in results if key in r.article]
        if not which:
            continue
        links = ", ".join(_link("study", r.name, r.name) for r in which)
        topics.append(
            html.Markup(f"<li>{_target('article', key)}{_html.escape(title)}: {links}</li>")
        )
    if topics:
        sections.append(
            html.Section(
                "The seed article, topic by topic",
                [
                    "Which study tests which statement of the article 'ReLU (Rectified Linear "
                    "Unit)' (the project's seed text):",
                    html.Markup("<ul>" + "".join(topics) + "</ul>"),
                ],
            )
        )
    for r in results:
        verdict = "Reproduced" if r.reproduced else "Not reproduced"
        article_links = ", ".join(_link("article", k, ARTICLE[k]) for k in r.article)
        blocks: list[object] = [
            _target("study", r.name),
            html.Markup(
                f"<p><strong>Claim.</strong> {_html.escape(r.claim)} "
                f"<em>({_html.escape(r.citation)})</em></p>"
            ),
            html.image(png(r.figure()), alt=f"{r.name} figure", caption=r.title),
            html.table(["quantity", "measured here", "paper"], [list(c) for c in r.comparison]),
            html.Markup(f"<p><strong>Criterion.</strong> {_html.escape(r.criterion)}</p>"),
            html.paragraph(
                f"{verdict} ({'quick' if r.settings.get('quick') else 'full'} mode, "
                f"{r.seconds:.1f} s, settings {r.settings}).",
                css_class=None,
            ),
            html.Markup(
                f"<p><strong>Why it matters.</strong> {_html.escape(r.explanation)} "
                f"Article: {article_links}.</p>"
            ),
        ]
        if r.notes:
            blocks.append(html.bullets(r.notes))
        sections.append(html.Section(f"{r.name}: {r.title} ({verdict.lower()})", blocks))
    return html.render_page(
        "rectifier studies: ReLU results reproduced",
        sections,
        subtitle="Each study's figure, its numbers against the paper's, and the verdict.",
        footer="rectifier study all",
        generated=generated,
    )
