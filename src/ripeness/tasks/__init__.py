"""Task families: problems with a gold verifier and hackable proxy rewards.

Modules, one job each:

- ``base``: the protocol (:class:`TaskItem`, :class:`Reward`, :class:`TaskFamily`), the
  :class:`Family` base the built-ins share, :func:`reward_table`, the hash split, and
  :func:`score_items` (a reward called on items as TRL calls it);
- ``registry``: families by name (``get_family``), ``register``, entry points, ``reward_by_name``;
- ``arithmetic``: running sums in the embedded model's format (``arithmetic``);
- ``conversations``: chats around those sums: warm-start kinds, beliefs, pushback
  (``arithmetic:beliefs``);
- ``math``: fraction arithmetic or a JSONL file, math-verify as gold in a killable worker;
- ``code``: write a function; hidden tests in the sandbox are gold (``code``, ``code:editable``);
- ``rgym``: any reasoning-gym dataset (``rg:DATASET``);
- ``items``: a fixed problem file, the held-out set a run keeps (``items:FILE``);
- ``external``: the user's TRL reward functions by reference, and a user's gold on any family;
- ``proxies``: the shared proxy rewards, each with its loophole, and the common exploits;
- ``answers``: reading a final answer out of a real model's free-form reply;
- ``stress``: the reward stress test (which reward pays which exploit);
- ``filtering``: keep the problems a model solves sometimes (pass-rate band);
- ``export``: the problems ``ripeness tasks export`` writes;
- ``verl``: Ripeness rewards as veRL's ``compute_score``, and rows in veRL's format.
"""
