"""The probes by name (``ripeness probe --probes NAME,...``): the built-in ones, and any added
with :func:`register` (a name and a factory returning an object following
:class:`ripeness.probes.base.Probe`)."""

from collections.abc import Callable

from ripeness.errors import RipenessError
from ripeness.options import PROBE_NAMES
from ripeness.probes.base import Probe
from ripeness.probes.calibration import CalibrationProbe
from ripeness.probes.false_premise import FalsePremiseProbe
from ripeness.probes.hallucinated_actions import HallucinatedActionsProbe
from ripeness.probes.planning import PlanningProbe
from ripeness.probes.reward_hacking import RewardHackingProbe
from ripeness.probes.skills import SkillsProbe
from ripeness.probes.sycophancy import SycophancyProbe

_PROBES: dict[str, Callable[[], Probe]] = {}


def register(name: str, factory: Callable[[], Probe]) -> None:
    _PROBES[name] = factory
    if name not in PROBE_NAMES:  # the config's check of select.probes reads the names there
        PROBE_NAMES.append(name)


def probe_names() -> list[str]:
    return list(_PROBES)


def get_probe(name: str) -> Probe:
    if name not in _PROBES:
        raise RipenessError(f"unknown probe {name!r}; choose from {', '.join(_PROBES)}")
    return _PROBES[name]()


_BUILT_IN = (
    SkillsProbe,
    CalibrationProbe,
    SycophancyProbe,
    FalsePremiseProbe,
    RewardHackingProbe,
    HallucinatedActionsProbe,
    PlanningProbe,
)
if [p.name for p in _BUILT_IN] != PROBE_NAMES[: len(_BUILT_IN)]:  # declared once, checked here
    raise RuntimeError("ripeness.options.PROBE_NAMES must list the built-in probes in order")
for probe in _BUILT_IN:
    register(probe.name, probe)
