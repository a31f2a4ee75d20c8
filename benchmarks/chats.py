"""The three doors a chat session of ``benchmarks.sessions`` talks through, each a client that
keeps its own conversation: REST ``/ask`` (``RestChat``), ``/v1`` through the ``openai``
SDK (``V1Chat``) and the page's chat through ``gradio_client`` (``PageChat``). Each answer
comes back as a ``Reply``: its text, the files it cites, and everything the response
carried, for ``canaries.classify`` to read.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, replace

import httpx

__all__ = ["DOORS", "SERVER_OF", "TIMEOUT_S", "PageChat", "Reply", "RestChat", "V1Chat",
           "door_of", "failure", "http_client", "open_chat", "page_chat_calls", "timed"]

DOORS = ("REST", "/v1", "page")
SERVER_OF = {"REST": "REST", "/v1": "REST", "page": "page"}
TIMEOUT_S = 60  # one request, however loaded the machine


@dataclass(frozen=True)
class Reply:
    """One answer as a client received it."""

    answer: str = ""  # the answer's text
    cited: tuple[str, ...] = ()  # the files it cites
    seen: str = ""  # everything the response carried: chunks, sources, returned state
    error: str = ""  # why it is not a well-formed answer ("" when it is)
    started: float = 0.0  # time.time() when asked
    seconds: float = 0.0


def http_client(url: str) -> httpx.Client:
    """A client of a loopback server: no proxy from the environment, ``TIMEOUT_S``."""
    return httpx.Client(base_url=url, timeout=TIMEOUT_S, trust_env=False)


def _from_answer(data: dict, seen: str) -> Reply:
    """A Reply from ``Answer.as_dict()`` (REST's shape)."""
    if not isinstance(data.get("answer"), str) or data.get("refused"):
        return Reply(seen=seen, error=f"refused or no answer: {seen[:120]!r}")
    return Reply(data["answer"], tuple(c["source"] for c in data.get("citations", ())), seen)


def _events(text: str) -> list[tuple[str, dict]]:
    """Server-sent events: ``(event, JSON data)``."""
    found = re.findall(r"^event: (\w+)\ndata: (.*)$", text, re.M)
    return [(name, json.loads(data)) for name, data in found]


class RestChat:
    """``POST /ask`` with the history this client keeps; JSON or server-sent events."""

    def __init__(self, url: str, stream: bool):
        self.http, self.stream, self.history = http_client(url), stream, []

    def ask(self, question: str) -> Reply:
        body = {"question": question, "history": self.history, "k": 1}
        with self.http.stream("POST", "/ask", params={"stream": self.stream}, json=body) as resp:
            text = resp.read().decode()
        if resp.status_code != 200:
            return Reply(seen=text, error=f"HTTP {resp.status_code}: {text[:120]}")
        if self.stream:
            events = _events(text)
            names = [name for name, _ in events]
            if names[:1] != ["sources"] or names[-1:] != ["answer"]:
                return Reply(seen=text, error=f"stream events {names}: {text[-120:]!r}")
            reply = _from_answer(events[-1][1], text)
        else:
            reply = _from_answer(json.loads(text), text)
        if not reply.error:
            self.history += [{"role": "user", "content": question},
                             {"role": "assistant", "content": reply.answer}]
        return reply

    def close(self) -> None:
        self.http.close()


class V1Chat:
    """``/v1/chat/completions`` through the ``openai`` SDK, with the messages it keeps."""

    def __init__(self, url: str, stream: bool):
        from openai import OpenAI

        self.http = http_client(url)
        self.client = OpenAI(base_url=f"{url}/v1", api_key="sk-not-sent-anywhere",
                             max_retries=0, timeout=TIMEOUT_S, http_client=self.http)
        self.stream, self.messages = stream, []

    def ask(self, question: str) -> Reply:
        messages = [*self.messages, {"role": "user", "content": question}]
        options = {"model": "blog-archive", "messages": messages, "extra_body": {"k": 1}}
        if self.stream:
            chunks = list(self.client.chat.completions.create(stream=True, **options))
            seen = "\n".join(c.model_dump_json() for c in chunks)
            deltas = [c.choices[0] for c in chunks if c.choices]
            content = "".join(d.delta.content or "" for d in deltas)
            extra = next((d.delta.model_extra for d in reversed(deltas)
                          if "citations" in (d.delta.model_extra or {})), {})
            finish = deltas[-1].finish_reason if deltas else None
        else:
            done = self.client.chat.completions.create(**options)
            seen, choice = done.model_dump_json(), done.choices[0]
            content, extra = choice.message.content or "", choice.message.model_extra or {}
            finish = choice.finish_reason
        if finish != "stop" or extra.get("refused", True):
            return Reply(seen=seen, error=f"finish {finish}, refused {extra.get('refused')}")
        self.messages = [*messages, {"role": "assistant", "content": content}]
        return Reply(content, tuple(c["source"] for c in extra.get("citations", ())), seen)

    def close(self) -> None:
        self.http.close()


def page_chat_calls(config: dict) -> tuple[int, int, list]:
    """``(add_user, respond, controls)`` of the page's chat: the events the question box's
    submit runs, and the option values ``respond`` takes after the chat (defaults, k=1).

    Both are page callbacks, private to the API (``page.PRIVATE``): ``gradio_client``
    refuses them, so ``PageChat`` lifts that client-side guard to send what the browser
    sends, and the server keeps the conversation in this session's state."""
    changed = "the page's chat changed ({}): update PageChat"
    comps = {c["id"]: c for c in config["components"]}
    deps = config["dependencies"]
    box = [i for i, c in comps.items() if c.get("props", {}).get("elem_id") == "question"]
    add = [d["id"] for d in deps if [*box, "submit"] in [list(t) for t in d["targets"]]]
    respond = [d for d in deps if add and d.get("trigger_after") == add[0]]
    if not respond:
        raise RuntimeError(changed.format("no question box submit, then respond"))
    add, respond = add[0], respond[0]
    kinds = [comps[i]["type"] for i in respond["inputs"] if comps[i]["type"] != "state"]
    if kinds[:2] != ["chatbot", "slider"]:
        raise RuntimeError(changed.format(f"respond takes {kinds}"))
    values = [comps[i].get("props", {}).get("value") for i in respond["inputs"]
              if comps[i]["type"] not in ("state", "chatbot")]
    return add, respond["id"], [1, *values[1:]]


class PageChat:
    """The page's chat through ``gradio_client``: its own session, its state on the server."""

    def __init__(self, url: str):
        from gradio_client import Client

        self.client = Client(url, verbose=False, download_files=False,
                             analytics_enabled=False)
        self.add, self.respond, self.controls = page_chat_calls(self.client.config)
        for fn in (self.add, self.respond):
            self.client.endpoints[fn].is_valid = True
        self.chat: list = []

    def ask(self, question: str) -> Reply:
        shown = self.client.submit(question, self.chat, fn_index=self.add).result(
            timeout=TIMEOUT_S)
        job = self.client.submit(shown[1], *self.controls, fn_index=self.respond)
        # chat, sources, Markdown copy, plain copy, then the filter chips (states are not sent)
        outputs = job.result(timeout=TIMEOUT_S)
        chat, plain = outputs[0], outputs[3]
        seen = json.dumps([shown, *job.outputs()], ensure_ascii=False)
        last = chat[-1] if chat else {}
        if last.get("role") != "assistant" or not plain:
            return Reply(seen=seen, error=f"no answer in the chat: {str(last)[:120]}")
        self.chat = chat
        text, _, references = plain.partition("\n\nReferences:")
        return Reply(text, tuple(re.findall(r"[\w-]+\.txt\b", references)), seen)

    def close(self) -> None:
        self.client.close()


def open_chat(door: str, urls: dict[str, str], session: int):
    """A fresh conversation at ``door`` (REST and /v1 alternate JSON and streaming)."""
    url = urls[SERVER_OF[door]]
    if door == "page":
        return PageChat(url)
    return (RestChat if door == "REST" else V1Chat)(url, stream=session % 2 == 1)


def door_of(session: int, count: int) -> str:
    """Sessions split 8:6:6 (of 20) over REST, /v1 and the page."""
    return DOORS[0 if session < count * 2 // 5 else 1 if session < count * 7 // 10 else 2]


def failure(exc: Exception) -> Reply:
    """A failed request as a Reply: the load error it counts as."""
    return Reply(error=f"{type(exc).__name__}: {str(exc)[:160]}", started=time.time())


def timed(chat, question: str) -> Reply:
    """``chat.ask(question)`` timed; an exception is that reply's load error."""
    started, clock = time.time(), time.perf_counter()
    try:
        reply = chat.ask(question)
    except Exception as exc:  # any failure is a counted load error, never a crash
        reply = failure(exc)
    return replace(reply, started=started, seconds=time.perf_counter() - clock)
