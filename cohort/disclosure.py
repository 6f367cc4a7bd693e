"""Small-cell suppression, applied by every output path.

Registries publish no count below a threshold (default 11, as CMS-linked
SEER data require): such a count is shown as ``<11``. Python result objects
keep the exact numbers (and say so); tables meant to leave the building
(``render``, CSV, PDF) go through :func:`suppress`.
"""

from __future__ import annotations

import polars as pl

DEFAULT_THRESHOLD = 11


def suppress(
    df: pl.DataFrame, columns: list[str], *, threshold: int = DEFAULT_THRESHOLD
) -> pl.DataFrame:
    """Counts below ``threshold`` (and above zero) in ``columns`` become ``"<threshold"``.

    Zero is not disclosive and stays. The columns become text.

    >>> df = pl.DataFrame({"group": ["N0", "N1"], "n": [250, 7], "events": [0, 3]})
    >>> suppress(df, ["n", "events"]).rows()
    [('N0', '250', '0'), ('N1', '<11', '<11')]
    """
    if threshold <= 0:
        return df
    exprs = []
    for col in columns:
        if col not in df.columns:
            continue
        c = pl.col(col)
        exprs.append(
            pl.when((c > 0) & (c < threshold))
            .then(pl.lit(f"<{threshold}"))
            .otherwise(c.cast(pl.Int64, strict=False).cast(pl.Utf8))
            .alias(col)
        )
    return df.with_columns(exprs)


def mask_small_groups(
    df: pl.DataFrame, *, count: str, columns: list[str], threshold: int = DEFAULT_THRESHOLD
) -> pl.DataFrame:
    """Blank the estimates of rows whose group count is below the threshold.

    A survival estimate of a group of 4 people discloses about each of them;
    its row keeps the (suppressed) count and loses the estimates.
    """
    small = (pl.col(count) > 0) & (pl.col(count) < threshold)
    return df.with_columns(
        pl.when(small).then(None).otherwise(pl.col(c)).alias(c) for c in columns if c in df.columns
    )
