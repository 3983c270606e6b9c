"""The one place Ripeness touches TRL's private methods: they must still be there, as called."""

import inspect

from trl import GRPOTrainer

from ripeness.train.trainer import OVERRIDDEN, MonitoredGRPOTrainer


def test_overridden_trl_methods_exist_with_the_parameters_we_call():
    for name, leading in OVERRIDDEN.items():
        assert hasattr(GRPOTrainer, name), f"TRL's GRPOTrainer no longer has {name}"
        theirs = list(inspect.signature(getattr(GRPOTrainer, name)).parameters)
        assert tuple(theirs[: len(leading)]) == leading, (name, theirs)
        # our override is the one the trainer uses, and takes the same leading parameters
        ours = getattr(MonitoredGRPOTrainer, name)
        assert ours is not getattr(GRPOTrainer, name)
        assert len(inspect.signature(ours).parameters) >= len(leading) or any(
            p.kind is p.VAR_POSITIONAL for p in inspect.signature(ours).parameters.values()
        )


def test_every_override_is_listed():
    own = {
        name
        for name, value in vars(MonitoredGRPOTrainer).items()
        if callable(value) and name.startswith("_") and not name.startswith("__")
    }
    assert own == set(OVERRIDDEN)
