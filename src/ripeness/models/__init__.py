"""Models: where one comes from, how it is loaded, and what answers questions with it.

- ``interface``: the one interface every backend offers (``Completion``, ``Backend``,
  ``BackendError``, ``Sampling``, ``BaseBackend``);
- ``backends``: a local HF model (``LocalBackend``, ``local_backend``), an OpenAI-compatible
  server (``OpenAIBackend``), and ``TrackedBackend`` for progress bars;
- ``vllm_backend``: a model answered by vLLM in this process (GPU machines);
- ``sources``: a folder, a ``.gguf`` file or a hub id made into a plain HF folder;
- ``embedded``: load a model folder; say whether the embedded model is built;
- ``tiny``: the embedded model's architecture (a small ``LlamaForCausalLM``);
- ``tokenizer``: the embedded model's character tokenizer and chat template;
- ``generate``: batched chat generation with ``model.generate``;
- ``server``: ``ripeness serve``'s OpenAI-compatible HTTP server.
"""
