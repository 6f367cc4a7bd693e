"""The site rules read from ``cohort/data``: :mod:`cohort.site_tables`, under the
name the derivations import."""

from cohort.site_tables import NODE_BURDEN_LEVELS, SITE_GROUPS, n_categories, site_rules

__all__ = ["NODE_BURDEN_LEVELS", "SITE_GROUPS", "n_categories", "site_rules"]
