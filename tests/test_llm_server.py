"""The tests' real LLM server answers a chat completion as an OpenAI client expects (tests/llm_server.py)."""

from __future__ import annotations

import httpx

from tests.llm_server import LlmServer


def test_chat_completion(llm_server: LlmServer) -> None:
    """A short greedy answer: a 200, an assistant message with text, and token counts from the model's tokenizer."""
    response = httpx.post(
        f"{llm_server.base_url}/chat/completions",
        json={
            "model": llm_server.model,
            "messages": [{"role": "user", "content": "What is the capital of France? Answer in one word."}],
            "max_tokens": 16,
            "temperature": 0,
        },
        timeout=60,
        trust_env=False,  # loopback: no proxy from the environment
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"] == llm_server.model
    message = body["choices"][0]["message"]
    assert message["role"] == "assistant"
    assert message["content"].strip()
    assert body["usage"]["prompt_tokens"] > 0
    assert 0 < body["usage"]["completion_tokens"] <= 16
