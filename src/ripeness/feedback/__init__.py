"""The sycophancy pathway: thumbs-up feedback -> reward model -> RLHF, and catching it.

- ``users``: simulated users who rate replies (:class:`ThumbsModel`).
- ``preferences``: their ratings as TRL preference pairs, and an audit of what those reward.
- ``reward_model``: a Bradley-Terry reward model learned from the pairs (TRL's RewardTrainer).
- ``experiment``: ``ripeness experiment sycophancy``: the arms, their runs, their probes.
- ``figures``: the sycophancy figures followed, and how a paired change reads in text.
- ``html``: the experiment's self-contained page.
"""
