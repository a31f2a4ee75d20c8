"""Tests of the chat-model backends (assistant.llm)."""
