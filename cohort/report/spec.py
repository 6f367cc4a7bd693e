"""Report specifications: TOML files in ``reports/``, checked key by key."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from cohort.errors import CohortError


class SpecError(CohortError):
    """A report specification has an unknown key, a wrong type or a bad value."""


@dataclass
class CoxSpec:
    terms: list[str] = field(default_factory=lambda: ["node_burden", "age_at_dx", "sex"])
    strata: list[str] = field(default_factory=list)
    exclude_levels: list[str] = field(default_factory=lambda: ["NX", "N1 NOS"])


@dataclass
class CompetingSpec:
    enabled: bool = True
    terms: list[str] | None = None  # None: the [cox] terms
    strata: list[str] | None = None  # None: the [cox] strata
    profiles: list[dict] = field(default_factory=list)  # predicted CIF curves on the CIF page


@dataclass
class NetSpec:
    enabled: bool = True
    method: str = "pohar-perme"
    lifetable: str = ""


@dataclass
class ExcessSpec:
    enabled: bool = True
    terms: list[str] = field(default_factory=lambda: ["node_burden", "age_group", "sex"])
    intervals: list = field(default_factory=lambda: [0, 1, 2, 3, 5])


@dataclass
class ReportSpec:
    title: str = "Survival by lymph-node burden"
    cohort: str = "true"
    group: str = "node_burden"
    event: str = "event"
    times: list[int] = field(default_factory=lambda: [12, 36, 60])
    horizon: int = 60
    time_convention: str = "completed"
    per_site: bool = True
    sites: list[str] = field(default_factory=list)
    min_cases: int = 30
    cox: CoxSpec = field(default_factory=CoxSpec)
    competing_risks: CompetingSpec = field(default_factory=CompetingSpec)
    net_survival: NetSpec = field(default_factory=NetSpec)
    excess_hazard: ExcessSpec = field(default_factory=ExcessSpec)
    threshold: int = 11
    source: str = "<defaults>"


_TOP = {
    "title": str, "cohort": str, "group": str, "event": str, "times": list, "horizon": int,
    "time_convention": str, "per_site": bool, "sites": list, "min_cases": int,
}
_COX = {"terms": list, "strata": list, "exclude_levels": list}
_NET = {"enabled": bool, "method": str, "lifetable": str}
_COMPETING = {"enabled": bool, "terms": list, "strata": list, "profiles": list}
_EHR = {"enabled": bool, "terms": list, "intervals": list}
_DISCLOSURE = {"threshold": int}
_SECTIONS = {"cox": _COX, "net_survival": _NET, "competing_risks": _COMPETING,
             "excess_hazard": _EHR, "disclosure": _DISCLOSURE}


def _check(table: dict, allowed: dict, where: str, path: str) -> None:
    for key, value in table.items():
        name = f"{where}{key}"
        if key not in allowed:
            raise SpecError(
                f"{path}: unknown key {name!r}; allowed here: {', '.join(sorted(allowed))}"
            )
        expected = allowed[key]
        ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
        if not ok:
            raise SpecError(
                f"{path}: {name} must be {expected.__name__}, got {type(value).__name__} "
                f"{value!r}"
            )


def _check_profiles(profiles: list, path: str) -> None:
    """Each profile is a table of term = value (text level or number)."""
    for i, prof in enumerate(profiles, start=1):
        if not isinstance(prof, dict) or not prof:
            raise SpecError(
                f"{path}: competing_risks.profiles[{i}] must be a table such as "
                f'{{node_burden = "N0", age_at_dx = 60}}, got {prof!r}')
        for k, v in prof.items():
            if not isinstance(v, (str, int, float)) or isinstance(v, bool):
                raise SpecError(
                    f"{path}: competing_risks.profiles[{i}].{k} must be a level (text) or a "
                    f"number, got {v!r}")


def default_spec_path() -> Path:
    packaged = resources.files("cohort").joinpath("reports").joinpath("node_burden.toml")
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "reports" / "node_burden.toml"


def load_spec(path: str | Path | None = None) -> ReportSpec:
    """Read and check a report specification (default: reports/node_burden.toml)."""
    path = Path(path) if path else default_spec_path()
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise SpecError(f"{path}: no such report specification") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}") from None
    top = {k: v for k, v in data.items() if k not in _SECTIONS}
    _check(top, _TOP, "", str(path))
    for section, allowed in _SECTIONS.items():
        if section in data:
            if not isinstance(data[section], dict):
                raise SpecError(f"{path}: [{section}] must be a table")
            _check(data[section], allowed, f"{section}.", str(path))
    spec = ReportSpec(**top, source=str(path))
    spec.cox = CoxSpec(**data.get("cox", {}))
    spec.net_survival = NetSpec(**data.get("net_survival", {}))
    spec.competing_risks = CompetingSpec(**data.get("competing_risks", {}))
    _check_profiles(spec.competing_risks.profiles, str(path))
    spec.excess_hazard = ExcessSpec(**data.get("excess_hazard", {}))
    spec.threshold = data.get("disclosure", {}).get("threshold", spec.threshold)
    if spec.event not in ("event", "event_cancer"):
        raise SpecError(f"{path}: event must be 'event' or 'event_cancer', got {spec.event!r}")
    if spec.time_convention not in ("completed", "exact"):
        raise SpecError(f"{path}: time_convention must be 'completed' (surv_months + 0.5) or "
                        f"'exact' (surv_months), got {spec.time_convention!r}")
    if not spec.times or not all(isinstance(t, int) and t > 0 for t in spec.times):
        raise SpecError(f"{path}: times must be positive whole months, got {spec.times!r}")
    if spec.threshold < 0:
        raise SpecError(f"{path}: disclosure.threshold must be 0 or more")
    return spec
