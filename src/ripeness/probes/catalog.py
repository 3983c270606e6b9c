"""The probes by name (``ripeness probe --probes NAME,...``): the built-in ones, and any added
with :func:`register` (a name and a factory returning an object following
:class:`ripeness.probes.base.Probe`)."""

from collections.abc import Callable

from ripeness.errors import RipenessError
from ripeness.probes.base import Probe
from ripeness.probes.calibration import CalibrationProbe
from ripeness.probes.hallucinated_actions import HallucinatedActionsProbe
from ripeness.probes.planning import PlanningProbe
from ripeness.probes.reward_hacking import RewardHackingProbe
from ripeness.probes.skills import SkillsProbe
from ripeness.probes.sycophancy import SycophancyProbe

_PROBES: dict[str, Callable[[], Probe]] = {}


def register(name: str, factory: Callable[[], Probe]) -> None:
    _PROBES[name] = factory


def probe_names() -> list[str]:
    return list(_PROBES)


def get_probe(name: str) -> Probe:
    if name not in _PROBES:
        raise RipenessError(f"unknown probe {name!r}; choose from {', '.join(_PROBES)}")
    return _PROBES[name]()


for probe in (
    SkillsProbe,
    CalibrationProbe,
    SycophancyProbe,
    RewardHackingProbe,
    HallucinatedActionsProbe,
    PlanningProbe,
):
    register(probe.name, probe)
