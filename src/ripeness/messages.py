"""One chat message, as every chat template, TRL's conversational datasets and the OpenAI API
take it: ``{"role": "system" | "user" | "assistant", "content": "..."}``."""

Message = dict[str, str]
