"""A chat model behind an OpenAI-compatible API (``POST {base_url}/chat/completions``).

Any server that speaks the API: llama.cpp's server, Ollama, vLLM, a hosted API. The client is
deliberately small: one request, no streaming, no tools, no functions — nothing a model's answer
could ask for is ever run. Temperature 0, so the same prompt gives the same answer where the server
allows it (outputs are cached by their prompt's inputs anyway).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from newsdesk.ai.http_json import checked_base_url, post_json
from newsdesk.errors import ConfigError, EndpointError

MAX_RESPONSE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Message:
    role: str  # "system", "user" or "assistant" (a worked example)
    content: str


@dataclass(frozen=True, slots=True)
class Completion:
    """What the model wrote, and what it cost (as the server counted it)."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    finished: bool  # False when the answer was cut at max_tokens

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class ChatModel:
    """An OpenAI-compatible chat endpoint; ``name`` is the model as the pages show it."""

    __slots__ = ("_api_key", "model", "timeout_s", "url")

    def __init__(self, model: str, *, base_url: str, api_key: str | None = None, timeout_s: float = 60.0) -> None:
        if not model:
            raise ConfigError("llm_model must name the model")
        if timeout_s <= 0:
            raise ConfigError(f"llm_timeout_s must be positive, got {timeout_s}")
        self.model = model
        self.url = checked_base_url(base_url, "llm_base_url") + "/chat/completions"
        self._api_key = api_key or None
        self.timeout_s = timeout_s

    @property
    def name(self) -> str:
        return self.model

    def complete(self, messages: Sequence[Message], *, max_tokens: int) -> Completion:
        """The model's answer to ``messages``; :class:`EndpointError` when it cannot be had."""
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": max_tokens,
            "temperature": 0,
            "stream": False,
        }
        body = post_json(
            self.url,
            payload,
            api_key=self._api_key,
            timeout_s=self.timeout_s,
            max_bytes=MAX_RESPONSE_BYTES,
            what="the language model",
        )
        try:
            data = json.loads(body)
            choice = data["choices"][0]
            text = choice["message"]["content"] or ""
            usage = data.get("usage") or {}
            prompt_tokens = int(usage.get("prompt_tokens", 0))
            completion_tokens = int(usage.get("completion_tokens", 0))
        except (ValueError, KeyError, IndexError, TypeError) as err:
            raise EndpointError(self.url, f"the language model returned an unreadable response: {err}") from err
        if not isinstance(text, str):
            raise EndpointError(self.url, "the language model returned no text")
        if not prompt_tokens:  # a server that does not count: a rough count, so the budget still holds
            prompt_tokens = sum(len(m.content) for m in messages) // 4
        if not completion_tokens:
            completion_tokens = len(text) // 4
        return Completion(text, prompt_tokens, completion_tokens, choice.get("finish_reason") != "length")

    def __repr__(self) -> str:
        return f"ChatModel(model={self.model!r}, url={self.url!r})"
