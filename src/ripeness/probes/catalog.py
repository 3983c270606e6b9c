"""The built-in probes, registered by name (``ripeness probe --probes NAME,...``)."""

from ripeness.probes.base import register
from ripeness.probes.calibration import CalibrationProbe
from ripeness.probes.hallucinated_actions import HallucinatedActionsProbe
from ripeness.probes.planning import PlanningProbe
from ripeness.probes.reward_hacking import RewardHackingProbe
from ripeness.probes.skills import SkillsProbe
from ripeness.probes.sycophancy import SycophancyProbe

for probe in (
    SkillsProbe,
    CalibrationProbe,
    SycophancyProbe,
    RewardHackingProbe,
    HallucinatedActionsProbe,
    PlanningProbe,
):
    register(probe.name, probe)
