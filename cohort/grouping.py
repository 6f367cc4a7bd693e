"""The node grouping an analysis uses when the analyst does not choose one.

``node_burden`` is the AJCC N category from the count of positive nodes.
Where the site's N is not count-based (lung: node location; most head and
neck: size, number, laterality and ENE) or the counts are unknown, it is NX
for most cases, and curves by it say nothing. When a cohort has a staged N
(``n_stage_group``, the registry's own N of the edition of the year of
diagnosis) for more cases than it has a count-based category, the default
grouping falls back to ``n_stage_group``, and the result says so.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT = "node_burden"
FALLBACK = "n_stage_group"
SHARE = 0.5  # node_burden known for less than this share of cases: consider the staged N


@dataclass(frozen=True)
class Grouping:
    """The grouping column (None when no case has any node information) and,
    when it is not the one asked for, why."""

    column: str | None
    note: str | None = None


def _percent(k: int, n: int) -> str:
    return f"{100 * k / n:.0f}%" if n else "0%"


def node_grouping(cohort, *, requested: str | None = DEFAULT) -> Grouping:
    """The node grouping for the eligible cases of ``cohort``.

    Anything but the default (``node_burden``) is kept as asked. For the
    default: ``node_burden`` when it is known (not NX) for at least half the
    eligible cases, or for at least as many as the staged N; else
    ``n_stage_group`` with a note; ``Grouping(None, note)`` when neither is
    known for any case (a report then leaves the section out).

    >>> import cohort, tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> reg = cohort.Registry(tmp / "r.duckdb")
    >>> _ = reg.load(cohort.synth.write(tmp / "x.csv", n=4000, seed=4))
    >>> node_grouping(reg.cohort("site_group = 'breast'")).column
    'node_burden'
    >>> g = node_grouping(reg.cohort("site_group = 'lung'"))
    >>> g.column, g.note.startswith("node_burden is NX for 100% of")
    ('n_stage_group', True)
    """
    if requested != DEFAULT:
        return Grouping(requested)
    row = cohort.registry.sql(
        "select count(*) as n, "
        "count(*) filter (where node_burden::varchar <> 'NX') as burden, "
        "count(*) filter (where n_stage_group::varchar <> 'NX') as staged, "
        "count(*) filter (where n_rule is null) as not_count_based, "
        "list(distinct n_stage_edition::varchar order by n_stage_edition::varchar) "
        "filter (where n_stage_group::varchar <> 'NX') as editions "
        f"from ({cohort.sql}) where exclusion_reason is null",
        cohort.params,
    ).row(0, named=True)
    n, burden, staged = row["n"], row["burden"], row["staged"]
    if n == 0 or burden >= SHARE * n or burden >= staged:
        if n and burden == 0 and staged == 0:
            return Grouping(None, "no case has a node category: node_burden and the staged N "
                                  "are NX (not assessed or unknown) for every case")
        return Grouping(DEFAULT)
    why = ("the site's AJCC N is not count-based (location of the nodes for lung; size, "
           "number, laterality and ENE for most head and neck)"
           if row["not_count_based"] >= n / 2 else "the number of positive nodes is unknown")
    editions = ", ".join(row["editions"] or [])
    return Grouping(FALLBACK, (
        f"node_burden is NX for {_percent(n - burden, n)} of the {n:,} eligible cases because "
        f"{why}; grouped instead by the registry's staged N (n_stage_group: {editions}), "
        f"known for {_percent(staged, n)}"
    ))


def default_grouping(cohort, by: str | None) -> Grouping:
    """The grouping of a command's ``--by``: None (not given) chooses with
    :func:`node_grouping` (keeping ``node_burden``, with the note, when no
    case has a node category); ``""`` is no grouping (one curve); a column
    name is kept as given."""
    if by is None:
        chosen = node_grouping(cohort)
        return chosen if chosen.column else Grouping(DEFAULT, chosen.note)
    return Grouping(by or None)


def single_site(cohort) -> str | None:
    """The site group of the cohort's eligible cases when there is one
    (node-burden labels are site-specific), else None."""
    sites = cohort.registry.sql(
        f"select distinct site_group::varchar as s from ({cohort.sql}) "
        "where exclusion_reason is null limit 2", cohort.params,
    )["s"].to_list()
    return sites[0] if len(sites) == 1 else None
