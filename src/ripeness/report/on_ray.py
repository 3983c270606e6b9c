"""Checkpoint assessment spread over a Ray cluster: one task per checkpoint.

Assessing a checkpoint (held-out gold and proxy, then the probes) needs nothing from the
others, and on a real model it is where the hours go. Each Ray task loads one checkpoint,
runs the same :func:`ripeness.report.questions.assess_candidate` the serial path runs, and sends
back the results; only this process writes them into ``probes.sqlite``, as each task ends (a
killed assessment resumes with the checkpoints not yet stored). Imported only for ``--ray``.

On a cluster, every node needs Ripeness installed and the run folder at the same path (shared
storage); a task asks for a GPU where the cluster has GPUs, else for one CPU.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

from ripeness.errors import RipenessError
from ripeness.probes.base import ProbeSettings
from ripeness.records.probes import ProbeResult
from ripeness.report.candidates import Candidate


def _assess_one(run_dir: str, candidate: Candidate, names: list[str], settings: ProbeSettings):
    """In a Ray worker: one checkpoint's assessments (the worker loads the run's config)."""
    from ripeness.models.backends import local_backend
    from ripeness.progress import quiet_libraries
    from ripeness.report.questions import assess_candidate, assessment_probes
    from ripeness.report.view import RunView

    quiet_libraries()
    with RunView(Path(run_dir)) as view:
        config = view.config
    probes = assessment_probes(config, names)
    backend = local_backend(candidate.path, config.select.engine)
    return list(assess_candidate(backend, names, probes, config, settings))


def connect(address: str):
    """Ray, joined at ``address`` (``local``: a fresh instance on this machine)."""
    try:
        import ray
    except ImportError:
        raise RipenessError("--ray needs Ray: pip install 'ripeness[ray]' (or ray)") from None
    if not ray.is_initialized():
        kwargs = {"include_dashboard": False, "log_to_driver": False}
        _check_reachable(address)
        try:
            if address == "local":
                ray.init(**kwargs)
            else:
                ray.init(address=address, **kwargs)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise RipenessError(
                f"--ray-address {address}: cannot reach the Ray cluster ({exc})"
            ) from None
    return ray


def _check_reachable(address: str) -> None:
    """A ``host:port`` that answers, said in one line now (Ray itself retries for minutes)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return  # "local", "auto": Ray finds (or starts) the instance itself
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as exc:
        raise RipenessError(
            f"--ray-address {address}: nothing answers there ({exc.strerror or exc}); "
            "start the cluster (`ray start --head`) or give its address"
        ) from None


def assess_on_ray(
    address: str,
    run_dir: Path,
    todo: list[tuple[Candidate, list[str]]],
    settings: ProbeSettings,
    show_progress: bool = True,
) -> Iterator[tuple[Candidate, list[ProbeResult]]]:
    """Each candidate with its results, in the order the tasks finish."""
    from ripeness.progress import make_progress

    ray = connect(address)
    gpus = ray.cluster_resources().get("GPU", 0)
    # on a GPU each task's worker exits after it (max_calls=1): a model engine left in a reused
    # worker would keep its GPU memory from the next checkpoint
    resources = {"num_gpus": 1, "num_cpus": 0, "max_calls": 1} if gpus else {"num_cpus": 1}
    task = ray.remote(**resources)(_assess_one)
    pending = {
        task.remote(str(run_dir.resolve()), candidate, names, settings): candidate
        for candidate, names in todo
    }
    with make_progress(not show_progress) as progress:
        bar = progress.add_task("assessing checkpoints on Ray", total=len(pending), status="")
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            candidate = pending.pop(ready[0])
            try:
                results = ray.get(ready[0])
            except ray.exceptions.RayTaskError as exc:
                raise RipenessError(
                    f"assessing {candidate.label} on Ray failed: {exc.cause!r:.200}"
                ) from None
            progress.update(bar, advance=1, status=candidate.label)
            yield candidate, results
